package cas.ticketcodec;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A validated ticket and the names a store shared with other nodes knows it by (FORMAT.md
 * §13): what {@link TicketCodec#decodeForStore} returns. Immutable: the ids are copied in and
 * out.
 *
 * @param ticket the validated ticket
 * @param replayId its replay id, 16 bytes: the name of the spent ticket in the store
 * @param principalId its principal's id under the key that sealed it, 16 bytes: what names a
 *     principal whose sessions an administrator ended
 */
public record StoreTicket(Ticket ticket, byte[] replayId, byte[] principalId) {

    /** Copies the ids. */
    public StoreTicket {
        Objects.requireNonNull(ticket, "ticket");
        replayId = replayId.clone();
        principalId = principalId.clone();
    }

    /** Its replay id, 16 bytes (a copy). */
    @Override
    public byte[] replayId() {
        return replayId.clone();
    }

    /** Its principal's id, 16 bytes (a copy). */
    @Override
    public byte[] principalId() {
        return principalId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoreTicket other
                && ticket.equals(other.ticket)
                && Arrays.equals(replayId, other.replayId)
                && Arrays.equals(principalId, other.principalId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ticket, Arrays.hashCode(replayId), Arrays.hashCode(principalId));
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return "StoreTicket[ticket=" + ticket + ", replayId=" + hex.formatHex(replayId)
                + ", principalId=" + hex.formatHex(principalId) + "]";
    }
}
