package cas.ticketcodec;

import java.time.Instant;
import java.util.List;

/**
 * An authentic, unexpired ticket: what {@link TicketCodec#decode} returns (or an authentic
 * one whatever its expiry: what {@link TicketCodec#openExpired} returns). Immutable.
 *
 * <p>Fields that do not apply to the kind are null (strings, instants), false or empty
 * lists: {@link #service()} for TGT and PGT, {@link #proxies()} but for a PT, {@link
 * #pgtUrl()} and {@link #upstream()} but for a PGT, {@link #sessionId()} and {@link
 * #sessionEndsAt()} for a ticket outside any SSO session.
 *
 * @param kind the ticket kind
 * @param principal the principal id
 * @param authenticatedAt when the principal authenticated
 * @param methods the authentication method names, in order
 * @param rememberMe whether remember-me (long-term authentication) was asked for
 * @param issuedAt when the ticket was issued
 * @param expiresAt the first instant at which it is no longer valid
 * @param service ST and PT: the service in its stored form (normalized; a prefix and a
 *     digest when long)
 * @param freshLogin ST: issued from a fresh login (what {@code renew=true} requires)
 * @param proxies PT: the proxy chain, most recent first
 * @param pgtUrl PGT: the callback URL it was issued to
 * @param upstream PGT: the proxies upstream of {@code pgtUrl}, most recent first
 * @param sessionId the SSO session id (16 lowercase hex digits), or null
 * @param sessionEndsAt when the session ends, or null
 * @param keyId the id of the key that sealed it (four hex digits)
 * @param alg the algorithm that sealed it ({@code aes256gcm}, {@code xchacha20poly1305})
 */
public record Ticket(
        Kind kind,
        String principal,
        Instant authenticatedAt,
        List<String> methods,
        boolean rememberMe,
        Instant issuedAt,
        Instant expiresAt,
        String service,
        boolean freshLogin,
        List<String> proxies,
        String pgtUrl,
        List<String> upstream,
        String sessionId,
        Instant sessionEndsAt,
        String keyId,
        String alg) {

    /** Copies the lists, so that the record stays immutable. */
    public Ticket {
        methods = List.copyOf(methods);
        proxies = List.copyOf(proxies);
        upstream = List.copyOf(upstream);
    }
}
