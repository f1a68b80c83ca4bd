package cas.ticketcodec;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The C ABI of {@code libcas_ticket_codec_c}, bound with JNA's direct mapping (the fastest
 * JNA call path: no proxy, no reflection per call). The structs are laid out by JNA's
 * {@link Structure} rules once, at class load; each call then writes and reads its fields at
 * those offsets in a per-thread scratch buffer, so that a call allocates no native memory.
 *
 * <p>The library is found as JNA finds libraries ({@code jna.library.path}, the system's
 * paths), or at the path of the system property {@code cas.ticketcodec.library}.
 */
final class NativeLib {
    private NativeLib() {}

    /** {@code CTC_ABI_VERSION} of the header this binding was written against. */
    static final int ABI_VERSION = 3;
    /** {@code CTC_NOW}. */
    static final long NOW = Long.MIN_VALUE;

    static {
        if (Native.POINTER_SIZE != 8) {
            throw new UnsatisfiedLinkError("cas-ticket-codec's Java binding needs a 64-bit JVM");
        }
        String path = System.getProperty("cas.ticketcodec.library", "cas_ticket_codec_c");
        Native.register(NativeLib.class, NativeLibrary.getInstance(path));
        int abi = ctc_abi_version();
        if (abi != ABI_VERSION) {
            throw new UnsatisfiedLinkError(
                    "libcas_ticket_codec_c has ABI " + abi + "; this binding needs " + ABI_VERSION);
        }
    }

    // Pointers are passed as addresses (long): this binding runs on 64-bit JVMs only, where
    // a pointer and a Java long travel in the same register, and JNA's direct mapping then
    // converts nothing.

    static native int ctc_abi_version();

    static native int ctc_codec_load(long path, long out);

    static native void ctc_codec_free(long codec);

    static native int ctc_encode(long codec, long claims, long out);

    static native int ctc_decode(
            long codec, long ticket, long service, int kind, long now, long leeway, long out);

    static native void ctc_ticket_free(long ticket);

    static native void ctc_string_free(long s);

    static native long ctc_last_error_message();

    static native int ctc_last_error_detail(long out);

    static native int ctc_ticket_replay_id(long codec, long ticket, long out);

    static native int ctc_ticket_principal_id(long codec, long ticket, long out);

    static native int ctc_principal_ids(long codec, long principal, long out);

    static native int ctc_seal_record(
            long codec, long sessionId, long ticket, long service, long out);

    static native int ctc_open_record(
            long codec, long sessionId, long record, long recordLen, long ticketOut,
            long serviceOut);

    static native int ctc_open_expired(long codec, long ticket, long out);

    static native void ctc_bytes_free(long bytes);

    static native int ctc_split_records(long field, long fieldLen, long out);

    static native void ctc_records_free(long records);

    static native int ctc_verify_pkce(long challenge, long verifier, long matches);

    static native int ctc_redirect_uri_is_exactly(long stored, long given, long matches);

    /** {@code CtcClaims}, for its layout only. */
    @Structure.FieldOrder({
        "kind", "principal", "authenticated_at", "methods", "methods_len", "remember_me",
        "service", "fresh_login", "proxies", "proxies_len", "pgt_url", "upstream", "upstream_len",
        "issued_at", "lifetime_seconds", "session_id", "session_ends_at", "client_id", "scope",
        "grant_id", "id_token_claims", "id_token_claims_len", "userinfo_claims",
        "userinfo_claims_len", "redirect_uri", "nonce", "code_challenge"
    })
    public static final class ClaimsLayout extends Structure {
        public int kind;
        public Pointer principal;
        public long authenticated_at;
        public Pointer methods;
        public int methods_len;
        public int remember_me;
        public Pointer service;
        public int fresh_login;
        public Pointer proxies;
        public int proxies_len;
        public Pointer pgt_url;
        public Pointer upstream;
        public int upstream_len;
        public long issued_at;
        public long lifetime_seconds;
        public Pointer session_id;
        public long session_ends_at;
        public Pointer client_id;
        public Pointer scope;
        public Pointer grant_id;
        public Pointer id_token_claims;
        public int id_token_claims_len;
        public Pointer userinfo_claims;
        public int userinfo_claims_len;
        public Pointer redirect_uri;
        public Pointer nonce;
        public Pointer code_challenge;

