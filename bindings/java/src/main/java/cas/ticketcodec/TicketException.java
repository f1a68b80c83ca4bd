package cas.ticketcodec;

import java.time.Instant;

/**
 * Base class of every failure of the codec: one subclass per error kind of the native
 * library. Unchecked, so that codecs can be used in lambdas; catch this class to handle
 * every rejection at once.
 *
 * <p>{@link #code()} is the stable status code of the C ABI ({@code CTC_STATUS_*} in {@code
 * cas_ticket_codec.h}); the message names the reason, never a key, a plaintext or an
 * argument's value.
 */
public class TicketException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    /** A failure with the C ABI's status {@code code}. */
    public TicketException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The stable status code of the C ABI ({@code CTC_STATUS_*}). */
    public int code() {
        return code;
    }

    /** The numbers the native library reported with a failure. */
    record Detail(
            long expiredAt,
            long now,
            int expectedKind,
            int foundKind,
            int keyId,
            int version,
            long length,
            long max,
            long issuedAt) {}

    static final int INVALID_ARGUMENT = 91;
    static final int NULL_ARGUMENT = 90;

    /** The exception of a native status; {@link IllegalArgumentException} for bad arguments. */
    static RuntimeException of(int code, String message, Detail d) {
        if (code >= 10 && code <= 19) {
            return new MalformedTicketException(code, message);
        }
        if ((code >= 20 && code <= 29) || (code >= 60 && code <= 69)) {
            return new InvalidClaimsException(code, message);
        }
        if (code >= 30 && code <= 49) {
            return new KeyringException(code, message, d.keyId());
        }
        return switch (code) {
            case 1 -> new TicketTooLongException(code, message, d.length(), d.max());
            case 2 -> new UnsupportedVersionException(code, message, d.version());
            case 3 -> new UnknownKeyException(code, message, hex(d.keyId()));
            case 4 -> new AuthenticationFailedException(code, message);
            case 5 -> new TicketExpiredException(
                    code,
                    message,
                    Instant.ofEpochSecond(d.expiredAt()),
                    Instant.ofEpochSecond(d.now()));
            case 6 -> new WrongKindException(
                    code, message, Kind.fromCode(d.expectedKind()), Kind.fromCode(d.foundKind()));
            case 7 -> new ServiceMismatchException(code, message);
            case 8 -> new NotYetValidException(
                    code,
                    message,
                    Instant.ofEpochSecond(d.issuedAt()),
                    Instant.ofEpochSecond(d.now()));
            case NULL_ARGUMENT, INVALID_ARGUMENT -> new IllegalArgumentException(message);
            default -> new TicketException(code, message);
        };
    }

    static String hex(int keyId) {
        return keyId < 0 ? null : String.format("%04x", keyId);
    }
}
