package cas.ticketcodec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * The Java binding's tests, as a plain main (no test framework): every known-answer vector
 * of tests/vectors/*.json, the service URL battery, a round trip of every kind, one test per
 * exception class, and 8 threads sharing one codec. Prints one line per test and {@code
 * java: N passed, N failed}; exits 1 on any failure.
 *
 * <p>usage: TestMain KEYS.json OTHER_KEYS.json VECTORS_DIR (two key files from {@code
 * ticketctl keygen} with different key ids; the repository's tests/vectors)
 */
public final class TestMain {
    interface Body {
        void run() throws Exception;
    }

    record Test(String name, Body body) {}

    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    static final String SERVICE = "https://app.example.edu/login?target=%2Fhome";

    static Path keys;
    static Path otherKeys;
    static Path scratch;
    static int keyFiles;
    static final Set<String> EXPECTS = new TreeSet<>();

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: TestMain KEYS.json OTHER_KEYS.json VECTORS_DIR");
            System.exit(2);
        }
        keys = Path.of(args[0]);
        otherKeys = Path.of(args[1]);
        Path vectors = Path.of(args[2]);
        scratch = Files.createTempDirectory("ctc-java-test");

        List<Test> tests = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> list = Files.list(vectors)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        for (Path file : files) {
            tests.add(new Test("vector " + file.getFileName(), () -> vector(file)));
        }
        tests.add(new Test("vectors cover every class", () -> {
            check(files.size() >= 25, "only " + files.size() + " vectors");
            for (String c : List.of("ok", "malformed", "unknown_key", "auth_failed", "expired",
                    "too_long", "unsupported_version", "wrong_kind", "service_mismatch",
                    "not_yet_valid")) {
                check(EXPECTS.contains(c), "no vector expects " + c);
            }
        }));
        tests.add(new Test("service URL battery (urls/services.json)",
                () -> urlBattery(vectors.resolve("urls/services.json"))));
        tests.add(new Test("store vectors (store/store.json): ids, records, openExpired",
                () -> storeVectors(vectors.resolve("store/store.json"))));
        tests.add(new Test("store: splitRecords as a Rust node splits a field",
                () -> splitRecords(vectors.resolve("store/store.json"))));
        tests.add(new Test("store: arguments and rejections", TestMain::storeErrors));
        tests.add(new Test("round trip of every kind", TestMain::everyKind));
        tests.add(new Test("OAuth: a code, its tokens, PKCE and the redirect URI",
                TestMain::oauthRoundTrip));
        tests.add(new Test("OAuth: misplaced fields, each InvalidClaimsException reason",
                TestMain::oauthRefusals));
        tests.add(new Test("AuthenticationFailedException: tampered, relabelled", TestMain::tampered));
        tests.add(new Test("TicketExpiredException, leeway", TestMain::expired));
        tests.add(new Test("NotYetValidException, leeway", TestMain::notYetValid));
        tests.add(new Test("ServiceMismatchException", TestMain::wrongService));
        tests.add(new Test("WrongKindException", TestMain::wrongKind));
        tests.add(new Test("UnknownKeyException", TestMain::unknownKey));
        tests.add(new Test("MalformedTicketException details", TestMain::malformed));
        tests.add(new Test("TicketTooLongException", TestMain::tooLong));
        tests.add(new Test("InvalidClaimsException reasons", TestMain::invalidClaims));
        tests.add(new Test("KeyringException reasons", TestMain::keyring));
        tests.add(new Test("IllegalArgumentException, NUL characters", TestMain::arguments));
        tests.add(new Test("every rejection is a TicketException", TestMain::hierarchy));
        tests.add(new Test("close: idempotent, then IllegalStateException", TestMain::closing));
        tests.add(new Test("8 threads share one codec", TestMain::threads));

        int passed = 0;
        int failed = 0;
        for (Test t : tests) {
            try {
                t.body().run();
                passed++;
                System.out.println("ok   " + t.name());
            } catch (Throwable e) {
                failed++;
                System.out.println("FAIL " + t.name() + ": " + e);
                e.printStackTrace(System.out);
            }
        }
        System.out.println("java: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static void equal(Object want, Object got, String what) {
        if (want == null ? got != null : !want.equals(got)) {
            throw new AssertionError(what + ": want " + want + ", got " + got);
        }
    }

    /** Runs {@code body}, which must throw a {@code type}; returns it. */
    static <T extends Throwable> T throwsA(Class<T> type, Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable e) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
            throw new AssertionError("want " + type.getSimpleName() + ", got " + e, e);
        }
        throw new AssertionError("want " + type.getSimpleName() + ", got no exception");
    }

    /** A key file (mode 0600 from its creation) holding {@code keyring}. */
    static Path keyFile(Object keyring) throws Exception {
        Path f = scratch.resolve("keys-" + (keyFiles++) + ".json");
        Files.createFile(f, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, Json.write(keyring));
        return f;
    }

    static Claims.Builder typicalSt() {
        return Claims.serviceTicket("jdoe@example.edu", SERVICE)
                .authenticatedAt(NOW.minusSeconds(300))
                .method("Password")
                .issuedAt(NOW)
                .lifetime(Duration.ofSeconds(10));
    }

    static String classOf(Throwable e) {
        if (e == null) {
            return "ok";
        }
        if (e instanceof MalformedTicketException) {
            return "malformed";
        }
        if (e instanceof UnknownKeyException) {
            return "unknown_key";
        }
        if (e instanceof AuthenticationFailedException) {
            return "auth_failed";
        }
        if (e instanceof TicketExpiredException) {
            return "expired";
        }
        if (e instanceof WrongKindException) {
            return "wrong_kind";
        }
        if (e instanceof TicketTooLongException) {
            return "too_long";
        }
        if (e instanceof UnsupportedVersionException) {
            return "unsupported_version";
        }
        if (e instanceof ServiceMismatchException) {
            return "service_mismatch";
        }
        if (e instanceof NotYetValidException) {
            return "not_yet_valid";
        }
        return "other: " + e;
    }

    /** The claims as the vectors record them (the library's JSON view). */
    static Map<String, Object> claimsJson(Ticket t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", t.kind().prefix());
        m.put("principal", t.principal());
        m.put("authenticated_at", t.authenticatedAt().toString());
        m.put("methods", t.methods());
        m.put("remember_me", t.rememberMe());
        m.put("issued_at", t.issuedAt().toString());
        m.put("expires_at", t.expiresAt().toString());
        switch (t.kind()) {
            case ST -> {
                m.put("service", t.service());
                m.put("renew", t.freshLogin());
            }
            case PT -> {
                m.put("service", t.service());
                m.put("proxies", t.proxies());
            }
            case PGT -> {
                m.put("pgt_url", t.pgtUrl());
                m.put("upstream", t.upstream());
            }
            case OC, AT, RT -> {
                m.put("client_id", t.clientId());
                m.put("scope", t.scope());
                Map<String, Object> request = new LinkedHashMap<>();
                request.put("id_token", t.idTokenClaims());
                request.put("userinfo", t.userinfoClaims());
                m.put("claims", request);
                m.put("grant_id", t.grantId());
                if (t.kind() == Kind.OC) {
                    m.put("redirect_uri", t.redirectUri());
                    if (t.nonce() != null) {
                        m.put("nonce", t.nonce());
                    }
                    if (t.codeChallenge() != null) {
                        m.put("code_challenge", t.codeChallenge());
                    }
                }
            }
            case TGT -> {}
        }
        if (t.sessionId() != null) {
            m.put("session_id", t.sessionId());
            m.put("session_ends_at", t.sessionEndsAt().toString());
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static void vector(Path file) throws Exception {
        Map<String, Object> v = (Map<String, Object>) Json.parse(Files.readString(file));
        Map<String, Object> keyring = (Map<String, Object>) v.get("keyring");
        String expect = (String) v.get("expect");
        EXPECTS.add(expect);
        try (TicketCodec codec = TicketCodec.load(keyFile(keyring))) {
            Instant now = Instant.parse((String) v.get("now"));
            Kind kind = v.get("kind") == null ? null : Kind.fromPrefix((String) v.get("kind"));
            long leeway = v.get("leeway_seconds") == null ? 0 : (Long) v.get("leeway_seconds");
            String service = (String) v.get("service");
            Ticket t = null;
            RuntimeException error = null;
            try {
                t = codec.decode((String) v.get("ticket"), service, kind, now,
                        Duration.ofSeconds(leeway));
            } catch (RuntimeException e) {
                error = e;
            }
            equal(expect, classOf(error), "class (" + error + ")");
            equal(expect.equals("malformed"), v.get("detail") != null, "a detail iff malformed");
            if (error instanceof MalformedTicketException m) {
                equal(v.get("detail"), m.detail().name().toLowerCase(), "malformed detail");
            }
            if (error instanceof NotYetValidException x) {
                equal(now, x.now(), "not yet valid: now");
            }
            if (error instanceof TicketExpiredException x) {
                equal(now, x.now(), "expired: now");
                equal(Instant.parse((String) ((Map<String, Object>) v.getOrDefault("claims",
                        Map.of("expires_at", x.expiredAt().toString()))).get("expires_at")),
                        x.expiredAt(), "expired: expiredAt");
            }
            if (t != null) {
                equal(v.get("claims"), claimsJson(t), "claims");
                equal(keyring.get("primary"), t.keyId(), "key id");
            }
            // A long service's vector gives the URL before normalization: encoding it
            // stores what the vector recorded.
            if (v.get("service_url") != null) {
                String url = (String) v.get("service_url");
                String st = codec.encode(Claims.serviceTicket("jdoe@example.edu", url)
                        .issuedAt(now).build());
                Ticket back = codec.decode(st, url, Kind.ST, now, null);
                equal(((Map<String, Object>) v.get("claims")).get("service"), back.service(),
                        "stored form of service_url");
            }
        }
    }

    @SuppressWarnings("unchecked")
    static void urlBattery(Path file) throws Exception {
        Map<String, Object> v = (Map<String, Object>) Json.parse(Files.readString(file));
        List<Object> cases = (List<Object>) v.get("cases");
        check(cases.size() >= 40, "the battery has " + cases.size() + " cases");
        try (TicketCodec codec = TicketCodec.load(keys)) {
            for (Object o : cases) {
                Map<String, Object> c = (Map<String, Object>) o;
                String url = (String) c.get("url");
                String stored = (String) c.get("stored");
                Claims claims = Claims.serviceTicket("jdoe@example.edu", url).issuedAt(NOW).build();
                if (stored == null) {
                    InvalidClaimsException e =
                            throwsA(InvalidClaimsException.class, () -> codec.encode(claims));
                    equal(InvalidClaimsException.Reason.SERVICE, e.reason(), url);
                    continue;
                }
                Ticket t = codec.decode(codec.encode(claims), url, Kind.ST, NOW, null);
                equal(stored, t.service(), url);
                if (c.get("normalized") != null) {
                    codec.decode(codec.encode(claims), (String) c.get("normalized"), Kind.ST, NOW,
                            null);
                }
            }
        }
    }

    static void everyKind() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String tgt = codec.encode(Claims.ticketGrantingTicket("jdoe@example.edu")
                    .authenticatedAt(NOW).method("Password").method("MFA").rememberMe(true)
                    .issuedAt(NOW).newSession().build());
            check(tgt.startsWith("TGT-"), tgt);
            Ticket session = codec.decode(tgt, null, Kind.TGT, NOW, null);
            equal(Kind.TGT, session.kind(), "kind");
            equal(List.of("Password", "MFA"), session.methods(), "methods");
            check(session.rememberMe(), "remember me");
            equal(NOW.plus(Duration.ofHours(8)), session.expiresAt(), "TGT default lifetime");
            check(session.sessionId().matches("[0-9a-f]{16}"), session.sessionId());
            equal(session.expiresAt(), session.sessionEndsAt(), "the session ends with the TGT");
            equal(null, session.service(), "a TGT has no service");
            check(session.keyId().matches("[0-9a-f]{4}") && session.alg().equals("aes256gcm"),
                    session.keyId() + " " + session.alg());

            String st = codec.encode(typicalSt().freshLogin(true)
                    .session(session.sessionId(), session.sessionEndsAt()).build());
            equal(119, st.length(), "ST in a session");
            Ticket t = codec.decode(st, "HTTPS://APP.EXAMPLE.EDU:443/login?target=%2Fhome",
                    Kind.ST, NOW.plusSeconds(9), Duration.ZERO);
            equal("jdoe@example.edu", t.principal(), "principal");
            equal(NOW.minusSeconds(300), t.authenticatedAt(), "authenticatedAt");
            equal(NOW, t.issuedAt(), "issuedAt");
            equal(NOW.plusSeconds(10), t.expiresAt(), "expiresAt");
            equal(SERVICE, t.service(), "service");
            check(t.freshLogin(), "fresh login");
            equal(session.sessionId(), t.sessionId(), "session id");
            equal(List.of(), t.proxies(), "no proxies");

            String pgt = codec.encode(Claims.proxyGrantingTicket("jdoe@example.edu",
                            "https://mail-gateway.example.edu:8443/pgtCallback")
                    .upstream("https://portal.example.edu/cas/proxyCallback")
                    .issuedAt(NOW).build());
            Ticket p = codec.decode(pgt, null, Kind.PGT, NOW, null);
            equal("https://mail-gateway.example.edu:8443/pgtCallback", p.pgtUrl(), "pgtUrl");
            equal(List.of("https://portal.example.edu/cas/proxyCallback"), p.upstream(), "upstream");
            equal(NOW.plus(Duration.ofHours(2)), p.expiresAt(), "PGT default lifetime");

            List<String> chain = List.of(p.pgtUrl(), p.upstream().get(0));
            String pt = codec.encode(Claims.proxyTicket("jdoe@example.edu",
                    "https://imap.example.edu/webmail/inbox?folder=INBOX", chain).issuedAt(NOW).build());
            Ticket x = codec.decode(pt, "https://imap.example.edu/webmail/inbox?folder=INBOX",
                    Kind.PT, NOW, null);
            equal(chain, x.proxies(), "proxies");
            // The current clock: a ticket issued now is valid now.
            String fresh = codec.encode(Claims.serviceTicket("jdoe@example.edu", SERVICE).build());
            equal("jdoe@example.edu", codec.decode(fresh, SERVICE).principal(), "now");
        }
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** {@code id} with its last hex digit changed: another session. */
    static String otherSession(String id) {
        return id.substring(0, 15) + (id.endsWith("0") ? "1" : "0");
    }

    /**
     * tests/vectors/store/store.json: the replay and principal ids of each ticket, its
     * single-logout record opened for its session (and for no other, nor altered), a record
     * sealed here opened back, and the ticket opened long after its expiry.
     */
    @SuppressWarnings("unchecked")
    static void storeVectors(Path file) throws Exception {
        Map<String, Object> v = (Map<String, Object>) Json.parse(Files.readString(file));
        List<Object> cases = (List<Object>) v.get("cases");
        check(cases.size() >= 3, "store.json has " + cases.size() + " cases");
        int records = 0;
        int urls = 0;
        try (TicketCodec codec = TicketCodec.load(keyFile(v.get("keyring")))) {
            for (Object o : cases) {
                Map<String, Object> c = (Map<String, Object>) o;
                String text = (String) c.get("ticket");
                Instant now = Instant.parse((String) c.get("now"));
                Duration leeway = Duration.ofSeconds((Long) c.get("leeway_seconds"));
                StoreTicket st = codec.decodeForStore(text, null, null, now, leeway);
                equal(c.get("replay_id"), hex(st.replayId()), "replay id");
                equal(c.get("principal_id"), hex(st.principalId()), "principal id");
                equal(codec.decode(text, null, null, now, leeway), st.ticket(), "the ticket");
                equal(c.get("principal"), st.ticket().principal(), "principal");
                List<byte[]> ids = codec.principalIds((String) c.get("principal"));
                equal(2, ids.size(), "one principal id per key");
                check(ids.stream().anyMatch(id -> hex(id).equals(c.get("principal_id"))),
                        "the ticket's principal id is among the principal's");

                // Long after its expiry: decode refuses it, openExpired opens it.
                Instant later = now.plus(Duration.ofDays(400));
                throwsA(TicketExpiredException.class,
                        () -> codec.decode(text, null, null, later, leeway));
                Ticket opened = codec.openExpired(text);
                equal(st.ticket(), opened, "openExpired's ticket");
                check(opened.expiresAt().isBefore(later), "expired by then");

                if (c.get("record") == null) {
                    continue;
                }
                records++;
                String session = (String) c.get("session_id");
                String url = (String) c.get("service_url");
                urls += url == null ? 0 : 1;
                byte[] record = HexFormat.of().parseHex((String) c.get("record"));
                LogoutRecord r = codec.openRecord(session, record);
                equal(new LogoutRecord(text, url), r, "the record");
                throwsA(AuthenticationFailedException.class,
                        () -> codec.openRecord(otherSession(session), record));
                for (int i = 4; i < record.length; i++) {
                    byte[] flipped = record.clone();
                    flipped[i] ^= 0x01;
                    throwsA(AuthenticationFailedException.class,
                            () -> codec.openRecord(session, flipped));
                }
                MalformedTicketException m = throwsA(MalformedTicketException.class,
                        () -> codec.openRecord(session, Arrays.copyOf(record, record.length - 1)));
                equal(MalformedTicketException.Detail.TRUNCATED, m.detail(), "detail");

                byte[] sealed = codec.sealRecord(session, text, url);
                equal(record.length, sealed.length, "the length of a sealed record");
                check(!Arrays.equals(record, sealed), "a fresh nonce");
                equal(r, codec.openRecord(session, sealed), "a record sealed here");
                throwsA(AuthenticationFailedException.class,
                        () -> codec.openRecord(otherSession(session), sealed));
            }
        }
        check(records >= 2 && urls >= 1 && records < cases.size(), "every kind of case");
    }

    /** The records of a field, in hex (arrays compare by identity). */
    static List<String> hexes(List<byte[]> records) {
        return records.stream().map(TestMain::hex).toList();
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * splitRecords of fields made of the records of store.json, and of records sealed here:
     * in order, repeats skipped, a cut record dropped, a bad length stopping it, at most 64.
     */
    @SuppressWarnings("unchecked")
    static void splitRecords(Path file) throws Exception {
        Map<String, Object> v = (Map<String, Object>) Json.parse(Files.readString(file));
        List<Map<String, Object>> withRecord = new ArrayList<>();
        for (Object o : (List<Object>) v.get("cases")) {
            Map<String, Object> c = (Map<String, Object>) o;
            if (c.get("record") != null) {
                withRecord.add(c);
            }
        }
        check(withRecord.size() == 2, "store.json has " + withRecord.size() + " records");
        byte[] a = HexFormat.of().parseHex((String) withRecord.get(0).get("record"));
        byte[] b = HexFormat.of().parseHex((String) withRecord.get(1).get("record"));
        equal(List.of(hex(a), hex(b)), hexes(TicketCodec.splitRecords(concat(a, b))), "both");
        byte[][] repeated = new byte[100][];
        Arrays.fill(repeated, a);
        equal(List.of(hex(a)), hexes(TicketCodec.splitRecords(concat(repeated))), "repeated");
        byte[] both = concat(a, b);
        equal(List.of(hex(a)), hexes(TicketCodec.splitRecords(
                Arrays.copyOf(both, a.length + b.length / 2))), "the last cut");
        equal(List.of(), hexes(TicketCodec.splitRecords(concat(new byte[] {0, 3}, b))),
                "a length of 3");
        equal(List.of(), hexes(TicketCodec.splitRecords(new byte[0])), "an empty field");
        throwsA(NullPointerException.class, () -> TicketCodec.splitRecords(null));

        String session = (String) withRecord.get(0).get("session_id");
        String text = (String) withRecord.get(0).get("ticket");
        String url = (String) withRecord.get(0).get("service_url");
        try (TicketCodec codec = TicketCodec.load(keyFile(v.get("keyring")))) {
            byte[][] sealed = new byte[70][];
            List<String> want = new ArrayList<>();
            for (int i = 0; i < sealed.length; i++) {
                sealed[i] = codec.sealRecord(session, text, url);
                want.add(hex(sealed[i]));
            }
            List<byte[]> got = TicketCodec.splitRecords(concat(sealed));
            equal(64, got.size(), "70 distinct records");
            equal(want.subList(0, 64), hexes(got), "the first 64, in order");
            equal(new LogoutRecord(text, url), codec.openRecord(session, got.get(63)), "opens");
        }
    }

    static void storeErrors() throws Exception {
        String session = "5e551000cafef00d";
        try (TicketCodec codec = TicketCodec.load(keys);
                TicketCodec other = TicketCodec.load(otherKeys)) {
            String st = codec.encode(typicalSt().build());
            throwsA(NullPointerException.class, () -> codec.sealRecord(null, st, null));
            throwsA(NullPointerException.class, () -> codec.sealRecord(session, null, null));
            throwsA(NullPointerException.class, () -> codec.openRecord(session, null));
            throwsA(NullPointerException.class, () -> codec.principalIds(null));
            throwsA(NullPointerException.class, () -> codec.openExpired(null));
            throwsA(NullPointerException.class,
                    () -> codec.decodeForStore(null, null, null, NOW, null));
            throwsA(IllegalArgumentException.class, () -> codec.principalIds("jdoe\0"));
            throwsA(IllegalArgumentException.class,
                    () -> codec.sealRecord(session, st, SERVICE + "\0"));
            // A session id that is not 16 hex digits, as in the claims.
            InvalidClaimsException e = throwsA(InvalidClaimsException.class,
                    () -> codec.sealRecord("5e551000cafef00", st, null));
            equal(InvalidClaimsException.Reason.SESSION, e.reason(), "reason");
            throwsA(InvalidClaimsException.class, () -> codec.openRecord("xyz", new byte[40]));
            // Only an ST or PT is recorded, with a URL of at most 4096 bytes.
            String tgt = codec.encode(Claims.ticketGrantingTicket("jdoe@example.edu").build());
            for (String text : List.of(tgt, "ST-\0", "ST-abc")) {
                MalformedTicketException m = throwsA(MalformedTicketException.class,
                        () -> codec.sealRecord(session, text, null));
                equal(MalformedTicketException.Detail.PAYLOAD, m.detail(), "detail");
            }
            throwsA(MalformedTicketException.class, () -> codec.sealRecord(
                    session, st, "https://a.example/" + "x".repeat(4096)));
            throwsA(MalformedTicketException.class, () -> codec.openRecord(session, new byte[3]));
            // A record and a ticket of another keyring.
            byte[] foreign = other.sealRecord(session, st, null);
            String id = other.decode(other.encode(typicalSt().build()), null, null, NOW, null)
                    .keyId();
            equal(id, throwsA(UnknownKeyException.class,
                    () -> codec.openRecord(session, foreign)).keyId(), "key id");
            throwsA(UnknownKeyException.class, () -> other.openExpired(st));
            throwsA(UnknownKeyException.class,
                    () -> other.decodeForStore(st, null, null, NOW, null));
            // openExpired checks everything but the expiry; decodeForStore all that decode does.
            char[] c = st.toCharArray();
            int i = 40;
            while (c[i] == '0') {
                i++;
            }
            c[i] = '0';
            throwsA(AuthenticationFailedException.class,
                    () -> codec.openExpired(new String(c)));
            throwsA(MalformedTicketException.class, () -> codec.openExpired("ST-abc_def"));
            throwsA(TicketExpiredException.class,
                    () -> codec.decodeForStore(st, SERVICE, Kind.ST, NOW.plusSeconds(10), null));
            throwsA(ServiceMismatchException.class,
                    () -> codec.decodeForStore(st, SERVICE + "x", Kind.ST, NOW, null));
            throwsA(ServiceMismatchException.class,
                    () -> codec.decodeForStore(st, SERVICE + "\0", Kind.ST, NOW, null));
            StoreTicket s = codec.decodeForStore(st, SERVICE, Kind.ST, NOW, null);
            // Immutable: the ids are copies.
            s.replayId()[0] ^= 1;
            equal(s, codec.decodeForStore(st, SERVICE, Kind.ST, NOW, null), "a copy");
            check(!Arrays.equals(s.replayId(), s.principalId()), "two names");
        }
    }

    static void tampered() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String st = codec.encode(typicalSt().build());
            char[] c = st.toCharArray();
            int i = 40;
            while (c[i] == '0') {
                i++;
            }
            c[i] = '0'; // lower one digit: still canonical base62
            throwsA(AuthenticationFailedException.class,
                    () -> codec.decode(new String(c), null, null, NOW, null));
            throwsA(AuthenticationFailedException.class,
                    () -> codec.decode("P" + st.substring(1), null, null, NOW, null));
        }
    }

    static void expired() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String st = codec.encode(typicalSt().build());
            TicketExpiredException e = throwsA(TicketExpiredException.class,
                    () -> codec.decode(st, SERVICE, Kind.ST, NOW.plusSeconds(10), null));
            equal(NOW.plusSeconds(10), e.expiredAt(), "expiredAt");
            equal(NOW.plusSeconds(10), e.now(), "now");
            check(e.getMessage().startsWith("expired at 2026-11-22T10:00:10Z"), e.getMessage());
            codec.decode(st, SERVICE, Kind.ST, NOW.plusSeconds(12), Duration.ofSeconds(5));
            e = throwsA(TicketExpiredException.class, () ->
                    codec.decode(st, SERVICE, Kind.ST, NOW.plusSeconds(15), Duration.ofSeconds(5)));
            equal(NOW.plusSeconds(15), e.now(), "now with leeway");
            throwsA(TicketExpiredException.class, () -> codec.decode(st, SERVICE)); // in 2026
        }
    }

    static void notYetValid() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String st = codec.encode(typicalSt().build());
            NotYetValidException e = throwsA(NotYetValidException.class,
                    () -> codec.decode(st, SERVICE, Kind.ST, NOW.minusSeconds(5), null));
            equal(8, e.code(), "code");
            equal(NOW, e.issuedAt(), "issuedAt");
            equal(NOW.minusSeconds(5), e.now(), "now");
            check(e.getMessage().startsWith("not valid yet"), e.getMessage());
            codec.decode(st, SERVICE, Kind.ST, NOW.minusSeconds(1), null);
            codec.decode(st, SERVICE, Kind.ST, NOW.minusSeconds(5), Duration.ofSeconds(4));
            throwsA(NotYetValidException.class, () -> codec.decode(
                    st, SERVICE, Kind.ST, NOW.minusSeconds(6), Duration.ofSeconds(4)));
        }
    }

    static void wrongService() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String st = codec.encode(typicalSt().build());
            ServiceMismatchException e = throwsA(ServiceMismatchException.class, () -> codec.decode(
                    st, "https://app.example.edu/login?target=%2Fother", null, NOW, null));
            equal(7, e.code(), "code");
            throwsA(ServiceMismatchException.class,
                    () -> codec.decode(st, SERVICE + "\0", null, NOW, null));
            String tgt = codec.encode(Claims.ticketGrantingTicket("jdoe@example.edu").build());
            throwsA(ServiceMismatchException.class, () -> codec.decode(tgt, SERVICE));
        }
    }

    static void wrongKind() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String st = codec.encode(typicalSt().build());
            WrongKindException e = throwsA(WrongKindException.class,
                    () -> codec.decode(st, null, Kind.PT, NOW, null));
            equal(Kind.PT, e.expected(), "expected");
            equal(Kind.ST, e.found(), "found");
        }
    }

    static void unknownKey() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys);
                TicketCodec other = TicketCodec.load(otherKeys)) {
            String st = other.encode(typicalSt().build());
            String id = other.decode(st, null, null, NOW, null).keyId();
            UnknownKeyException e = throwsA(UnknownKeyException.class,
                    () -> codec.decode(st, null, null, NOW, null));
            equal(id, e.keyId(), "key id");
        }
    }

    static void malformed() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String st = codec.encode(typicalSt().build());
            Map<String, MalformedTicketException.Detail> cases = new LinkedHashMap<>();
            cases.put("", MalformedTicketException.Detail.EMPTY);
            cases.put("XT-abc", MalformedTicketException.Detail.PREFIX);
            cases.put("st-abc", MalformedTicketException.Detail.PREFIX);
            cases.put("ST-abc_def", MalformedTicketException.Detail.ALPHABET);
            cases.put("ST-abc\u00e9", MalformedTicketException.Detail.ALPHABET);
            cases.put("\0", MalformedTicketException.Detail.PREFIX);
            cases.put("ST-0AqwdJ9Npzs" + "0".repeat(38), MalformedTicketException.Detail.TRUNCATED);
            for (Map.Entry<String, MalformedTicketException.Detail> c : cases.entrySet()) {
                MalformedTicketException e = throwsA(MalformedTicketException.class,
                        () -> codec.decode(c.getKey(), null, null, NOW, null));
                equal(c.getValue(), e.detail(), "detail of '" + c.getKey() + "'");
                check(e.code() >= 10 && e.code() <= 19, "code " + e.code());
            }
            // Cut to a body length no byte count has (length mod 11 is 1, 4 or 8).
            int cut = st.length();
            while (!List.of(1, 4, 8).contains((cut - 3) % 11)) {
                cut--;
            }
            String truncated = st.substring(0, cut);
            MalformedTicketException e = throwsA(MalformedTicketException.class,
                    () -> codec.decode(truncated, null, null, NOW, null));
            equal(MalformedTicketException.Detail.LENGTH, e.detail(), "detail of a cut ticket");
        }
    }

    static void tooLong() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            TicketTooLongException e = throwsA(TicketTooLongException.class,
                    () -> codec.decode("ST-" + "A".repeat(297), null, null, NOW, null));
            equal(300L, e.length(), "length");
            equal(256L, e.max(), "max");
            Claims.Builder pgt = Claims.proxyGrantingTicket("jdoe@example.edu",
                    "https://callback.example.edu/cb");
            for (int i = 0; i < 7; i++) {
                pgt.upstream("https://proxy" + i + ".qzxv" + (i * 7919) + "jwkq.example.edu/cb"
                        + (i * 104729) + "xqzv");
            }
            throwsA(TicketTooLongException.class, () -> codec.encode(pgt.build()));
            // The cap the library applied: a code's 384, or 384 before the prefix is read.
            e = throwsA(TicketTooLongException.class,
                    () -> codec.decode("OC-" + "0".repeat(382), null, null, NOW, null));
            equal(385L, e.length(), "code length");
            equal(384L, e.max(), "code max");
            throwsA(UnsupportedVersionException.class,
                    () -> codec.decode("OC-" + "0".repeat(381), null, null, NOW, null));
            e = throwsA(TicketTooLongException.class,
                    () -> codec.decode("AT-" + "0".repeat(254), null, null, NOW, null));
            equal(256L, e.max(), "token max");
            e = throwsA(TicketTooLongException.class,
                    () -> codec.decode("_".repeat(385), null, null, NOW, null));
            equal(384L, e.max(), "max before the prefix");
            String scope = manyScopes();
            e = throwsA(TicketTooLongException.class, () -> codec.encode(
                    Claims.authorizationCode("jdoe", "moodle", REDIRECT).scope(scope).build()));
            equal(384L, e.max(), "max of a code encoded");
            check(e.length() > 384, "length " + e.length());
            e = throwsA(TicketTooLongException.class, () -> codec.encode(
                    Claims.accessToken("jdoe", "moodle").scope(scope).build()));
            equal(256L, e.max(), "max of a token encoded");
        }
    }

    /** 16 scopes of 40 characters that no phrase shortens: over every cap. */
    static String manyScopes() {
        StringBuilder b = new StringBuilder();
        long x = 12345;
        for (int i = 0; i < 16; i++) {
            if (i > 0) {
                b.append(' ');
            }
            for (int j = 0; j < 40; j++) {
                x = (x * 1103515245L + 12345L) & 0xffffffffL;
                b.append("abcdefghijklmnopqrstuvwxyz0123456789:._-".charAt((int) ((x >> 16) % 40)));
            }
        }
        return b.toString();
    }

    static final String REDIRECT = "https://moodle.example.edu/auth/oidc/";
    static final String GRANT = "6772616e742d6964";
    /** RFC 7636 Appendix B. */
    static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    static final String CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    static Claims.Builder typicalCode() {
        return Claims.authorizationCode("jdoe@example.edu", "moodle", REDIRECT)
                .authenticatedAt(NOW.minusSeconds(300))
                .method("Password")
                .issuedAt(NOW)
                .session("5e551000cafef00d", NOW.plus(Duration.ofHours(8)))
                .scope("email openid urn:x:read email")
                .grantId(GRANT)
                .idTokenClaims(List.of("name", "email_verified", "name"))
                .userinfoClaim("picture")
                .nonce("n-0S6_WzA2Mj")
                .codeChallenge(CHALLENGE);
    }

    static void oauthRoundTrip() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            String code = codec.encode(typicalCode().build());
            check(code.startsWith("OC-") && code.length() <= 384, code);
            Ticket c = codec.decode(code, null, Kind.OC, NOW.plusSeconds(5), null);
            equal(Kind.OC, c.kind(), "kind");
            check(c.kind().isOAuth() && !Kind.ST.isOAuth(), "isOAuth");
            equal(NOW.plusSeconds(30), c.expiresAt(), "a code's default lifetime");
            equal("moodle", c.clientId(), "client");
            equal("openid email urn:x:read", c.scope(), "the scope parameter's one spelling");
            equal(GRANT, c.grantId(), "grant");
            equal(List.of("email_verified", "name"), c.idTokenClaims(), "ID token claims");
            equal(List.of("picture"), c.userinfoClaims(), "userinfo claims");
            equal(REDIRECT, c.redirectUri(), "redirect URI");
            equal("n-0S6_WzA2Mj", c.nonce(), "nonce");
            equal(CHALLENGE, c.codeChallenge(), "challenge");
            equal("5e551000cafef00d", c.sessionId(), "session");
            equal(null, c.service(), "a code has no service");
            // The token request: PKCE and the exact redirect URI.
            check(c.verifyPkce(VERIFIER), "the verifier of RFC 7636 Appendix B");
            check(!c.verifyPkce("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"), "another verifier");
            check(!c.verifyPkce("short"), "a verifier too short");
            check(!c.verifyPkce(VERIFIER + "\0"), "a NUL");
            check(c.redirectUriIsExactly(REDIRECT), "the same redirect URI");
            check(!c.redirectUriIsExactly("https://Moodle.example.edu/auth/oidc/"),
                    "no normalization");
            check(!c.redirectUriIsExactly(REDIRECT + "x"), "another");
            throwsA(ServiceMismatchException.class,
                    () -> codec.decode(code, REDIRECT, null, NOW, null));
            WrongKindException w = throwsA(WrongKindException.class,
                    () -> codec.decode(code, null, Kind.AT, NOW, null));
            equal(Kind.OC, w.found(), "found");
            throwsA(AuthenticationFailedException.class,
                    () -> codec.decode("AT" + code.substring(2), null, null, NOW, null));
            equal(c, codec.openExpired(code), "openExpired");

            // A minimal code: a fresh grant id, no scope, nonce, challenge or session.
            Ticket m = codec.decode(codec.encode(Claims.authorizationCode(
                    "jdoe@example.edu", "moodle", "http://127.0.0.1:8400/cb").issuedAt(NOW)
                    .build()), null, Kind.OC, NOW, null);
            check(m.grantId().matches("[0-9a-f]{16}") && !m.grantId().equals(GRANT), m.grantId());
            equal("", m.scope(), "no scope");
            equal(null, m.nonce(), "no nonce");
            equal(null, m.codeChallenge(), "no challenge");
            equal(List.of(), m.idTokenClaims(), "no claims request");
            check(!m.verifyPkce(VERIFIER), "no challenge: no verifier is accepted");

            // Its access and refresh tokens.
            for (Kind kind : List.of(Kind.AT, Kind.RT)) {
                Claims.Builder b = kind == Kind.AT
                        ? Claims.accessToken("jdoe@example.edu", "moodle")
                        : Claims.refreshToken("jdoe@example.edu", "moodle");
                String token = codec.encode(b.grantId(c.grantId()).scope("openid profile email")
                        .issuedAt(NOW).session(c.sessionId(), c.sessionEndsAt()).build());
                check(token.startsWith(kind.prefix() + "-") && token.length() <= 256, token);
                Ticket t = codec.decode(token, null, kind, NOW, null);
                equal(kind, t.kind(), "kind");
                equal(Claims.defaultLifetime(kind), Duration.between(t.issuedAt(), t.expiresAt()),
                        "default lifetime");
                equal(GRANT, t.grantId(), "the code's grant");
                equal("openid profile email", t.scope(), "scope");
                equal(null, t.redirectUri(), "a token has no redirect URI");
                check(!t.verifyPkce(VERIFIER) && !t.redirectUriIsExactly(REDIRECT), "not a code");
            }
        }
    }

    static void oauthRefusals() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            Map<Claims, String> misplaced = new LinkedHashMap<>();
            misplaced.put(Claims.accessToken("jdoe", "moodle").redirectUri(REDIRECT).build(),
                    "claims.redirect_uri applies to an OC only");
            misplaced.put(Claims.refreshToken("jdoe", "moodle").nonce("n").build(),
                    "claims.nonce applies to an OC only");
            misplaced.put(Claims.accessToken("jdoe", "moodle").codeChallenge(CHALLENGE).build(),
                    "claims.code_challenge applies to an OC only");
            misplaced.put(Claims.serviceTicket("jdoe", SERVICE).clientId("moodle").build(),
                    "claims.client_id applies to OC, AT and RT only");
            misplaced.put(Claims.ticketGrantingTicket("jdoe").scope("openid").build(),
                    "claims.scope applies to OC, AT and RT only");
            misplaced.put(Claims.serviceTicket("jdoe", SERVICE).grantId(GRANT).build(),
                    "claims.grant_id applies to OC, AT and RT only");
            misplaced.put(Claims.proxyGrantingTicket("jdoe", "https://p.example.edu/cb")
                    .idTokenClaim("name").build(), "apply to OC, AT and RT only");
            misplaced.put(typicalCode().service(SERVICE).build(),
                    "claims.service applies to ST and PT only");
            misplaced.put(Claims.serviceTicket("jdoe", SERVICE).redirectUri(REDIRECT).build(),
                    "claims.redirect_uri applies to an OC only");
            for (Map.Entry<Claims, String> c : misplaced.entrySet()) {
                IllegalArgumentException e = throwsA(IllegalArgumentException.class,
                        () -> codec.encode(c.getKey()));
                check(e.getMessage().contains(c.getValue()), e.getMessage());
            }
            throwsA(IllegalArgumentException.class,
                    () -> codec.encode(Claims.builder(Kind.AT, "jdoe").build()));
            throwsA(IllegalArgumentException.class,
                    () -> codec.encode(Claims.builder(Kind.OC, "jdoe").clientId("moodle").build()));

            Map<Claims, InvalidClaimsException.Reason> invalid = new LinkedHashMap<>();
            for (String scope : List.of("openid  email", " openid", "openid ", "open\"id", "\u00e9")) {
                invalid.put(typicalCode().scope(scope).build(), InvalidClaimsException.Reason.SCOPE);
            }
            invalid.put(Claims.accessToken("jdoe", "").build(),
                    InvalidClaimsException.Reason.CLIENT);
            invalid.put(Claims.accessToken("jdoe", "mood\nle").build(),
                    InvalidClaimsException.Reason.CLIENT);
            invalid.put(typicalCode().userinfoClaim("").build(),
                    InvalidClaimsException.Reason.CLAIM_NAMES);
            Claims.Builder seventeen = typicalCode();
            for (int i = 0; i < 17; i++) {
                seventeen.idTokenClaim("c" + i);
            }
            invalid.put(seventeen.build(), InvalidClaimsException.Reason.CLAIM_NAMES);
            invalid.put(typicalCode().nonce("").build(), InvalidClaimsException.Reason.NONCE);
            invalid.put(typicalCode().codeChallenge(CHALLENGE + "=").build(),
                    InvalidClaimsException.Reason.CODE_CHALLENGE);
            invalid.put(typicalCode().grantId("0123").build(), InvalidClaimsException.Reason.GRANT);
            invalid.put(typicalCode().redirectUri("javascript://%0aalert(1)").build(),
                    InvalidClaimsException.Reason.SERVICE);
            for (Map.Entry<Claims, InvalidClaimsException.Reason> c : invalid.entrySet()) {
                InvalidClaimsException e =
                        throwsA(InvalidClaimsException.class, () -> codec.encode(c.getKey()));
                equal(c.getValue(), e.reason(), e.getMessage());
                equal(c.getValue().code, e.code(), "code");
            }
            InvalidClaimsException e = throwsA(InvalidClaimsException.class,
                    () -> codec.encode(typicalCode().scope("openid  email").build()));
            equal(61, e.code(), "the code of a bad scope");
            check(e.getMessage().equals("invalid claims: scope is not an RFC 6749 scope token, "
                    + "or over 16 are not standard"), e.getMessage());
        }
    }

    static void invalidClaims() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            Map<Claims, InvalidClaimsException.Reason> cases = new LinkedHashMap<>();
            cases.put(Claims.serviceTicket("", SERVICE).build(),
                    InvalidClaimsException.Reason.PRINCIPAL);
            cases.put(Claims.serviceTicket("jdoe\n", SERVICE).build(),
                    InvalidClaimsException.Reason.PRINCIPAL);
            cases.put(Claims.serviceTicket("jdoe", SERVICE).method("").build(),
                    InvalidClaimsException.Reason.METHOD);
            cases.put(Claims.serviceTicket("jdoe", SERVICE)
                    .methods(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i")).build(),
                    InvalidClaimsException.Reason.TOO_MANY_METHODS);
            cases.put(Claims.serviceTicket("jdoe", "javascript://%0aalert(1)").build(),
                    InvalidClaimsException.Reason.SERVICE);
            cases.put(Claims.serviceTicket("jdoe", "https://evil.test\\@good.example/").build(),
                    InvalidClaimsException.Reason.SERVICE);
            cases.put(Claims.proxyTicket("jdoe", SERVICE, List.of("ftp://p.example.edu/")).build(),
                    InvalidClaimsException.Reason.URL);
            cases.put(Claims.proxyTicket("jdoe", SERVICE, List.of()).build(),
                    InvalidClaimsException.Reason.PROXY_CHAIN);
            cases.put(Claims.serviceTicket("jdoe", SERVICE).lifetime(Duration.ZERO).build(),
                    InvalidClaimsException.Reason.VALIDITY);
            cases.put(Claims.serviceTicket("jdoe", SERVICE).issuedAt(Instant.MAX).build(),
                    InvalidClaimsException.Reason.VALIDITY);
            cases.put(Claims.serviceTicket("jdoe", SERVICE).session("xyz", NOW).build(),
                    InvalidClaimsException.Reason.SESSION);
            cases.put(Claims.serviceTicket("jdoe", SERVICE).issuedAt(NOW)
                    .session("00112233445566ff", NOW.plusSeconds(5)).build(),
                    InvalidClaimsException.Reason.SESSION);
            for (Map.Entry<Claims, InvalidClaimsException.Reason> c : cases.entrySet()) {
                InvalidClaimsException e =
                        throwsA(InvalidClaimsException.class, () -> codec.encode(c.getKey()));
                equal(c.getValue(), e.reason(), e.getMessage());
                equal(c.getValue().code, e.code(), "code");
            }
        }
    }

    static void keyring() throws Exception {
        KeyringException e = throwsA(KeyringException.class,
                () -> TicketCodec.load(scratch.resolve("missing.json")));
        equal(KeyringException.Reason.IO, e.reason(), e.getMessage());
        Path open = scratch.resolve("open.json");
        Files.write(open, Files.readAllBytes(keys));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        e = throwsA(KeyringException.class, () -> TicketCodec.load(open));
        equal(KeyringException.Reason.INSECURE_PERMISSIONS, e.reason(), e.getMessage());
        check(e.getMessage().contains("chmod 600"), e.getMessage());
        check(!e.getMessage().contains("secret"), "no secret in " + e.getMessage());
        Path junk = keyFile(Map.of("version", 1L));
        e = throwsA(KeyringException.class, () -> TicketCodec.load(junk));
        equal(KeyringException.Reason.FORMAT, e.reason(), e.getMessage());
        Path broken = scratch.resolve("broken.json");
        Files.createFile(broken, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        Files.writeString(broken, "{\"version\":");
        e = throwsA(KeyringException.class, () -> TicketCodec.load(broken));
        equal(KeyringException.Reason.SYNTAX, e.reason(), e.getMessage());
    }

    static void arguments() throws Exception {
        try (TicketCodec codec = TicketCodec.load(keys)) {
            IllegalArgumentException e = throwsA(IllegalArgumentException.class,
                    () -> codec.encode(Claims.ticketGrantingTicket("jdoe").service(SERVICE).build()));
            check(e.getMessage().contains("service applies to ST and PT only"), e.getMessage());
            throwsA(IllegalArgumentException.class,
                    () -> codec.encode(Claims.serviceTicket("jdoe\0admin", SERVICE).build()));
            throwsA(IllegalArgumentException.class,
                    () -> codec.decode("ST-x", null, null, Instant.MAX, null));
            throwsA(NullPointerException.class, () -> codec.decode(null, null));
            throwsA(NullPointerException.class, () -> codec.encode(null));
        }
    }

    static void hierarchy() throws Exception {
        for (Class<?> c : List.of(TicketTooLongException.class, MalformedTicketException.class,
                UnsupportedVersionException.class, UnknownKeyException.class,
                AuthenticationFailedException.class, TicketExpiredException.class,
                WrongKindException.class, ServiceMismatchException.class,
                NotYetValidException.class,
                InvalidClaimsException.class, KeyringException.class)) {
            check(TicketException.class.isAssignableFrom(c), c.getName());
        }
        try (TicketCodec codec = TicketCodec.load(keys)) {
            TicketException e = throwsA(TicketException.class, () -> codec.decode("", null));
            equal(10, e.code(), "code of an empty ticket");
        }
    }

    static void closing() throws Exception {
        TicketCodec codec = TicketCodec.load(keys);
        String st = codec.encode(typicalSt().build());
        codec.close();
        codec.close();
        throwsA(IllegalStateException.class, () -> codec.decode(st, null, null, NOW, null));
        throwsA(IllegalStateException.class, () -> codec.encode(typicalSt().build()));
        throwsA(IllegalStateException.class, () -> codec.openExpired(st));
        throwsA(IllegalStateException.class, () -> codec.principalIds("jdoe@example.edu"));
        throwsA(IllegalStateException.class,
                () -> codec.sealRecord("5e551000cafef00d", st, null));
    }

    /** 8 threads share one codec, each encoding its own claims and decoding them back. */
    static void threads() throws Exception {
        final int threads = 8;
        final int rounds = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try (TicketCodec codec = TicketCodec.load(keys)) {
            List<Future<Integer>> done = new ArrayList<>();
            for (int n = 0; n < threads; n++) {
                final int id = n;
                done.add(pool.submit(() -> {
                    start.await();
                    int checked = 0;
                    for (int i = 0; i < rounds; i++) {
                        String principal = "user" + id + "-" + i + "@example.edu";
                        Instant at = NOW.plusSeconds(id * 100L + (i % 50));
                        String st = codec.encode(Claims.serviceTicket(principal, SERVICE)
                                .method("Password").issuedAt(at).build());
                        Ticket t = codec.decode(st, SERVICE, Kind.ST, at, null);
                        equal(principal, t.principal(), "principal");
                        equal(at.plusSeconds(10), t.expiresAt(), "expiry");
                        if (i % 10 == 0) {
                            // Each thread's failures are its own.
                            Instant late = at.plusSeconds(30 + id);
                            TicketExpiredException e = throwsA(TicketExpiredException.class,
                                    () -> codec.decode(st, SERVICE, Kind.ST, late, null));
                            equal(late, e.now(), "now of this thread's failure");
                            throwsA(WrongKindException.class,
                                    () -> codec.decode(st, null, Kind.TGT, at, null));
                        }
                        checked++;
                    }
                    return checked;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get();
            }
            equal(threads * rounds, total, "round trips");
        } finally {
            pool.shutdownNow();
        }
    }
}
