package cas.ticketcodec;

/** The ticket was sealed under a key id the keyring does not hold (never added, or retired). */
public final class UnknownKeyException extends TicketException {
    private static final long serialVersionUID = 1L;

    private final String keyId;

    UnknownKeyException(int code, String message, String keyId) {
        super(code, message);
        this.keyId = keyId;
    }

    /** The key id found in the ticket, four hex digits. */
    public String keyId() {
        return keyId;
    }
}
