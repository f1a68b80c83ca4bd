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
 * <p>Instants left unset mean "now, when encoded"; instants and lifetimes are kept to the
 * second. The default lifetimes are those of {@code ticketctl}: ST and PT 10 s, TGT 8 h, PGT
 * 2 h.
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
    }

    /** The default lifetime of a kind: ST and PT 10 s, TGT 8 h, PGT 2 h. */
    public static Duration defaultLifetime(Kind kind) {
        return switch (kind) {
            case TGT -> Duration.ofHours(8);
            case PGT -> Duration.ofHours(2);
            case ST, PT -> Duration.ofSeconds(10);
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

        /** The claims. */
        public Claims build() {
            return new Claims(this);
        }
    }
}
