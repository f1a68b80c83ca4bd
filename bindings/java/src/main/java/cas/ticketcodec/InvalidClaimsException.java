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
