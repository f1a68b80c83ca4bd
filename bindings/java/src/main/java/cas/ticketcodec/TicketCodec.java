package cas.ticketcodec;

import static cas.ticketcodec.NativeLib.*;

import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Encodes and decodes stateless CAS tickets with the keys of one key file.
 *
 * <pre>{@code
 * try (TicketCodec codec = TicketCodec.load(Path.of("/etc/cas/keys.json"))) {
 *     String st = codec.encode(Claims.serviceTicket("jdoe@example.edu", service).build());
 *     Ticket t = codec.decode(st, service);
 * }
 * }</pre>
 *
 * <p>Thread-safe: load one codec per process and share it; any number of threads may encode
 * and decode at once (the native codec holds nothing mutable). {@link #close()} frees the
 * native keys once the calls in flight have returned; later calls throw {@link
 * IllegalStateException}. A codec that is never closed is freed when it is garbage
 * collected.
 */
public final class TicketCodec implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The native handle and its lifecycle, shared with the cleaner (never with {@code this}). */
    private static final class Handle implements Runnable {
        final long codec;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicBoolean freed = new AtomicBoolean();
        volatile boolean closed;

        Handle(long codec) {
            this.codec = codec;
        }

        /** Frees the native codec, once. */
        @Override
        public void run() {
            if (freed.compareAndSet(false, true)) {
                ctc_codec_free(codec);
            }
        }

        void enter() {
            inFlight.incrementAndGet();
            if (closed) {
                exit();
                throw new IllegalStateException("the codec is closed");
            }
        }

        void exit() {
            if (inFlight.decrementAndGet() == 0 && closed) {
                run();
            }
        }
    }

    private final Handle handle;
    private final Cleaner.Cleanable cleanable;

    private TicketCodec(long codec) {
        handle = new Handle(codec);
        cleanable = CLEANER.register(this, handle);
    }

    /**
     * Loads the key file at {@code path}. It must belong to the running user and be closed
     * to group and others (mode 0600), as ssh requires of a private key.
     *
     * @throws KeyringException when the file is missing, unreadable, readable by others, or
     *     not a key file
     */
    public static TicketCodec load(Path path) {
        Objects.requireNonNull(path, "path");
        byte[] bytes = utf8(path.toString());
        if (contains(bytes, (byte) 0)) {
            throw new IllegalArgumentException("path holds a NUL character");
        }
        Scratch s = SCRATCH.get();
        s.reset(bytes.length + 64L);
        int slot = s.reserve(8);
        long text = s.put(bytes);
        s.flush();
        int status = ctc_codec_load(text, s.base + slot);
        if (status != 0) {
            throw lastError(status);
        }
        return new TicketCodec(s.slot(slot));
    }

    /**
     * Seals {@code claims} under the primary key into a ticket ({@code ST-…}, {@code TGT-…},
     * …) or an OAuth code or token ({@code OC-…}, {@code AT-…}, {@code RT-…}).
     *
     * @throws InvalidClaimsException when a field is not acceptable ({@link
     *     InvalidClaimsException#reason()} names it)
     * @throws TicketTooLongException when the ticket would exceed its kind's cap (256
     *     characters, 384 for a code)
     * @throws IllegalArgumentException when a field does not apply to the kind, or a string
     *     holds a NUL character
     */
    public String encode(Claims claims) {
        Objects.requireNonNull(claims, "claims");
        byte[] principal = text(claims.principal, "principal");
        byte[][] methods = texts(claims.methods, "method");
        byte[] service = claims.service == null ? null : text(claims.service, "service");
        byte[][] proxies = texts(claims.proxies, "proxy");
        byte[] pgtUrl = claims.pgtUrl == null ? null : text(claims.pgtUrl, "pgtUrl");
        byte[][] upstream = texts(claims.upstream, "upstream");
        byte[] session = claims.sessionId == null ? null : text(claims.sessionId, "session id");
        byte[] clientId = optional(claims.clientId, "clientId");
        byte[] scope = optional(claims.scope, "scope");
        byte[] grantId = optional(claims.grantId, "grantId");
        byte[][] idTokenClaims = texts(claims.idTokenClaims, "idTokenClaim");
        byte[][] userinfoClaims = texts(claims.userinfoClaims, "userinfoClaim");
        byte[] redirectUri = optional(claims.redirectUri, "redirectUri");
        byte[] nonce = optional(claims.nonce, "nonce");
        byte[] codeChallenge = optional(claims.codeChallenge, "codeChallenge");
        long bytes = C_SIZE + 64L + size(principal) + size(service) + size(pgtUrl) + size(session)
                + size(methods) + size(proxies) + size(upstream) + size(clientId) + size(scope)
                + size(grantId) + size(idTokenClaims) + size(userinfoClaims) + size(redirectUri)
                + size(nonce) + size(codeChallenge);

        handle.enter();
        try {
            Scratch s = SCRATCH.get();
            s.reset(bytes);
            int c = s.reserve(C_SIZE);
            int slot = s.reserve(8);
            ByteBuffer b = s.image;
            b.putInt(c + C_KIND, claims.kind.code);
            b.putLong(c + C_PRINCIPAL, s.put(principal));
            b.putLong(c + C_AUTHENTICATED_AT, seconds(claims.authenticatedAt));
            b.putLong(c + C_METHODS, s.putArray(methods));
            b.putInt(c + C_METHODS_LEN, methods.length);
            b.putInt(c + C_REMEMBER_ME, claims.rememberMe ? 1 : 0);
            b.putLong(c + C_SERVICE, service == null ? 0 : s.put(service));
            b.putInt(c + C_FRESH_LOGIN, claims.freshLogin ? 1 : 0);
            b.putLong(c + C_PROXIES, s.putArray(proxies));
            b.putInt(c + C_PROXIES_LEN, proxies.length);
            b.putLong(c + C_PGT_URL, pgtUrl == null ? 0 : s.put(pgtUrl));
            b.putLong(c + C_UPSTREAM, s.putArray(upstream));
            b.putInt(c + C_UPSTREAM_LEN, upstream.length);
            b.putLong(c + C_ISSUED_AT, seconds(claims.issuedAt));
            b.putLong(c + C_LIFETIME, claims.lifetime.getSeconds());
            b.putLong(c + C_SESSION_ID, session == null ? 0 : s.put(session));
            if (session != null && claims.sessionEndsAt != null) {
                b.putLong(c + C_SESSION_ENDS_AT, claims.sessionEndsAt.getEpochSecond());
            }
            b.putLong(c + C_CLIENT_ID, s.putOptional(clientId));
            b.putLong(c + C_SCOPE, s.putOptional(scope));
            b.putLong(c + C_GRANT_ID, s.putOptional(grantId));
            b.putLong(c + C_ID_TOKEN_CLAIMS, s.putArray(idTokenClaims));
            b.putInt(c + C_ID_TOKEN_CLAIMS_LEN, idTokenClaims.length);
            b.putLong(c + C_USERINFO_CLAIMS, s.putArray(userinfoClaims));
            b.putInt(c + C_USERINFO_CLAIMS_LEN, userinfoClaims.length);
            b.putLong(c + C_REDIRECT_URI, s.putOptional(redirectUri));
            b.putLong(c + C_NONCE, s.putOptional(nonce));
            b.putLong(c + C_CODE_CHALLENGE, s.putOptional(codeChallenge));
            s.flush();
            int status = ctc_encode(handle.codec, s.base + c, s.base + slot);
            if (status != 0) {
                throw lastError(status);
            }
            long ticket = s.slot(slot);
            try {
                return string(ticket);
            } finally {
                ctc_string_free(ticket);
            }
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Validates a ticket of any kind as of now, without leeway, and (when {@code service} is
     * not null) checks that it is an ST or PT issued for that service.
     *
     * @throws TicketException the subclass names the rejection
     */
    public Ticket decode(String ticket, String service) {
        return decode(ticket, service, null, null, Duration.ZERO);
    }

    /**
     * Validates a ticket: its kind when {@code kind} is not null (before any cryptographic
     * work), its format, key and seal, its payload, its expiry as of {@code now} (null: the
     * current time) accepting {@code leeway} past it (null or negative: none), then, when
     * {@code service} is not null, that an ST or PT was issued for that service (after the
     * normalization of FORMAT.md §8).
     *
     * @throws TicketException one subclass per rejection: {@link MalformedTicketException},
     *     {@link TicketTooLongException}, {@link UnsupportedVersionException}, {@link
     *     UnknownKeyException}, {@link AuthenticationFailedException}, {@link
     *     TicketExpiredException}, {@link WrongKindException}, {@link ServiceMismatchException}
     * @throws IllegalArgumentException when {@code now} is out of the range of instants
     */
    public Ticket decode(String ticket, String service, Kind kind, Instant now, Duration leeway) {
        return decode(ticket, service, kind, now, leeway, (s, t) -> read(t, s.view));
    }

    /**
     * Validates a ticket as {@link #decode(String, String, Kind, Instant, Duration)} does, and
     * computes the names a store shared with other nodes knows it by (FORMAT.md §13): its
     * replay id and its principal's id. For a node that spends service tickets in such a
     * store.
     *
     * @throws TicketException as {@link #decode(String, String, Kind, Instant, Duration)}
     * @throws IllegalArgumentException when {@code now} is out of the range of instants
     */
    public StoreTicket decodeForStore(
            String ticket, String service, Kind kind, Instant now, Duration leeway) {
        return decode(ticket, service, kind, now, leeway, (s, t) -> {
            int ids = s.reserve(32);
            long at = s.base + ids;
            int status = ctc_ticket_replay_id(handle.codec, t, at);
            if (status == 0) {
                status = ctc_ticket_principal_id(handle.codec, t, at + 16);
            }
            if (status != 0) {
                throw lastError(status);
            }
            byte[] replayId = new byte[16];
            byte[] principalId = new byte[16];
            s.memory.read(ids, replayId, 0, 16);
            s.memory.read(ids + 16L, principalId, 0, 16);
            return new StoreTicket(read(t, s.view), replayId, principalId);
        });
    }

    /** What a decode returns, read from the native ticket before it is freed. */
    private interface Reader<T> {
        T read(Scratch s, long ticket);
    }

    private <T> T decode(
            String ticket, String service, Kind kind, Instant now, Duration leeway, Reader<T> r) {
        Objects.requireNonNull(ticket, "ticket");
        // A NUL would cut the C string short: the text is read with it replaced (it is then
        // malformed, as the library says), and a service holding one names no service.
        byte[] text = ticketText(ticket);
        boolean serviceHasNul = service != null && service.indexOf('\0') >= 0;
        byte[] svc = service == null || serviceHasNul ? null : utf8(service);
        long at = now == null ? NOW : now.getEpochSecond();
        long leewaySeconds = leeway == null ? 0 : Math.max(0, leeway.getSeconds());

        handle.enter();
        try {
            Scratch s = SCRATCH.get();
            s.reset(text.length + size(svc) + 96L);
            int slot = s.reserve(8);
            long ticketAt = s.put(text);
            long serviceAt = svc == null ? 0 : s.put(svc);
            s.flush();
            int status = ctc_decode(handle.codec, ticketAt, serviceAt,
                    kind == null ? 0 : kind.code, at, leewaySeconds, s.base + slot);
            if (status != 0) {
                throw lastError(status);
            }
            long t = s.slot(slot);
            try {
                T decoded = r.read(s, t);
                if (serviceHasNul) {
                    throw new ServiceMismatchException(7, "service does not match");
                }
                return decoded;
            } finally {
                ctc_ticket_free(t);
            }
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Opens an authentic ticket <b>whatever its expiry</b>: every check of {@link #decode(String,
     * String, Kind, Instant, Duration)} (format, key and seal, payload) but the expiry. This is
     * what a node needs to read back a ticket from a single-logout record ({@link
     * #openRecord}), hours after it expired; it is never a validation.
     *
     * @throws TicketException one subclass per rejection, as decode's
     */
    public Ticket openExpired(String ticket) {
        Objects.requireNonNull(ticket, "ticket");
        byte[] text = ticketText(ticket);
        handle.enter();
        try {
            Scratch s = SCRATCH.get();
            s.reset(text.length + 64L);
            int slot = s.reserve(8);
            long ticketAt = s.put(text);
            s.flush();
            int status = ctc_open_expired(handle.codec, ticketAt, s.base + slot);
            if (status != 0) {
                throw lastError(status);
            }
            long t = s.slot(slot);
            try {
                return read(t, s.view);
            } finally {
                ctc_ticket_free(t);
            }
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /**
     * The principal ids of {@code principal} (exactly as tickets carry it), one under each key
     * of the key file, in its order, 16 bytes each (FORMAT.md §13): what {@code ticketctl
     * sessions end} writes to end every session of a principal.
     *
     * @throws IllegalArgumentException when {@code principal} holds a NUL character
     */
    public List<byte[]> principalIds(String principal) {
        Objects.requireNonNull(principal, "principal");
        byte[] name = text(principal, "principal");
        byte[] ids = call(size(name) + 64L, s -> {
            int slot = s.reserve(8);
            long nameAt = s.put(name);
            s.flush();
            return returned(ctc_principal_ids(handle.codec, nameAt, s.base + slot), s, slot);
        });
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i + 16 <= ids.length; i += 16) {
            out.add(Arrays.copyOfRange(ids, i, i + 16));
        }
        return List.copyOf(out);
    }

    /**
     * Seals a single-logout record for the session {@code sessionId} (16 hex digits): the
     * bytes a store keeps (FORMAT.md §13), under the primary key with a fresh nonce. It holds
     * {@code ticket}, the text of a validated ST or PT, and {@code service}, the service URL,
     * when the ticket's service is shortened (else null).
     *
     * @throws MalformedTicketException ({@code PAYLOAD}) when {@code ticket} is not a
     *     well-formed ST or PT, or the URL is over 4096 bytes
     * @throws InvalidClaimsException ({@code SESSION}) when the session id is not 16 hex digits
     * @throws IllegalArgumentException when the session id or the URL holds a NUL character
     */
    public byte[] sealRecord(String sessionId, String ticket, String service) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(ticket, "ticket");
        byte[] session = text(sessionId, "sessionId");
        byte[] text = ticketText(ticket);
        byte[] url = service == null ? null : text(service, "service");
        return call(size(session) + size(text) + size(url) + 64L, s -> {
            int slot = s.reserve(8);
            long sessionAt = s.put(session);
            long ticketAt = s.put(text);
            long serviceAt = url == null ? 0 : s.put(url);
            s.flush();
            int status = ctc_seal_record(handle.codec, sessionAt, ticketAt, serviceAt, s.base + slot);
            return returned(status, s, slot);
        });
    }

    /**
     * Opens a single-logout record read from a store, for the session {@code sessionId} (16
     * hex digits). A store is not trusted: check that the ticket opens ({@link #openExpired}),
     * is one of the session's, and that the URL, if any, is its service.
     *
     * @throws AuthenticationFailedException for a record forged, altered, or sealed for
     *     another session
     * @throws UnknownKeyException for a record sealed under a key the key file does not hold
     * @throws MalformedTicketException ({@code TRUNCATED}) when its length does not add up
     * @throws InvalidClaimsException ({@code SESSION}) when the session id is not 16 hex digits
     * @throws IllegalArgumentException when the session id holds a NUL character
     */
    public LogoutRecord openRecord(String sessionId, byte[] record) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(record, "record");
        byte[] session = text(sessionId, "sessionId");
        return call(size(session) + size(record) + 64L, s -> {
            int ticketSlot = s.reserve(8);
            int serviceSlot = s.reserve(8);
            long sessionAt = s.put(session);
            long recordAt = s.put(record);
            s.flush();
            int status = ctc_open_record(handle.codec, sessionAt, recordAt, record.length,
                    s.base + ticketSlot, s.base + serviceSlot);
            if (status != 0) {
                throw lastError(status);
            }
            long ticket = s.slot(ticketSlot);
            long service = s.slot(serviceSlot);
            try {
                return new LogoutRecord(string(ticket), string(service));
            } finally {
                ctc_string_free(ticket);
                ctc_string_free(service);
            }
        });
    }

    /**
     * The sealed records of a store's field of single-logout records (FORMAT.md §13), oldest
     * first, exactly as a Rust node splits it: each record is 2 bytes of length (big-endian)
     * and that many bytes; the split stops at the first length out of bounds or running past
     * the end, skips a record identical to one already taken, and keeps at most 64 (the
     * library's {@code MAX_RECORDS_PER_SESSION}). No key is needed: open each record with
     * {@link #openRecord}.
     */
    public static List<byte[]> splitRecords(byte[] field) {
        Objects.requireNonNull(field, "field");
        Scratch s = SCRATCH.get();
        s.reset(size(field) + 64L);
        int slot = s.reserve(8);
        long fieldAt = s.put(field);
        s.flush();
        int status = ctc_split_records(fieldAt, field.length, s.base + slot);
        if (status != 0) {
            throw lastError(status);
        }
        long records = s.slot(slot);
        try {
            Pointer view = new Pointer(records);
            long len = view.getLong(R_LEN);
            if (len < 0 || len > 1024) {
                throw new IllegalStateException("a CtcRecords of " + len + " records");
            }
            long items = view.getLong(R_RECORDS);
            List<byte[]> out = new ArrayList<>((int) len);
            for (long i = 0; i < len; i++) {
                out.add(NativeLib.bytes(items + i * B_SIZE));
            }
            return List.copyOf(out);
        } finally {
            ctc_records_free(records);
        }
    }

    /** One native call on this codec, with the calling thread's scratch reset to {@code bytes}. */
    private <T> T call(long bytes, Function<Scratch, T> body) {
        handle.enter();
        try {
            Scratch s = SCRATCH.get();
            s.reset(bytes);
            return body.apply(s);
        } finally {
            handle.exit();
            Reference.reachabilityFence(this);
        }
    }

    /** The {@code CtcBytes} a call stored at {@code slot}, copied then freed. */
    private static byte[] returned(int status, Scratch s, int slot) {
        if (status != 0) {
            throw lastError(status);
        }
        long bytes = s.slot(slot);
        try {
            return NativeLib.bytes(bytes);
        } finally {
            ctc_bytes_free(bytes);
        }
    }

    /** Frees the native keys once the calls in flight have returned. Idempotent. */
    @Override
    public void close() {
        handle.closed = true;
        if (handle.inFlight.get() == 0) {
            cleanable.clean();
        }
    }

    /**
     * A {@code CtcTicket}: the struct in one read, all its strings (which the ABI keeps back
     * to back in {@code text}) in another, then the string arrays.
     */
    private static Ticket read(long address, byte[] view) {
        new Pointer(address).read(0, view, 0, view.length);
        ByteBuffer t = ByteBuffer.wrap(view).order(ByteOrder.nativeOrder());
        Text text = new Text(t.getLong(T_TEXT), t.getInt(T_TEXT_LEN));
        String session = text.at(t.getLong(T_SESSION_ID));
        return new Ticket(
                Kind.fromCode(t.getInt(T_KIND)),
                text.at(t.getLong(T_PRINCIPAL)),
                Instant.ofEpochSecond(t.getLong(T_AUTHENTICATED_AT)),
                text.list(t.getLong(T_METHODS), t.getInt(T_METHODS_LEN)),
                t.getInt(T_REMEMBER_ME) != 0,
                Instant.ofEpochSecond(t.getLong(T_ISSUED_AT)),
                Instant.ofEpochSecond(t.getLong(T_EXPIRES_AT)),
                text.at(t.getLong(T_SERVICE)),
                t.getInt(T_FRESH_LOGIN) != 0,
                text.list(t.getLong(T_PROXIES), t.getInt(T_PROXIES_LEN)),
                text.at(t.getLong(T_PGT_URL)),
                text.list(t.getLong(T_UPSTREAM), t.getInt(T_UPSTREAM_LEN)),
                text.at(t.getLong(T_CLIENT_ID)),
                text.at(t.getLong(T_SCOPE)),
                text.list(t.getLong(T_ID_TOKEN_CLAIMS), t.getInt(T_ID_TOKEN_CLAIMS_LEN)),
                text.list(t.getLong(T_USERINFO_CLAIMS), t.getInt(T_USERINFO_CLAIMS_LEN)),
                text.at(t.getLong(T_GRANT_ID)),
                text.at(t.getLong(T_REDIRECT_URI)),
                text.at(t.getLong(T_NONCE)),
                text.at(t.getLong(T_CODE_CHALLENGE)),
                session,
                session == null ? null : Instant.ofEpochSecond(t.getLong(T_SESSION_ENDS_AT)),
                text.at(t.getLong(T_KEY_ID)),
                text.at(t.getLong(T_ALG)));
    }

    /** The {@code text} of a {@code CtcTicket}, copied to the Java heap. */
    private static final class Text {
        final long base;
        final byte[] bytes;

        Text(long base, int length) {
            this.base = base;
            bytes = new byte[length];
            new Pointer(base).read(0, bytes, 0, length);
        }

        /** The string at {@code address} (inside the text), or null. */
        String at(long address) {
            if (address == 0) {
                return null;
            }
            long offset = address - base;
            if (offset < 0 || offset >= bytes.length) {
                return string(address); // not in the text: read it where it is
            }
            int start = (int) offset;
            int end = start;
            while (end < bytes.length && bytes[end] != 0) {
                end++;
            }
            return new String(bytes, start, end - start, StandardCharsets.UTF_8);
        }

        /** The {@code n} strings of the array at {@code array}. */
        List<String> list(long array, int n) {
            if (array == 0 || n <= 0) {
                return List.of();
            }
            long[] items = new Pointer(array).getLongArray(0, n);
            String[] out = new String[n];
            for (int i = 0; i < n; i++) {
                out[i] = at(items[i]);
            }
            return List.of(out);
        }
    }

    private static long seconds(Instant at) {
        return at == null ? NOW : at.getEpochSecond();
    }

    /**
     * UTF-8 of a ticket's text. A NUL would cut the C string short: it is replaced, so that the
     * library refuses the text as it refuses any that is not a ticket.
     */
    private static byte[] ticketText(String ticket) {
        return utf8(ticket.indexOf('\0') < 0 ? ticket : ticket.replace('\0', '\uFFFD'));
    }

    /** UTF-8 of a claims field; a NUL would cut the C string short, so it is refused. */
    private static byte[] text(String s, String what) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " holds a NUL character");
        }
        return utf8(s);
    }

    /** {@link #text} of a field that may be null (not set). */
    private static byte[] optional(String s, String what) {
        return s == null ? null : text(s, what);
    }

    private static byte[][] texts(List<String> list, String what) {
        byte[][] out = new byte[list.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = text(list.get(i), what);
        }
        return out;
    }

    private static long size(byte[] b) {
        return b == null ? 0 : b.length + 16L;
    }

    private static long size(byte[][] items) {
        long n = 0;
        for (byte[] b : items) {
            n += b.length + 16L + 8;
        }
        return n;
    }

    private static boolean contains(byte[] bytes, byte b) {
        for (byte x : bytes) {
            if (x == b) {
                return true;
            }
        }
        return false;
    }
}