        int offset(String field) {
            return fieldOffset(field);
        }
    }

    /** {@code CtcTicket}, for its layout only. */
    @Structure.FieldOrder({
        "kind", "principal", "authenticated_at", "methods", "methods_len", "remember_me",
        "service", "fresh_login", "proxies", "proxies_len", "pgt_url", "upstream", "upstream_len",
        "issued_at", "expires_at", "session_id", "session_ends_at", "client_id", "scope",
        "grant_id", "id_token_claims", "id_token_claims_len", "userinfo_claims",
        "userinfo_claims_len", "redirect_uri", "nonce", "code_challenge", "key_id", "alg", "text",
        "text_len"
    })
    public static final class TicketLayout extends Structure {
        public int kind;
        public Pointer principal;
        public long authenticated_at;
        public Pointer methods;
        public int methods_len;
        public int remember_me;
        public Pointer service;
        public int fresh_login;
        public Pointer proxies;
        public int proxies_len;
        public Pointer pgt_url;
        public Pointer upstream;
        public int upstream_len;
        public long issued_at;
        public long expires_at;
        public Pointer session_id;
        public long session_ends_at;
        public Pointer client_id;
        public Pointer scope;
        public Pointer grant_id;
        public Pointer id_token_claims;
        public int id_token_claims_len;
        public Pointer userinfo_claims;
        public int userinfo_claims_len;
        public Pointer redirect_uri;
        public Pointer nonce;
        public Pointer code_challenge;
        public Pointer key_id;
        public Pointer alg;
        public Pointer text;
        public int text_len;

        int offset(String field) {
            return fieldOffset(field);
        }
    }

    /** {@code CtcErrorDetail}, for its layout only. */
    @Structure.FieldOrder({
        "status", "expired_at", "now", "expected_kind", "found_kind", "key_id", "version",
        "length", "max", "issued_at"
    })
    public static final class DetailLayout extends Structure {
        public int status;
        public long expired_at;
        public long now;
        public int expected_kind;
        public int found_kind;
        public int key_id;
        public int version;
        public long length;
        public long max;
        public long issued_at;

        int offset(String field) {
            return fieldOffset(field);
        }
    }

    /** {@code CtcBytes}, for its layout only. */
    @Structure.FieldOrder({"data", "len"})
    public static final class BytesLayout extends Structure {
        public Pointer data;
        /** A {@code size_t}: 8 bytes on the 64-bit platforms this binding runs on. */
        public long len;

        int offset(String field) {
            return fieldOffset(field);
        }
    }

    /** {@code CtcRecords}, for its layout only. */
    @Structure.FieldOrder({"records", "len"})
    public static final class RecordsLayout extends Structure {
        public Pointer records;
        /** A {@code size_t}: 8 bytes on the 64-bit platforms this binding runs on. */
        public long len;

        int offset(String field) {
            return fieldOffset(field);
        }
    }

    // Field offsets, computed once by JNA from the C layout rules.
    static final int C_SIZE;
    static final int C_KIND;
    static final int C_PRINCIPAL;
    static final int C_AUTHENTICATED_AT;
    static final int C_METHODS;
    static final int C_METHODS_LEN;
    static final int C_REMEMBER_ME;
    static final int C_SERVICE;
    static final int C_FRESH_LOGIN;
    static final int C_PROXIES;
    static final int C_PROXIES_LEN;
    static final int C_PGT_URL;
    static final int C_UPSTREAM;
    static final int C_UPSTREAM_LEN;
    static final int C_ISSUED_AT;
    static final int C_LIFETIME;
    static final int C_SESSION_ID;
    static final int C_SESSION_ENDS_AT;
    static final int C_CLIENT_ID;
    static final int C_SCOPE;
    static final int C_GRANT_ID;
    static final int C_ID_TOKEN_CLAIMS;
    static final int C_ID_TOKEN_CLAIMS_LEN;
    static final int C_USERINFO_CLAIMS;
    static final int C_USERINFO_CLAIMS_LEN;
    static final int C_REDIRECT_URI;
    static final int C_NONCE;
    static final int C_CODE_CHALLENGE;

