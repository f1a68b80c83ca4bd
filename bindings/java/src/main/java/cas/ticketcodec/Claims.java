package cas.ticketcodec;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link TicketCodec#encode} seals: built with {@link #builder(Kind, String)} or the
 * per-kind shortcuts. The native library checks every field when the ticket is encoded
 * ({@link InvalidClaimsException} names the field that is wrong).
 *
 * <pre>{@code
 * Claims st = Claims.serviceTicket("jdoe@example.edu", "https://app.example.edu/")
 *         .method("Password")
 *         .build();
 * }</pre>
 *
 * <p>An OAuth 2.0 code or token ({@link #authorizationCode}, {@link #accessToken}, {@link
 * #refreshToken}) carries a client, the granted scopes, the OIDC claims request and a grant
 * id; a code also its redirect URI, the OIDC nonce and the PKCE challenge:
 *
 * <pre>{@code
 * Claims code = Claims.authorizationCode("jdoe@example.edu", "moodle", redirectUri)
 *         .scope("openid profile")
 *         .nonce(nonce)
 *         .codeChallenge(challenge)
 *         .build();
 * }</pre>
 *
 * <p>Instants left unset mean "now, when encoded"; instants and lifetimes are kept to the
 * second. The default lifetimes are those of {@code ticketctl}: ST and PT 10 s, TGT 8 h, PGT
 * 2 h, OC 30 s, AT 1 h, RT 8 h. A grant id left unset is a fresh random one.
 */
public final class Claims {
    final Kind kind;
    final String principal;
    final Instant authenticatedAt;
    final List<String> methods;
    final boolean rememberMe;
    final String service;
    final boolean freshLogin;
    final List<String> proxies;
    final String pgtUrl;
    final List<String> upstream;
    final Instant issuedAt;
    final Duration lifetime;
    final String sessionId;
    final Instant sessionEndsAt;
    final String clientId;
    final String scope;
    final String grantId;
    final List<String> idTokenClaims;
    final List<String> userinfoClaims;
    final String redirectUri;
    final String nonce;
    final String codeChallenge;

    private Claims(Builder b) {
        kind = b.kind;
        principal = b.principal;
        authenticatedAt = b.authenticatedAt;
        methods = List.copyOf(b.methods);
        rememberMe = b.rememberMe;
        service = b.service;
        freshLogin = b.freshLogin;
        proxies = List.copyOf(b.proxies);
        pgtUrl = b.pgtUrl;
        upstream = List.copyOf(b.upstream);
        issuedAt = b.issuedAt;
        lifetime = b.lifetime != null ? b.lifetime : defaultLifetime(b.kind);
        sessionId = b.sessionId;
        sessionEndsAt = b.sessionEndsAt;
        clientId = b.clientId;
        scope = b.scope;
        grantId = b.grantId;
        idTokenClaims = List.copyOf(b.idTokenClaims);
        userinfoClaims = List.copyOf(b.userinfoClaims);
        redirectUri = b.redirectUri;
        nonce = b.nonce;
        codeChallenge = b.codeChallenge;
    }

    /**
     * The default lifetime of a kind: ST and PT 10 s, TGT 8 h, PGT 2 h, OC 30 s, AT 1 h, RT
     * 8 h.
     */
    public static Duration defaultLifetime(Kind kind) {
        return switch (kind) {
            case TGT, RT -> Duration.ofHours(8);
            case PGT -> Duration.ofHours(2);
            case ST, PT -> Duration.ofSeconds(10);
            case OC -> Duration.ofSeconds(30);
            case AT -> Duration.ofHours(1);
        };
    }

    /** The kind of ticket these claims make. */
    public Kind kind() {
        return kind;
    }

    /** A builder for claims of {@code kind} for {@code principal}. */
    public static Builder builder(Kind kind, String principal) {
        return new Builder(kind, principal);
    }

    /** A TGT for {@code principal}; {@link Builder#newSession()} opens an SSO session. */
    public static Builder ticketGrantingTicket(String principal) {
        return builder(Kind.TGT, principal);
    }

    /** An ST for {@code principal} and {@code service}. */
    public static Builder serviceTicket(String principal, String service) {
        return builder(Kind.ST, principal).service(service);
    }

    /** A PT for {@code service}, through {@code proxies} (most recent first). */
    public static Builder proxyTicket(String principal, String service, List<String> proxies) {
        return builder(Kind.PT, principal).service(service).proxies(proxies);
    }

    /** A PGT issued to the callback {@code pgtUrl}. */
    public static Builder proxyGrantingTicket(String principal, String pgtUrl) {
        return builder(Kind.PGT, principal).pgtUrl(pgtUrl);
    }

    /**
     * An OAuth 2.0 authorization code for {@code principal}, granted to {@code clientId} at the
     * {@code redirectUri} of its authorization request.
     */
    public static Builder authorizationCode(String principal, String clientId, String redirectUri) {
        return builder(Kind.OC, principal).clientId(clientId).redirectUri(redirectUri);
    }

    /** An OAuth 2.0 access token for {@code principal}, granted to {@code clientId}. */
    public static Builder accessToken(String principal, String clientId) {
        return builder(Kind.AT, principal).clientId(clientId);
    }

    /** An OAuth 2.0 refresh token for {@code principal}, granted to {@code clientId}. */
    public static Builder refreshToken(String principal, String clientId) {
        return builder(Kind.RT, principal).clientId(clientId);
    }

    /** Builds {@link Claims}; not thread-safe. */
    public static final class Builder {
        private final Kind kind;
        private final String principal;
        private Instant authenticatedAt;
        private final List<String> methods = new ArrayList<>();
        private boolean rememberMe;
        private String service;
        private boolean freshLogin;
        private final List<String> proxies = new ArrayList<>();
        private String pgtUrl;
        private final List<String> upstream = new ArrayList<>();
        private Instant issuedAt;
        private Duration lifetime;
        private String sessionId;
        private Instant sessionEndsAt;
        private String clientId;
        private String scope;
        private String grantId;
        private final List<String> idTokenClaims = new ArrayList<>();
        private final List<String> userinfoClaims = new ArrayList<>();
        private String redirectUri;
        private String nonce;
        private String codeChallenge;

        private Builder(Kind kind, String principal) {
            this.kind = Objects.requireNonNull(kind, "kind");
            this.principal = Objects.requireNonNull(principal, "principal");
        }

        /** When the principal authenticated (default: now, when encoded). */
        public Builder authenticatedAt(Instant at) {
            authenticatedAt = Objects.requireNonNull(at, "authenticatedAt");
            return this;
        }

        /** Adds an authentication method or handler name ({@code Password}); at most 8. */
        public Builder method(String name) {
            methods.add(Objects.requireNonNull(name, "method"));
            return this;
        }

        /** Adds authentication method names. */
        public Builder methods(List<String> names) {
            names.forEach(this::method);
            return this;
        }

        /** Sets the remember-me flag. */
        public Builder rememberMe(boolean on) {
            rememberMe = on;
            return this;
        }

        /** ST and PT: the service URL. */
        public Builder service(String url) {
            service = Objects.requireNonNull(url, "service");
            return this;
        }

        /** ST: issued from a fresh login (what {@code renew=true} validation requires). */
        public Builder freshLogin(boolean on) {
            freshLogin = on;
            return this;
        }

        /** PT: adds a proxy of the chain (most recent first). */
        public Builder proxy(String url) {
            proxies.add(Objects.requireNonNull(url, "proxy"));
            return this;
        }

        /** PT: adds proxies of the chain (most recent first). */
        public Builder proxies(List<String> urls) {
            urls.forEach(this::proxy);
            return this;
        }

        /** PGT: the callback URL the PGT is issued to. */
        public Builder pgtUrl(String url) {
            pgtUrl = Objects.requireNonNull(url, "pgtUrl");
            return this;
        }

        /** PGT: adds a proxy upstream of the callback (most recent first); at most 7. */
        public Builder upstream(String url) {
            upstream.add(Objects.requireNonNull(url, "upstream"));
            return this;
        }

        /** PGT: adds proxies upstream of the callback. */
        public Builder upstream(List<String> urls) {
            urls.forEach(this::upstream);
            return this;
        }

        /** When the ticket is issued (default: now, when encoded). */
        public Builder issuedAt(Instant at) {
            issuedAt = Objects.requireNonNull(at, "issuedAt");
            return this;
        }

        /** How long the ticket lives, in whole seconds (default per kind). */
        public Builder lifetime(Duration d) {
            lifetime = Objects.requireNonNull(d, "lifetime");
            return this;
        }

        /** A TGT opening a new SSO session (a fresh random id, ending when the TGT expires). */
        public Builder newSession() {
            sessionId = "new";
            sessionEndsAt = null;
            return this;
        }

        /**
         * The SSO session the ticket belongs to: its id (16 hex digits) and end. A ticket
         * must not outlive its session; a TGT's session ends when it expires ({@code
         * endsAt} may then be null).
         */
        public Builder session(String id, Instant endsAt) {
            sessionId = Objects.requireNonNull(id, "session id");
            sessionEndsAt = endsAt;
            return this;
        }

        /** OC, AT and RT: the OAuth client id (1 to 64 characters of visible ASCII). */
        public Builder clientId(String id) {
            clientId = Objects.requireNonNull(id, "clientId");
            return this;
        }

        /**
         * OC, AT and RT: the granted scopes as the {@code scope} parameter writes them,
         * separated by single spaces ({@code "openid profile"}); default none.
         */
        public Builder scope(String scopes) {
            scope = Objects.requireNonNull(scopes, "scope");
            return this;
        }

        /**
         * OC, AT and RT: the grant (token family) id, 16 hex digits (default: a fresh random
         * one, for a code starting a grant; its tokens carry the code's).
         */
        public Builder grantId(String hex) {
            grantId = Objects.requireNonNull(hex, "grantId");
            return this;
        }

        /** OC, AT and RT: adds a claim the OIDC claims request asks for in the ID token. */
        public Builder idTokenClaim(String name) {
            idTokenClaims.add(Objects.requireNonNull(name, "idTokenClaim"));
            return this;
        }

        /** OC, AT and RT: adds claims asked for in the ID token; at most 16 in all. */
        public Builder idTokenClaims(List<String> names) {
            names.forEach(this::idTokenClaim);
            return this;
        }

        /** OC, AT and RT: adds a claim the OIDC claims request asks for at userinfo. */
        public Builder userinfoClaim(String name) {
            userinfoClaims.add(Objects.requireNonNull(name, "userinfoClaim"));
            return this;
        }

        /** OC, AT and RT: adds claims asked for at the userinfo endpoint; at most 16 in all. */
        public Builder userinfoClaims(List<String> names) {
            names.forEach(this::userinfoClaim);
            return this;
        }

        /** OC: the {@code redirect_uri} of the authorization request. */
        public Builder redirectUri(String url) {
            redirectUri = Objects.requireNonNull(url, "redirectUri");
            return this;
        }

        /** OC: the OIDC nonce of the authorization request (1 to 128 bytes of UTF-8). */
        public Builder nonce(String text) {
            nonce = Objects.requireNonNull(text, "nonce");
            return this;
        }

        /** OC: the PKCE S256 {@code code_challenge} (the unpadded base64url of 32 bytes). */
        public Builder codeChallenge(String challenge) {
            codeChallenge = Objects.requireNonNull(challenge, "codeChallenge");
            return this;
        }

        /** The claims. */
        public Claims build() {
            return new Claims(this);
        }
    }
}
