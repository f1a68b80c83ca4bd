package cas.ticketcodec;

/** Claims that cannot be encoded; {@link #reason()} names the offending field. */
public final class InvalidClaimsException extends TicketException {
    private static final long serialVersionUID = 1L;

    /** The field at fault. */
    public enum Reason {
        /** The principal is empty, too long, or contains control characters. */
        PRINCIPAL(20),
        /** A method name is empty, too long or contains control characters. */
        METHOD(21),
        /** More than 8 authentication methods. */
        TOO_MANY_METHODS(22),
        /** The service is not an http or https URL the normalizer accepts. */
        SERVICE(23),
        /** A proxy or callback URL is not accepted, or over 200 bytes once normalized. */
        URL(24),
        /** A proxy chain is empty or too long. */
        PROXY_CHAIN(25),
        /** The lifetime is not positive, or an instant is out of the format's range. */
        VALIDITY(26),
        /** A session id is not 16 hex digits, or the ticket would outlive its session. */
        SESSION(27),
        /** An OAuth client id is empty, over 64 bytes, or not visible ASCII. */
        CLIENT(60),
        /** A scope is not an RFC 6749 scope token, or over 16 are not standard. */
        SCOPE(61),
        /** A claim name is empty, too long or has control characters, or over 16 are asked. */
        CLAIM_NAMES(62),
        /** An OIDC nonce is empty, over 128 bytes, or has control characters. */
        NONCE(63),
        /** A PKCE challenge is not the unpadded base64url of 32 bytes (S256). */
        CODE_CHALLENGE(64),
        /** A grant id is not 16 hex digits. */
        GRANT(65),
        /** A reason newer than this binding. */
        OTHER(29);

        final int code;

        Reason(int code) {
            this.code = code;
        }
    }

    private final Reason reason;

    InvalidClaimsException(int code, String message) {
        super(code, message);
        Reason found = Reason.OTHER;
        for (Reason r : Reason.values()) {
            if (r.code == code) {
                found = r;
            }
        }
        reason = found;
    }

    /** The field at fault. */
    public Reason reason() {
        return reason;
    }
}