    static final int T_SIZE;
    static final int T_KIND;
    static final int T_PRINCIPAL;
    static final int T_AUTHENTICATED_AT;
    static final int T_METHODS;
    static final int T_METHODS_LEN;
    static final int T_REMEMBER_ME;
    static final int T_SERVICE;
    static final int T_FRESH_LOGIN;
    static final int T_PROXIES;
    static final int T_PROXIES_LEN;
    static final int T_PGT_URL;
    static final int T_UPSTREAM;
    static final int T_UPSTREAM_LEN;
    static final int T_ISSUED_AT;
    static final int T_EXPIRES_AT;
    static final int T_SESSION_ID;
    static final int T_SESSION_ENDS_AT;
    static final int T_CLIENT_ID;
    static final int T_SCOPE;
    static final int T_GRANT_ID;
    static final int T_ID_TOKEN_CLAIMS;
    static final int T_ID_TOKEN_CLAIMS_LEN;
    static final int T_USERINFO_CLAIMS;
    static final int T_USERINFO_CLAIMS_LEN;
    static final int T_REDIRECT_URI;
    static final int T_NONCE;
    static final int T_CODE_CHALLENGE;
    static final int T_KEY_ID;
    static final int T_ALG;
    static final int T_TEXT;
    static final int T_TEXT_LEN;

    static final int B_DATA;
    static final int B_LEN;
    static final int B_SIZE;

    static final int R_RECORDS;
    static final int R_LEN;

    static final int D_SIZE;
    static final int D_EXPIRED_AT;
    static final int D_NOW;
    static final int D_EXPECTED_KIND;
    static final int D_FOUND_KIND;
    static final int D_KEY_ID;
    static final int D_VERSION;
    static final int D_LENGTH;
    static final int D_MAX;
    static final int D_ISSUED_AT;

