package cas.ticketcodec;

import java.time.Instant;

/** The ticket is authentic but its expiration instant (plus the leeway) has passed. */
public final class TicketExpiredException extends TicketException {
    private static final long serialVersionUID = 1L;

    private final Instant expiredAt;
    private final Instant now;

    TicketExpiredException(int code, String message, Instant expiredAt, Instant now) {
        super(code, message);
        this.expiredAt = expiredAt;
        this.now = now;
    }

    /** The instant the ticket stopped being valid. */
    public Instant expiredAt() {
        return expiredAt;
    }

    /** The instant it was validated at. */
    public Instant now() {
        return now;
    }
}
