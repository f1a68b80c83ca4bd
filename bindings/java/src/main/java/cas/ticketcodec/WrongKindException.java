package cas.ticketcodec;

/** The ticket is of another kind than the one asked for. */
public final class WrongKindException extends TicketException {
    private static final long serialVersionUID = 1L;

    private final Kind expected;
    private final Kind found;

    WrongKindException(int code, String message, Kind expected, Kind found) {
        super(code, message);
        this.expected = expected;
        this.found = found;
    }

    /** The kind asked for. */
    public Kind expected() {
        return expected;
    }

    /** The kind of the ticket. */
    public Kind found() {
        return found;
    }
}
