package cas.ticketcodec;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An authentic, unexpired ticket: what {@link TicketCodec#decode} returns (or an authentic
 * one whatever its expiry: what {@link TicketCodec#openExpired} returns). Immutable.
 *
 * <p>Fields that do not apply to the kind are null (strings, instants), false or empty
 * lists: {@link #service()} but for ST and PT, {@link #proxies()} but for a PT, {@link
 * #pgtUrl()} and {@link #upstream()} but for a PGT, the OAuth fields ({@link #clientId()} to
 * {@link #grantId()}) but for OC, AT and RT, {@link #redirectUri()}, {@link #nonce()} and
 * {@link #codeChallenge()} but for an OC (and the last two when it has none), {@link
 * #sessionId()} and {@link #sessionEndsAt()} for a ticket outside any SSO session.
 *
 * <p>A token request redeeming a code checks it with {@link #verifyPkce(String)} and {@link
 * #redirectUriIsExactly(String)}.
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
 * @param clientId OC, AT and RT: the OAuth client id
 * @param scope OC, AT and RT: the granted scopes as the {@code scope} parameter writes them
 *     (the standard OIDC scopes first, then the others in byte order), {@code ""} for none
 * @param idTokenClaims OC, AT and RT: the claim names the OIDC claims request asks for in the
 *     ID token, in byte order
 * @param userinfoClaims OC, AT and RT: the claim names it asks for at the userinfo endpoint
 * @param grantId OC, AT and RT: the grant (token family) id, 16 lowercase hex digits
 * @param redirectUri OC: the redirect URI in its stored form (normalized; a prefix and a
 *     digest when long)
 * @param nonce OC: the OIDC nonce, or null
 * @param codeChallenge OC: the PKCE S256 challenge (unpadded base64url), or null
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
        String clientId,
        String scope,
        List<String> idTokenClaims,
        List<String> userinfoClaims,
        String grantId,
        String redirectUri,
        String nonce,
        String codeChallenge,
        String sessionId,
        Instant sessionEndsAt,
        String keyId,
        String alg) {

    /** Copies the lists, so that the record stays immutable. */
    public Ticket {
        methods = List.copyOf(methods);
        proxies = List.copyOf(proxies);
        upstream = List.copyOf(upstream);
        idTokenClaims = List.copyOf(idTokenClaims);
        userinfoClaims = List.copyOf(userinfoClaims);
    }

    /**
     * Whether {@code verifier}, the {@code code_verifier} of a token request, meets this code's
     * PKCE challenge (RFC 7636 §4.6): 43 to 128 characters of {@code A-Z a-z 0-9 - . _ ~}
     * whose SHA-256 is the challenge, compared in constant time by the native library. False
     * for a code without a challenge (a verifier sent for it is refused: RFC 9700 §2.1.1) and
     * for any other kind.
     */
    public boolean verifyPkce(String verifier) {
        return NativeLib.verifyPkce(codeChallenge, Objects.requireNonNull(verifier, "verifier"));
    }

    /**
     * Whether {@code given}, the {@code redirect_uri} of a token request, is identical (RFC
     * 6749 §4.1.3) to this code's: already a normalized URL (nothing is normalized, so {@code
     * https://App.example.edu/cb} is not {@code https://app.example.edu/cb}) whose stored form
     * is {@link #redirectUri()}. False for any other kind.
     */
    public boolean redirectUriIsExactly(String given) {
        return NativeLib.redirectUriIsExactly(redirectUri, Objects.requireNonNull(given, "given"));
    }
}
