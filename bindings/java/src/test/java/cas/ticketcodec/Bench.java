package cas.ticketcodec;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * The Java side of the overhead table (bindings/README.md): {@link TicketCodec#encode} and
 * {@link TicketCodec#decode} on the typical ST (no session), timed as every binding's bench
 * times them, after a 3 s warm-up (the JIT): the median of 101 samples of 2,000 calls each.
 *
 * <p>usage: Bench KEYS.json; prints {@code java encode <ns>} and {@code java decode <ns>}
 */
public final class Bench {
    static final int SAMPLES = 101;
    static final int BATCH = 2_000;
    static volatile Object sink;

    interface Call {
        Object run();
    }

    static double medianNs(Call call) {
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            sink = call.run();
        }
        double[] samples = new double[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = System.nanoTime();
            for (int j = 0; j < BATCH; j++) {
                sink = call.run();
            }
            samples[i] = (double) (System.nanoTime() - t0) / BATCH;
        }
        Arrays.sort(samples);
        return samples[SAMPLES / 2];
    }

    public static void main(String[] args) {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        try (TicketCodec codec = TicketCodec.load(Path.of(args[0]))) {
            Claims claims = Claims.serviceTicket(
                            "jdoe@example.edu", "https://app.example.edu/login?target=%2Fhome")
                    .authenticatedAt(now.minusSeconds(300))
                    .method("Password")
                    .issuedAt(now)
                    .lifetime(Duration.ofSeconds(10))
                    .build();
            String ticket = codec.encode(claims);
            if (ticket.length() != 102) {
                throw new AssertionError(ticket);
            }
            System.out.printf("java encode %.0f%n", medianNs(() -> codec.encode(claims)));
            System.out.printf(
                    "java decode %.0f%n",
                    medianNs(() -> codec.decode(ticket, null, null, now, Duration.ZERO)));
        }
    }
}
