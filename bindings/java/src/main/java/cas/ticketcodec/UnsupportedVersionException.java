package cas.ticketcodec;

/** The ticket names a format version this build cannot read. */
public final class UnsupportedVersionException extends TicketException {
    private static final long serialVersionUID = 1L;

    private final int version;

    UnsupportedVersionException(int code, String message, int version) {
        super(code, message);
        this.version = version;
    }

    /** The version byte found in the ticket. */
    public int version() {
        return version;
    }
}
