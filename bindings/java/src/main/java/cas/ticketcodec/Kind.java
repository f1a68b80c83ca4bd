package cas.ticketcodec;

/** The four ticket kinds of the CAS protocol. */
public enum Kind {
    /** Ticket-granting ticket ({@code TGT-}): the SSO session. */
    TGT(1),
    /** Service ticket ({@code ST-}). */
    ST(2),
    /** Proxy ticket ({@code PT-}). */
    PT(3),
    /** Proxy-granting ticket ({@code PGT-}). */
    PGT(4);

    final int code;

    Kind(int code) {
        this.code = code;
    }

    /** The ticket prefix without its hyphen: {@code TGT}, {@code ST}, {@code PT}, {@code PGT}. */
    public String prefix() {
        return name();
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
