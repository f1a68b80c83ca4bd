package cas.ticketcodec;

/**
 * The four ticket kinds of the CAS protocol, and the three of OAuth 2.0 and OpenID Connect
 * ({@link #OC}, {@link #AT}, {@link #RT}), which carry a client, scopes and a grant ({@link
 * Claims.Builder#clientId}).
 */
public enum Kind {
    /** Ticket-granting ticket ({@code TGT-}): the SSO session. */
    TGT(1),
    /** Service ticket ({@code ST-}). */
    ST(2),
    /** Proxy ticket ({@code PT-}). */
    PT(3),
    /** Proxy-granting ticket ({@code PGT-}). */
    PGT(4),
    /** OAuth 2.0 authorization code ({@code OC-}), at most 384 characters. */
    OC(5),
    /** OAuth 2.0 access token ({@code AT-}). */
    AT(6),
    /** OAuth 2.0 refresh token ({@code RT-}). */
    RT(7);

    final int code;

    Kind(int code) {
        this.code = code;
    }

    /**
     * The ticket prefix without its hyphen: {@code TGT}, {@code ST}, {@code PT}, {@code PGT},
     * {@code OC}, {@code AT}, {@code RT}.
     */
    public String prefix() {
        return name();
    }

    /** Whether this is a kind of OAuth 2.0 ({@code OC}, {@code AT}, {@code RT}). */
    public boolean isOAuth() {
        return this == OC || this == AT || this == RT;
    }

    /** The kind whose prefix is {@code prefix} ({@code "ST"}), or null. */
    public static Kind fromPrefix(String prefix) {
        for (Kind k : values()) {
            if (k.name().equals(prefix)) {
                return k;
            }
        }
        return null;
    }

    static Kind fromCode(int code) {
        for (Kind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        throw new IllegalStateException("unknown kind number " + code);
    }
}
