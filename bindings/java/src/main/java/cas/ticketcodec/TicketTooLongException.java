package cas.ticketcodec;

/** The ticket (or the one encode would produce) is over 256 characters. */
public final class TicketTooLongException extends TicketException {
    private static final long serialVersionUID = 1L;

    private final long length;
    private final long max;

    TicketTooLongException(int code, String message, long length, long max) {
        super(code, message);
        this.length = length;
        this.max = max;
    }

    /** The length, in characters (bytes for text that is not ASCII). */
    public long length() {
        return length;
    }

    /** The cap: 256. */
    public long max() {
        return max;
    }
}
