package cas.ticketcodec;

/** The key file cannot be used; {@link #reason()} says why. */
public final class KeyringException extends TicketException {
    private static final long serialVersionUID = 1L;

    /** Why a key file is refused. */
    public enum Reason {
        /** It cannot be read (missing, unreadable). */
        IO(30),
        /** It exists already (writing). */
        ALREADY_EXISTS(31),
        /** It belongs to another user than the one running. */
        NOT_OWNER(32),
        /** Group or others can access it: {@code chmod 600} it. */
        INSECURE_PERMISSIONS(33),
        /** It is not JSON. */
        SYNTAX(34),
        /** Its structure is wrong (unknown version, field or algorithm). */
        FORMAT(35),
        /** A secret is not 32 bytes of base64. */
        BAD_SECRET(36),
        /** A key id is not four hex digits. */
        BAD_KEY_ID(37),
        /** Two keys share an id. */
        DUPLICATE_KEY_ID(38),
        /** No key has the id asked for. */
        NO_SUCH_KEY(39),
        /** The primary key cannot be retired. */
        RETIRE_PRIMARY(40),
        /** No key, or the primary is not one of them. */
        NO_PRIMARY(41),
        /** The OS random source failed. */
        RANDOM(42),
        /** A reason newer than this binding. */
        OTHER(49);

        final int code;

        Reason(int code) {
            this.code = code;
        }
    }

    private final Reason reason;
    private final String keyId;

    KeyringException(int code, String message, int keyId) {
        super(code, message);
        Reason found = Reason.OTHER;
        for (Reason r : Reason.values()) {
            if (r.code == code) {
                found = r;
            }
        }
        reason = found;
        this.keyId = hex(keyId);
    }

    /** Why the key file is refused. */
    public Reason reason() {
        return reason;
    }

    /** The key the error is about (four hex digits), or null. */
    public String keyId() {
        return keyId;
    }
}
