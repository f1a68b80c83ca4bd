package cas.ticketcodec;

/**
 * The ticket (or the one encode would produce) is over its kind's cap: 256 characters, 384
 * for a code ({@link Kind#OC}); any text over 384 is refused before its prefix is read.
 */
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

    /** The cap the library applied: 256, or 384 for a code or a text without its prefix read. */
    public long max() {
        return max;
    }
}
