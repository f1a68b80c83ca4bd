package cas.ticketcodec;

import java.time.Instant;

/**
 * The ticket is authentic but was issued later than the validation instant, by more than the
 * leeway and the second its whole-second instants may lose: a node whose clock runs ahead, or
 * a ticket made for later.
 */
public final class NotYetValidException extends TicketException {
    private static final long serialVersionUID = 1L;

    private final Instant issuedAt;
    private final Instant now;

    NotYetValidException(int code, String message, Instant issuedAt, Instant now) {
        super(code, message);
        this.issuedAt = issuedAt;
        this.now = now;
    }

    /** The instant the ticket says it was issued. */
    public Instant issuedAt() {
        return issuedAt;
    }

    /** The instant it was validated at. */
    public Instant now() {
        return now;
    }
}
