package cas.ticketcodec;

import java.util.Objects;

/**
 * A single-logout record, as {@link TicketCodec#openRecord} opens it from a store (FORMAT.md
 * §13): the text of a validated ST or PT, and its service URL when the ticket holds only a
 * digest of it.
 *
 * @param ticket the ticket's text (spent: useless to replay)
 * @param service the service URL, only if the ticket's service is shortened; else null
 */
public record LogoutRecord(String ticket, String service) {

    /** Checks that there is a ticket. */
    public LogoutRecord {
        Objects.requireNonNull(ticket, "ticket");
    }
}