    static {
        ClaimsLayout c = new ClaimsLayout();
        C_SIZE = c.size();
        C_KIND = c.offset("kind");
        C_PRINCIPAL = c.offset("principal");
        C_AUTHENTICATED_AT = c.offset("authenticated_at");
        C_METHODS = c.offset("methods");
        C_METHODS_LEN = c.offset("methods_len");
        C_REMEMBER_ME = c.offset("remember_me");
        C_SERVICE = c.offset("service");
        C_FRESH_LOGIN = c.offset("fresh_login");
        C_PROXIES = c.offset("proxies");
        C_PROXIES_LEN = c.offset("proxies_len");
        C_PGT_URL = c.offset("pgt_url");
        C_UPSTREAM = c.offset("upstream");
        C_UPSTREAM_LEN = c.offset("upstream_len");
        C_ISSUED_AT = c.offset("issued_at");
        C_LIFETIME = c.offset("lifetime_seconds");
        C_SESSION_ID = c.offset("session_id");
        C_SESSION_ENDS_AT = c.offset("session_ends_at");
        C_CLIENT_ID = c.offset("client_id");
        C_SCOPE = c.offset("scope");
        C_GRANT_ID = c.offset("grant_id");
        C_ID_TOKEN_CLAIMS = c.offset("id_token_claims");
        C_ID_TOKEN_CLAIMS_LEN = c.offset("id_token_claims_len");
        C_USERINFO_CLAIMS = c.offset("userinfo_claims");
        C_USERINFO_CLAIMS_LEN = c.offset("userinfo_claims_len");
        C_REDIRECT_URI = c.offset("redirect_uri");
        C_NONCE = c.offset("nonce");
        C_CODE_CHALLENGE = c.offset("code_challenge");
        TicketLayout t = new TicketLayout();
        T_SIZE = t.size();
        T_KIND = t.offset("kind");
        T_PRINCIPAL = t.offset("principal");
        T_AUTHENTICATED_AT = t.offset("authenticated_at");
        T_METHODS = t.offset("methods");
        T_METHODS_LEN = t.offset("methods_len");
        T_REMEMBER_ME = t.offset("remember_me");
        T_SERVICE = t.offset("service");
        T_FRESH_LOGIN = t.offset("fresh_login");
        T_PROXIES = t.offset("proxies");
        T_PROXIES_LEN = t.offset("proxies_len");
        T_PGT_URL = t.offset("pgt_url");
        T_UPSTREAM = t.offset("upstream");
        T_UPSTREAM_LEN = t.offset("upstream_len");
        T_ISSUED_AT = t.offset("issued_at");
        T_EXPIRES_AT = t.offset("expires_at");
        T_SESSION_ID = t.offset("session_id");
        T_SESSION_ENDS_AT = t.offset("session_ends_at");
        T_CLIENT_ID = t.offset("client_id");
        T_SCOPE = t.offset("scope");
        T_GRANT_ID = t.offset("grant_id");
        T_ID_TOKEN_CLAIMS = t.offset("id_token_claims");
        T_ID_TOKEN_CLAIMS_LEN = t.offset("id_token_claims_len");
        T_USERINFO_CLAIMS = t.offset("userinfo_claims");
        T_USERINFO_CLAIMS_LEN = t.offset("userinfo_claims_len");
        T_REDIRECT_URI = t.offset("redirect_uri");
        T_NONCE = t.offset("nonce");
        T_CODE_CHALLENGE = t.offset("code_challenge");
        T_KEY_ID = t.offset("key_id");
        T_ALG = t.offset("alg");
        T_TEXT = t.offset("text");
        T_TEXT_LEN = t.offset("text_len");
        BytesLayout b = new BytesLayout();
        B_DATA = b.offset("data");
        B_LEN = b.offset("len");
        B_SIZE = b.size();
        RecordsLayout r = new RecordsLayout();
        R_RECORDS = r.offset("records");
        R_LEN = r.offset("len");
        DetailLayout d = new DetailLayout();
        D_SIZE = d.size();
        D_EXPIRED_AT = d.offset("expired_at");
        D_NOW = d.offset("now");
        D_EXPECTED_KIND = d.offset("expected_kind");
        D_FOUND_KIND = d.offset("found_kind");
        D_KEY_ID = d.offset("key_id");
        D_VERSION = d.offset("version");
        D_LENGTH = d.offset("length");
        D_MAX = d.offset("max");
        D_ISSUED_AT = d.offset("issued_at");
    }

    /**
     * A thread's native scratch memory and its image in the Java heap. A call lays out its
     * struct, strings and pointer arrays in the image (pointers computed from the native
     * base address), then copies it to native memory in one write: one JNI crossing instead
     * of one per field. Grown (never shrunk) when a call needs more; used by one thread at a
     * time, for one call.
     */
    static final class Scratch {
        Memory memory;
        long base;
        ByteBuffer image;
        /** A copy of one {@code CtcTicket}, read in one JNI crossing. */
        final byte[] view = new byte[T_SIZE];

        Scratch() {
            allocate(4096);
        }

        private void allocate(long bytes) {
            if (memory != null) {
                memory.close();
            }
            memory = new Memory(bytes);
            base = Pointer.nativeValue(memory);
            image = ByteBuffer.allocate((int) bytes).order(ByteOrder.nativeOrder());
        }

        /** Starts a call needing at most {@code bytes} bytes: grows, zeroes, rewinds. */
        void reset(long bytes) {
            if (bytes > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("arguments too large");
            }
            if (memory.size() < bytes) {
                allocate(Math.max(bytes, memory.size() * 2));
            }
            Arrays.fill(image.array(), 0, image.position(), (byte) 0);
            image.clear();
        }

        /** Reserves {@code bytes} zeroed bytes, 8-aligned; returns their offset. */
        int reserve(int bytes) {
            int at = image.position();
            image.position((at + bytes + 7) & -8);
            return at;
        }

        /** Writes {@code utf8} and a NUL; returns its native address. */
        long put(byte[] utf8) {
            int at = reserve(utf8.length + 1);
            image.put(at, utf8);
            return base + at;
        }

        /** Writes {@code utf8} and a NUL when not null; returns its native address, or 0. */
        long putOptional(byte[] utf8) {
            return utf8 == null ? 0 : put(utf8);
        }

