package cas.ticketcodec;

/** The text is not a ticket of this format; {@link #detail()} says which rule it broke. */
public final class MalformedTicketException extends TicketException {
    private static final long serialVersionUID = 1L;

    /** The rules of FORMAT.md §9. */
    public enum Detail {
        /** The input is empty. */
        EMPTY(10),
        /** No {@code TGT-}, {@code ST-}, {@code PT-} or {@code PGT-} prefix. */
        PREFIX(11),
        /** A character outside {@code 0-9 A-Z a-z} in the body. */
        ALPHABET(12),
        /** A body length no canonical encoding has. */
        LENGTH(13),
        /** Not the canonical spelling of any bytes. */
        NON_CANONICAL(14),
        /** Too short for header, nonce and tag. */
        TRUNCATED(15),
        /** The authenticated payload is not valid claims. */
        PAYLOAD(16),
        /** A rule newer than this binding. */
        OTHER(19);

        final int code;

        Detail(int code) {
            this.code = code;
        }
    }

    private final Detail detail;

    MalformedTicketException(int code, String message) {
        super(code, message);
        Detail found = Detail.OTHER;
        for (Detail d : Detail.values()) {
            if (d.code == code) {
                found = d;
            }
        }
        detail = found;
    }

    /** The rule the text broke. */
    public Detail detail() {
        return detail;
    }
}