        /** Writes strings and an array of their addresses; returns the array's address. */
        long putArray(byte[][] items) {
            if (items.length == 0) {
                return 0;
            }
            int array = reserve(items.length * 8);
            for (int i = 0; i < items.length; i++) {
                image.putLong(array + i * 8, put(items[i]));
            }
            return base + array;
        }

        /** Copies the image to native memory. */
        void flush() {
            memory.write(0, image.array(), 0, image.position());
        }

        /** The pointer a call stored at offset {@code slot}. */
        long slot(int slot) {
            return memory.getLong(slot);
        }
    }

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** UTF-8 bytes (NUL added when written). */
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The NUL-terminated UTF-8 string at {@code address}, or null. */
    static String string(long address) {
        return address == 0 ? null : new Pointer(address).getString(0, "UTF-8");
    }

    /** A copy of the bytes of the {@code CtcBytes} at {@code address} (not freed). */
    static byte[] bytes(long address) {
        Pointer view = new Pointer(address);
        long data = view.getLong(B_DATA);
        long len = view.getLong(B_LEN);
        if (len < 0 || len > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a CtcBytes of " + len + " bytes");
        }
        byte[] out = new byte[(int) len];
        if (len > 0) {
            new Pointer(data).read(0, out, 0, out.length);
        }
        return out;
    }

    /**
     * One of the checks of a token request that take two strings and answer with an {@code
     * int32_t} ({@code ctc_verify_pkce}, {@code ctc_redirect_uri_is_exactly}): 1 is yes. A
     * null {@code first} is passed as NULL.
     */
    private interface Check {
        int call(long first, long second, long matches);
    }

    private static boolean check(Check function, String first, String second) {
        byte[] a = first == null ? null : utf8(first);
        byte[] b = utf8(second);
        Scratch s = SCRATCH.get();
        s.reset((a == null ? 0 : a.length) + b.length + 96L);
        int slot = s.reserve(8);
        long firstAt = a == null ? 0 : s.put(a);
        long secondAt = s.put(b);
        s.flush();
        int status = function.call(firstAt, secondAt, s.base + slot);
        if (status != 0) {
            throw lastError(status);
        }
        return s.memory.getInt(slot) == 1;
    }

    /** {@code ctc_verify_pkce}: whether {@code verifier} meets the S256 {@code challenge}. */
    static boolean verifyPkce(String challenge, String verifier) {
        // A NUL is no character of a code verifier (and would cut the C string short).
        if (verifier.indexOf('\0') >= 0 || (challenge != null && challenge.indexOf('\0') >= 0)) {
            return false;
        }
        return check(NativeLib::ctc_verify_pkce, challenge, verifier);
    }

    /** {@code ctc_redirect_uri_is_exactly}: whether {@code given} is the stored redirect URI. */
    static boolean redirectUriIsExactly(String stored, String given) {
        if (given.indexOf('\0') >= 0 || (stored != null && stored.indexOf('\0') >= 0)) {
            return false;
        }
        return check(NativeLib::ctc_redirect_uri_is_exactly, stored, given);
    }

    /** The failure the calling thread's last call left, as an exception. */
    static RuntimeException lastError(int status) {
        long m = ctc_last_error_message();
        String message;
        try {
            message = m == 0 ? "status " + status : string(m);
        } finally {
            ctc_string_free(m);
        }
        TicketException.Detail detail = new TicketException.Detail(0, 0, 0, 0, -1, 0, 0, 0, 0);
        try (Memory d = new Memory(D_SIZE)) {
            if (ctc_last_error_detail(Pointer.nativeValue(d)) == 0) {
                detail = new TicketException.Detail(
                        d.getLong(D_EXPIRED_AT),
                        d.getLong(D_NOW),
                        d.getInt(D_EXPECTED_KIND),
                        d.getInt(D_FOUND_KIND),
                        d.getInt(D_KEY_ID),
                        d.getInt(D_VERSION),
                        d.getLong(D_LENGTH),
                        d.getLong(D_MAX),
                        d.getLong(D_ISSUED_AT));
            }
        }
        return TicketException.of(status, message, detail);
    }
}
