/*
 * C test of the C ABI: every known-answer vector (the claims compared as the
 * library's JSON view), load, encode, decode every kind (the OAuth codes and
 * tokens with every field, PKCE and redirect URI checks), every rejection the
 * brief names (tampered, expired, wrong service, wrong kind, unknown key,
 * malformed, too long), encode-side errors, NULL arguments, the per-thread
 * last error, 4 threads sharing one codec, and the store's side of a ticket
 * against tests/vectors/store/store.json (replay and principal ids,
 * single-logout records, splitting a store's field into its records,
 * opening an expired ticket). Frees everything it
 * gets: bindings/test runs it under valgrind --leak-check=full
 * --error-exitcode=1.
 *
 * usage: test_codec KEYS.json OTHER_KEYS.json SCRATCH_DIR STORE_KEYS.json STORE_CASES VECTOR_CASES
 *   KEYS.json and OTHER_KEYS.json: two key files from `ticketctl keygen`
 *   (mode 0600, different key ids); SCRATCH_DIR: a directory for a copy of
 *   the key file with unsafe permissions; STORE_KEYS.json: the keyring of
 *   store.json in a key file; STORE_CASES: its cases, one a line, fields
 *   separated by tabs (bindings/test writes both from store.json): now
 *   (Unix seconds), leeway_seconds, ticket, replay_id, principal,
 *   principal_id, session_id, service_url, record ("-" for none, ids and
 *   record in hex); VECTOR_CASES: every file tests/vectors holds (JSON), one a
 *   line, tab-separated (bindings/test writes it): the file's name, a key
 *   file of its keyring, its primary key id, now (Unix seconds), the kind
 *   asked for (CTC_KIND_*, 0 for any), leeway_seconds, service and ticket in
 *   hex, expect, detail, the claims of an ok vector as compact JSON with
 *   sorted keys, service_url in hex ("-" for none).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cas_ticket_codec.h"

static int passed = 0, failed = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      passed++;                                                              \
    } else {                                                                 \
      failed++;                                                              \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);        \
    }                                                                        \
  } while (0)

/* The status and the message of a call that must fail with `want`. */
#define CHECK_STATUS(call, want)                                             \
  do {                                                                       \
    CtcStatus got_ = (call);                                                 \
    if (got_ == (want)) {                                                    \
      passed++;                                                              \
    } else {                                                                 \
      failed++;                                                              \
      char *m_ = ctc_last_error_message();                                   \
      fprintf(stderr, "FAIL %s:%d: %s = %d, want %d (%s)\n", __FILE__,       \
              __LINE__, #call, (int)got_, (int)(want), m_ ? m_ : "-");       \
      ctc_string_free(m_);                                                   \
    }                                                                        \
  } while (0)

static const char *SERVICE = "https://app.example.edu/login?target=%2Fhome";
static const char *METHODS[] = {"Password"};

/* The typical ST of the design, issued at `at`, 10 s. */
static CtcClaims typical_st(int64_t at) {
  CtcClaims c = {0};
  c.kind = CTC_KIND_ST;
  c.principal = "jdoe@example.edu";
  c.authenticated_at = at - 300;
  c.methods = METHODS;
  c.methods_len = 1;
  c.service = SERVICE;
  c.issued_at = at;
  c.lifetime_seconds = 10;
  return c;
}

static char *encode(const CtcCodec *codec, const CtcClaims *c) {
  char *ticket = NULL;
  CHECK_STATUS(ctc_encode(codec, c, &ticket), CTC_STATUS_OK);
  return ticket;
}

/* The last error's message contains `word` (and is freed). */
static int message_has(const char *word) {
  char *m = ctc_last_error_message();
  int ok = m != NULL && strstr(m, word) != NULL;
  if (!ok) fprintf(stderr, "  message: %s (want \"%s\")\n", m ? m : "NULL", word);
  ctc_string_free(m);
  return ok;
}

static void test_load(const char *keys, const char *scratch) {
  CtcCodec *codec = (CtcCodec *)1;
  CHECK_STATUS(ctc_codec_load(NULL, &codec), CTC_STATUS_NULL_ARGUMENT);
  CHECK(codec == NULL);
  CHECK_STATUS(ctc_codec_load(keys, NULL), CTC_STATUS_NULL_ARGUMENT);

  char missing[4096];
  snprintf(missing, sizeof missing, "%s/missing.json", scratch);
  CHECK_STATUS(ctc_codec_load(missing, &codec), CTC_STATUS_KEYRING_IO);
  CHECK(codec == NULL);

  /* A copy readable by group and others is refused, as ssh refuses it. */
  char open_copy[4096];
  snprintf(open_copy, sizeof open_copy, "%s/open.json", scratch);
  FILE *in = fopen(keys, "rb");
  int fd = open(open_copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(in != NULL && fd >= 0);
  if (in != NULL && fd >= 0) {
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, in);
    CHECK(write(fd, buf, n) == (ssize_t)n);
    CHECK(fchmod(fd, 0644) == 0);
  }
  if (in) fclose(in);
  if (fd >= 0) close(fd);
  CHECK_STATUS(ctc_codec_load(open_copy, &codec), CTC_STATUS_KEYRING_INSECURE_PERMISSIONS);
  CHECK(message_has("chmod 600"));
  CHECK(message_has("mode 0644"));
  unlink(open_copy);

  /* Not a key file. */
  char junk[4096];
  snprintf(junk, sizeof junk, "%s/junk.json", scratch);
  fd = open(junk, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0 && write(fd, "{\"version\":", 11) == 11);
  if (fd >= 0) close(fd);
  CHECK_STATUS(ctc_codec_load(junk, &codec), CTC_STATUS_KEYRING_SYNTAX);
  unlink(junk);

  CHECK_STATUS(ctc_codec_load(keys, &codec), CTC_STATUS_OK);
  CHECK(codec != NULL);
  CHECK(ctc_last_error_status() == CTC_STATUS_OK);
  CHECK(ctc_last_error_message() == NULL);
  ctc_codec_free(codec);
}

static void test_st_round_trip(const CtcCodec *codec, int64_t now) {
  CtcClaims c = typical_st(now);
  char *ticket = encode(codec, &c);
  CHECK(ticket != NULL && strncmp(ticket, "ST-", 3) == 0 && strlen(ticket) == 102);
  if (ticket == NULL) return;

  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now + 5, 0, &t), CTC_STATUS_OK);
  CHECK(t != NULL);
  if (t != NULL) {
    CHECK(t->kind == CTC_KIND_ST);
    CHECK(strcmp(t->principal, "jdoe@example.edu") == 0);
    CHECK(t->authenticated_at == now - 300);
    CHECK(t->issued_at == now && t->expires_at == now + 10);
    CHECK(t->methods_len == 1 && strcmp(t->methods[0], "Password") == 0);
    CHECK(t->remember_me == 0 && t->fresh_login == 0);
    CHECK(strcmp(t->service, SERVICE) == 0);
    CHECK(t->proxies == NULL && t->proxies_len == 0);
    CHECK(t->pgt_url == NULL && t->upstream == NULL && t->upstream_len == 0);
    CHECK(t->session_id == NULL && t->session_ends_at == 0);
    CHECK(strlen(t->key_id) == 4 && strcmp(t->alg, "aes256gcm") == 0);
    /* Every string lies in text: principal, key id, alg, method, service. */
    const char *strings[] = {t->principal, t->key_id, t->alg, t->methods[0], t->service};
    size_t total = 0;
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
      CHECK(strings[i] >= t->text && strings[i] + strlen(strings[i]) < t->text + t->text_len);
      total += strlen(strings[i]) + 1;
    }
    CHECK(total == t->text_len);
  }
  ctc_ticket_free(t);

  /* The service after normalization (FORMAT.md §8): host case, default port. */
  CHECK_STATUS(ctc_decode(codec, ticket, "HTTPS://APP.example.edu:443/login?target=%2Fhome",
                          CTC_KIND_ANY, now, 0, &t), CTC_STATUS_OK);
  ctc_ticket_free(t);
  /* CTC_NOW: the ticket was issued now, so it is valid now. */
  CtcClaims fresh = typical_st(time(NULL));
  char *fresh_ticket = encode(codec, &fresh);
  CHECK_STATUS(ctc_decode(codec, fresh_ticket, NULL, CTC_KIND_ANY, CTC_NOW, 0, &t), CTC_STATUS_OK);
  ctc_ticket_free(t);
  ctc_string_free(fresh_ticket);
  /* CTC_NOW in the claims. */
  fresh.authenticated_at = CTC_NOW;
  fresh.issued_at = CTC_NOW;
  fresh_ticket = encode(codec, &fresh);
  CHECK_STATUS(ctc_decode(codec, fresh_ticket, SERVICE, CTC_KIND_ST, CTC_NOW, 0, &t), CTC_STATUS_OK);
  CHECK(t != NULL && t->authenticated_at == t->issued_at && t->expires_at == t->issued_at + 10);
  ctc_ticket_free(t);
  ctc_string_free(fresh_ticket);

  /* Wrong service. */
  t = (CtcTicket *)1;
  CHECK_STATUS(ctc_decode(codec, ticket, "https://app.example.edu/login?target=%2Fother",
                          CTC_KIND_ANY, now, 0, &t), CTC_STATUS_SERVICE_MISMATCH);
  CHECK(t == NULL);
  CHECK(message_has("service does not match"));
  CHECK(ctc_last_error_status() == CTC_STATUS_SERVICE_MISMATCH);
  /* A service that is not UTF-8 names no service. */
  CHECK_STATUS(ctc_decode(codec, ticket, "https://app.example.edu/\xff", CTC_KIND_ANY, now, 0, &t),
               CTC_STATUS_SERVICE_MISMATCH);

  /* Expired: at the expiration instant, and with details. */
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now + 10, 0, &t), CTC_STATUS_EXPIRED);
  CtcErrorDetail d;
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK);
  CHECK(d.status == CTC_STATUS_EXPIRED && d.expired_at == now + 10 && d.now == now + 10);
  CHECK(message_has("expired at"));
  CHECK(ctc_last_error_detail(NULL) == CTC_STATUS_NULL_ARGUMENT);
  /* Leeway: 2 s past expiry with 5 s of leeway is valid, 6 s past is not. */
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now + 12, 5, &t), CTC_STATUS_OK);
  ctc_ticket_free(t);
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now + 15, 5, &t), CTC_STATUS_EXPIRED);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.now == now + 15 && d.expired_at == now + 10);
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now + 10, -5, &t), CTC_STATUS_EXPIRED);
  /* Not yet valid: issued 5 s after the validation instant (a second is
   * allowed, and the leeway), with details. */
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now - 5, 0, &t), CTC_STATUS_NOT_YET_VALID);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK);
  CHECK(d.status == CTC_STATUS_NOT_YET_VALID && d.issued_at == now && d.now == now - 5);
  CHECK(message_has("not valid yet"));
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now - 1, 0, &t), CTC_STATUS_OK);
  ctc_ticket_free(t);
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now - 5, 4, &t), CTC_STATUS_OK);
  ctc_ticket_free(t);
  CHECK_STATUS(ctc_decode(codec, ticket, SERVICE, CTC_KIND_ST, now - 6, 4, &t), CTC_STATUS_NOT_YET_VALID);

  /* Wrong kind, refused before any cryptographic work. */
  CHECK_STATUS(ctc_decode(codec, ticket, NULL, CTC_KIND_PT, now, 0, &t), CTC_STATUS_WRONG_KIND);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK);
  CHECK(d.expected_kind == CTC_KIND_PT && d.found_kind == CTC_KIND_ST);
  CHECK_STATUS(ctc_decode(codec, ticket, NULL, 9, now, 0, &t), CTC_STATUS_INVALID_ARGUMENT);

  /* Tampered: a body character lowered (the text stays canonical base62). */
  char *tampered = strdup(ticket);
  size_t pos = 40;
  while (tampered[pos] == '0') pos++;
  tampered[pos] = '0';
  CHECK_STATUS(ctc_decode(codec, tampered, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_AUTHENTICATION_FAILED);
  CHECK(message_has("authentication failed"));
  /* Relabelled: the same body as a PT. */
  size_t n = strlen(ticket);
  char *relabelled = strdup(ticket);
  relabelled[0] = 'P'; /* "PT-…" */
  CHECK_STATUS(ctc_decode(codec, relabelled, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_AUTHENTICATION_FAILED);
  free(relabelled);
  free(tampered);

  /* Malformed, each with its own code. */
  CHECK_STATUS(ctc_decode(codec, "", NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_EMPTY);
  CHECK_STATUS(ctc_decode(codec, "XT-abc", NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_PREFIX);
  CHECK_STATUS(ctc_decode(codec, "ST-abc_def", NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_ALPHABET);
  CHECK_STATUS(ctc_decode(codec, "ST-\xff\xfe", NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_ALPHABET);
  /* Cut to a body length no byte count has (length mod 11 is 1, 4 or 8). */
  char *truncated = strdup(ticket);
  size_t cut = n;
  while ((cut - 3) % 11 != 1 && (cut - 3) % 11 != 4 && (cut - 3) % 11 != 8) cut--;
  truncated[cut] = '\0';
  CHECK_STATUS(ctc_decode(codec, truncated, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_LENGTH);
  free(truncated);
  char long_ticket[301];
  memset(long_ticket, 'A', 300);
  memcpy(long_ticket, "ST-", 3);
  long_ticket[300] = '\0';
  CHECK_STATUS(ctc_decode(codec, long_ticket, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_TOO_LONG);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.length == 300 && d.max == 256);

  /* NULL arguments. */
  CHECK_STATUS(ctc_decode(NULL, ticket, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_decode(codec, NULL, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_decode(codec, ticket, NULL, CTC_KIND_ANY, now, 0, NULL), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_decode(codec, ticket, NULL, CTC_KIND_ANY, INT64_MAX, 0, &t), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(t == NULL);

  ctc_string_free(ticket);
}

static void test_unknown_key(const CtcCodec *codec, const char *other_keys, int64_t now) {
  CtcCodec *other = NULL;
  CHECK_STATUS(ctc_codec_load(other_keys, &other), CTC_STATUS_OK);
  CtcClaims c = typical_st(now);
  char *ticket = encode(other, &c);
  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, ticket, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_UNKNOWN_KEY);
  CtcErrorDetail d;
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.key_id >= 0 && d.key_id <= 0xffff);
  CHECK(message_has("unknown key id"));
  ctc_string_free(ticket);
  ctc_codec_free(other);
}

static void test_every_kind(const CtcCodec *codec, int64_t now) {
  /* A TGT opening a session. */
  CtcClaims tgt = {0};
  tgt.kind = CTC_KIND_TGT;
  tgt.principal = "jdoe@example.edu";
  tgt.authenticated_at = now;
  tgt.methods = METHODS;
  tgt.methods_len = 1;
  tgt.remember_me = 1;
  tgt.issued_at = now;
  tgt.lifetime_seconds = 8 * 3600;
  tgt.session_id = "new";
  char *tgt_ticket = encode(codec, &tgt);
  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, tgt_ticket, NULL, CTC_KIND_TGT, now, 0, &t), CTC_STATUS_OK);
  char session[17] = {0};
  if (t != NULL) {
    CHECK(t->kind == CTC_KIND_TGT && t->remember_me == 1 && t->service == NULL);
    CHECK(t->session_id != NULL && strlen(t->session_id) == 16);
    CHECK(t->session_ends_at == now + 8 * 3600 && t->expires_at == t->session_ends_at);
    if (t->session_id) memcpy(session, t->session_id, 16);
  }
  ctc_ticket_free(t);
  /* An ST of the session, marked as a fresh login. */
  CtcClaims st = typical_st(now);
  st.session_id = session;
  st.session_ends_at = now + 8 * 3600;
  st.fresh_login = 1;
  char *st_ticket = encode(codec, &st);
  CHECK(st_ticket != NULL && strlen(st_ticket) == 119);
  CHECK_STATUS(ctc_decode(codec, st_ticket, SERVICE, CTC_KIND_ST, now, 0, &t), CTC_STATUS_OK);
  CHECK(t != NULL && t->fresh_login == 1 && t->session_id && strcmp(t->session_id, session) == 0);
  ctc_ticket_free(t);
  /* A PGT with one upstream proxy. */
  const char *upstream[] = {"https://portal.example.edu/cas/proxyCallback"};
  CtcClaims pgt = typical_st(now);
  pgt.kind = CTC_KIND_PGT;
  pgt.service = NULL;
  pgt.pgt_url = "https://mail-gateway.example.edu:8443/pgtCallback";
  pgt.upstream = upstream;
  pgt.upstream_len = 1;
  pgt.lifetime_seconds = 7200;
  char *pgt_ticket = encode(codec, &pgt);
  CHECK_STATUS(ctc_decode(codec, pgt_ticket, NULL, CTC_KIND_PGT, now, 0, &t), CTC_STATUS_OK);
  if (t != NULL) {
    CHECK(t->kind == CTC_KIND_PGT && t->service == NULL);
    CHECK(strcmp(t->pgt_url, "https://mail-gateway.example.edu:8443/pgtCallback") == 0);
    CHECK(t->upstream_len == 1 && strcmp(t->upstream[0], upstream[0]) == 0);
  }
  ctc_ticket_free(t);
  /* A PGT is not an ST: asking for a service fails. */
  CHECK_STATUS(ctc_decode(codec, pgt_ticket, SERVICE, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_SERVICE_MISMATCH);
  /* A PT through two proxies. */
  const char *proxies[] = {"https://mail-gateway.example.edu:8443/pgtCallback", upstream[0]};
  CtcClaims pt = typical_st(now);
  pt.kind = CTC_KIND_PT;
  pt.service = "https://imap.example.edu/webmail/inbox?folder=INBOX";
  pt.proxies = proxies;
  pt.proxies_len = 2;
  char *pt_ticket = encode(codec, &pt);
  CHECK_STATUS(ctc_decode(codec, pt_ticket, pt.service, CTC_KIND_PT, now, 0, &t), CTC_STATUS_OK);
  if (t != NULL) {
    CHECK(t->kind == CTC_KIND_PT && t->proxies_len == 2);
    CHECK(strcmp(t->proxies[0], proxies[0]) == 0 && strcmp(t->proxies[1], proxies[1]) == 0);
  }
  ctc_ticket_free(t);
  ctc_string_free(tgt_ticket);
  ctc_string_free(st_ticket);
  ctc_string_free(pgt_ticket);
  ctc_string_free(pt_ticket);
}

static void test_encode_errors(const CtcCodec *codec, int64_t now) {
  char *ticket = (char *)1;
  CtcClaims c = typical_st(now);
  c.principal = "";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_PRINCIPAL);
  CHECK(ticket == NULL);
  c = typical_st(now);
  c.principal = NULL;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);
  c = typical_st(now);
  c.principal = "jdoe\xff";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("principal is not UTF-8"));
  c = typical_st(now);
  c.principal = "jdoe\n";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_PRINCIPAL);
  const char *nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
  c = typical_st(now);
  c.methods = nine;
  c.methods_len = 9;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_TOO_MANY_METHODS);
  c.methods = NULL;
  c.methods_len = 2;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);
  const char *empty_method[] = {""};
  c.methods = empty_method;
  c.methods_len = 1;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_METHOD);
  c = typical_st(now);
  c.service = "javascript://%0aalert(1)";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_SERVICE);
  c.service = NULL;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);
  c = typical_st(now);
  c.lifetime_seconds = 0;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_VALIDITY);
  c = typical_st(now);
  c.issued_at = INT64_MAX;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_VALIDITY);
  c = typical_st(now);
  c.kind = 8;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  c.kind = CTC_KIND_ANY;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  c = typical_st(now);
  c.kind = CTC_KIND_TGT; /* a TGT has no service */
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("service applies to ST and PT only"));
  c = typical_st(now);
  c.kind = CTC_KIND_PT; /* a PT needs a proxy chain */
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_PROXY_CHAIN);
  const char *bad_proxy[] = {"ftp://proxy.example.edu/"};
  c.proxies = bad_proxy;
  c.proxies_len = 1;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_URL);
  c.proxies_len = 9;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_PROXY_CHAIN);
  c = typical_st(now);
  c.session_id = "xyz";
  c.session_ends_at = now + 60;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_SESSION);
  c.session_id = "00112233445566ff";
  c.session_ends_at = now + 5; /* the ST would outlive its session */
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_SESSION);
  c.session_id = NULL;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  /* Over 256 characters: a PGT with a long callback and seven upstream proxies. */
  const char *seven[7];
  char urls[7][200];
  for (int i = 0; i < 7; i++) {
    snprintf(urls[i], sizeof urls[i], "https://proxy%d.qzxv%djwkq.example.edu/cb%dxqzv", i, i * 7919, i * 104729);
    seven[i] = urls[i];
  }
  c = typical_st(now);
  c.kind = CTC_KIND_PGT;
  c.service = NULL;
  c.pgt_url = "https://callback.example.edu/cb";
  c.upstream = seven;
  c.upstream_len = 7;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_TOO_LONG);
  c.upstream_len = 8;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_PROXY_CHAIN);
  CHECK_STATUS(ctc_encode(NULL, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_encode(codec, NULL, &ticket), CTC_STATUS_NULL_ARGUMENT);
  c = typical_st(now);
  CHECK_STATUS(ctc_encode(codec, &c, NULL), CTC_STATUS_NULL_ARGUMENT);
  CHECK(ticket == NULL);
}

/* --- OAuth 2.0: codes (OC), access tokens (AT), refresh tokens (RT) ---- */

static const char *REDIRECT = "https://moodle.example.edu/auth/oidc/";
static const char *GRANT = "6772616e742d6964";
/* RFC 7636 Appendix B. */
static const char *VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
static const char *CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
static const char *ID_TOKEN_CLAIMS[] = {"name", "email_verified", "name"};
static const char *USERINFO_CLAIMS[] = {"picture"};

/* A typical code of a session, issued at `at`, 30 s. */
static CtcClaims typical_code(int64_t at) {
  CtcClaims c = {0};
  c.kind = CTC_KIND_OC;
  c.principal = "jdoe@example.edu";
  c.authenticated_at = at - 300;
  c.methods = METHODS;
  c.methods_len = 1;
  c.issued_at = at;
  c.lifetime_seconds = 30;
  c.session_id = "5e551000cafef00d";
  c.session_ends_at = at + 8 * 3600;
  c.client_id = "moodle";
  c.scope = "email openid urn:x:read email";
  c.grant_id = GRANT;
  c.id_token_claims = ID_TOKEN_CLAIMS;
  c.id_token_claims_len = 3;
  c.userinfo_claims = USERINFO_CLAIMS;
  c.userinfo_claims_len = 1;
  c.redirect_uri = REDIRECT;
  c.nonce = "n-0S6_WzA2Mj";
  c.code_challenge = CHALLENGE;
  return c;
}

/* An access token of the same grant: no redirect URI, nonce or challenge. */
static CtcClaims typical_token(int64_t at, int32_t kind) {
  CtcClaims c = typical_code(at);
  c.kind = kind;
  c.lifetime_seconds = 3600;
  c.redirect_uri = NULL;
  c.nonce = NULL;
  c.code_challenge = NULL;
  return c;
}

/* `ctc_verify_pkce` of `challenge` and `verifier`, checked to succeed: its verdict. */
static int pkce(const char *challenge, const char *verifier) {
  int32_t matches = -1;
  CHECK_STATUS(ctc_verify_pkce(challenge, verifier, &matches), CTC_STATUS_OK);
  CHECK(matches == 0 || matches == 1);
  return matches == 1;
}

/* `ctc_redirect_uri_is_exactly`, checked to succeed: its verdict. */
static int redirect_is(const char *stored, const char *given) {
  int32_t matches = -1;
  CHECK_STATUS(ctc_redirect_uri_is_exactly(stored, given, &matches), CTC_STATUS_OK);
  CHECK(matches == 0 || matches == 1);
  return matches == 1;
}

static void test_oauth_round_trips(const CtcCodec *codec, int64_t now) {
  CtcClaims oc = typical_code(now);
  char *code = encode(codec, &oc);
  CHECK(code != NULL && strncmp(code, "OC-", 3) == 0 && strlen(code) <= 384);
  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, code, NULL, CTC_KIND_OC, now + 5, 0, &t), CTC_STATUS_OK);
  if (t != NULL) {
    CHECK(t->kind == CTC_KIND_OC && strcmp(t->principal, "jdoe@example.edu") == 0);
    CHECK(t->issued_at == now && t->expires_at == now + 30);
    CHECK(t->session_id != NULL && strcmp(t->session_id, "5e551000cafef00d") == 0);
    CHECK(strcmp(t->client_id, "moodle") == 0);
    /* The scope parameter's one spelling: standard scopes first, a repeat once. */
    CHECK(strcmp(t->scope, "openid email urn:x:read") == 0);
    CHECK(strcmp(t->grant_id, GRANT) == 0);
    /* Claim names: a set, in byte order. */
    CHECK(t->id_token_claims_len == 2 && strcmp(t->id_token_claims[0], "email_verified") == 0 &&
          strcmp(t->id_token_claims[1], "name") == 0);
    CHECK(t->userinfo_claims_len == 1 && strcmp(t->userinfo_claims[0], "picture") == 0);
    CHECK(strcmp(t->redirect_uri, REDIRECT) == 0);
    CHECK(strcmp(t->nonce, "n-0S6_WzA2Mj") == 0);
    CHECK(strcmp(t->code_challenge, CHALLENGE) == 0);
    CHECK(t->service == NULL && t->proxies_len == 0 && t->pgt_url == NULL && t->fresh_login == 0);
    /* Every string lies in text, back to back. */
    const char *strings[] = {t->principal, t->key_id, t->alg, t->methods[0], t->session_id,
                             t->client_id, t->scope, t->grant_id, t->id_token_claims[0],
                             t->id_token_claims[1], t->userinfo_claims[0], t->redirect_uri,
                             t->nonce, t->code_challenge};
    size_t total = 0;
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
      CHECK(strings[i] >= t->text && strings[i] + strlen(strings[i]) < t->text + t->text_len);
      total += strlen(strings[i]) + 1;
    }
    CHECK(total == t->text_len);

    /* The token request: PKCE (RFC 7636 Appendix B) and the exact redirect URI. */
    CHECK(pkce(t->code_challenge, VERIFIER));
    CHECK(!pkce(t->code_challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
    CHECK(!pkce(t->code_challenge, "short"));
    CHECK(!pkce(t->code_challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX\xff"));
    CHECK(redirect_is(t->redirect_uri, REDIRECT));
    CHECK(!redirect_is(t->redirect_uri, "https://Moodle.example.edu/auth/oidc/"));
    CHECK(!redirect_is(t->redirect_uri, "https://moodle.example.edu:443/auth/oidc/"));
    CHECK(!redirect_is(t->redirect_uri, "https://moodle.example.edu/auth/oidc"));
    CHECK(!redirect_is(t->redirect_uri, "https://moodle.example.edu/auth/oidc/\xff"));
  }
  /* Its replay id is the code's own; a code is no ST: no service matches it. */
  uint8_t replay[16];
  CHECK_STATUS(ctc_ticket_replay_id(codec, t, replay), CTC_STATUS_OK);
  ctc_ticket_free(t);
  CHECK_STATUS(ctc_decode(codec, code, REDIRECT, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_SERVICE_MISMATCH);
  /* Wrong kind, with the kinds' numbers. */
  CHECK_STATUS(ctc_decode(codec, code, NULL, CTC_KIND_AT, now, 0, &t), CTC_STATUS_WRONG_KIND);
  CtcErrorDetail d;
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.expected_kind == CTC_KIND_AT &&
        d.found_kind == CTC_KIND_OC);
  /* Relabelled as an AT: it does not authenticate. */
  char *relabelled = strdup(code);
  relabelled[0] = 'A';
  relabelled[1] = 'T';
  CHECK_STATUS(ctc_decode(codec, relabelled, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_AUTHENTICATION_FAILED);
  free(relabelled);
  /* Opened long after its expiry: the same fields. */
  CHECK_STATUS(ctc_open_expired(codec, code, &t), CTC_STATUS_OK);
  CHECK(t != NULL && t->kind == CTC_KIND_OC && strcmp(t->code_challenge, CHALLENGE) == 0 &&
        strcmp(t->grant_id, GRANT) == 0 && t->id_token_claims_len == 2);
  ctc_ticket_free(t);
  ctc_string_free(code);

  /* A minimal code: no nonce, no PKCE, no scope, a fresh grant id, no session. */
  CtcClaims minimal = {0};
  minimal.kind = CTC_KIND_OC;
  minimal.principal = "jdoe@example.edu";
  minimal.authenticated_at = now;
  minimal.issued_at = now;
  minimal.lifetime_seconds = 30;
  minimal.client_id = "moodle";
  minimal.redirect_uri = "http://127.0.0.1:8400/cb";
  code = encode(codec, &minimal);
  t = NULL;
  CHECK_STATUS(ctc_decode(codec, code, NULL, CTC_KIND_OC, now, 0, &t), CTC_STATUS_OK);
  if (t != NULL) {
    CHECK(strcmp(t->scope, "") == 0 && t->nonce == NULL && t->code_challenge == NULL);
    CHECK(t->grant_id != NULL && strlen(t->grant_id) == 16 && strcmp(t->grant_id, GRANT) != 0);
    CHECK(t->id_token_claims == NULL && t->id_token_claims_len == 0);
    CHECK(t->userinfo_claims == NULL && t->userinfo_claims_len == 0);
    CHECK(t->session_id == NULL);
    /* Without a challenge no verifier is accepted (no PKCE downgrade). */
    CHECK(!pkce(t->code_challenge, VERIFIER));
    CHECK(redirect_is(t->redirect_uri, "http://127.0.0.1:8400/cb"));
  }
  ctc_ticket_free(t);
  ctc_string_free(code);

  /* A long redirect URI is stored shortened, and still matched exactly. */
  char long_redirect[200];
  snprintf(long_redirect, sizeof long_redirect, "%s%s", REDIRECT,
           "callback/with/a/long/path?state=a8f2e1c7d94b3a6f&tenant=engineering");
  oc = typical_code(now);
  oc.redirect_uri = long_redirect;
  code = encode(codec, &oc);
  CHECK_STATUS(ctc_decode(codec, code, NULL, CTC_KIND_OC, now, 0, &t), CTC_STATUS_OK);
  if (t != NULL) {
    CHECK(strchr(t->redirect_uri, '#') != NULL && strlen(t->redirect_uri) <= 64);
    CHECK(redirect_is(t->redirect_uri, long_redirect));
    long_redirect[strlen(long_redirect) - 1] = 'x';
    CHECK(!redirect_is(t->redirect_uri, long_redirect));
  }
  ctc_ticket_free(t);
  ctc_string_free(code);

  /* An access token and a refresh token of the code's grant. */
  const int32_t kinds[] = {CTC_KIND_AT, CTC_KIND_RT};
  const char *prefixes[] = {"AT-", "RT-"};
  for (int i = 0; i < 2; i++) {
    CtcClaims token = typical_token(now, kinds[i]);
    token.id_token_claims_len = 0;
    token.userinfo_claims_len = 0;
    token.scope = "openid profile email";
    char *text = encode(codec, &token);
    CHECK(text != NULL && strncmp(text, prefixes[i], 3) == 0 && strlen(text) <= 256);
    t = NULL;
    CHECK_STATUS(ctc_decode(codec, text, NULL, kinds[i], now + 5, 0, &t), CTC_STATUS_OK);
    if (t != NULL) {
      CHECK(t->kind == kinds[i] && strcmp(t->client_id, "moodle") == 0);
      CHECK(strcmp(t->scope, "openid profile email") == 0 && strcmp(t->grant_id, GRANT) == 0);
      CHECK(t->expires_at == now + 3600 && strcmp(t->session_id, "5e551000cafef00d") == 0);
      CHECK(t->redirect_uri == NULL && t->nonce == NULL && t->code_challenge == NULL);
      CHECK(t->id_token_claims_len == 0 && t->userinfo_claims_len == 0);
      CHECK(!redirect_is(t->redirect_uri, REDIRECT));
    }
    ctc_ticket_free(t);
    ctc_string_free(text);
  }
}

static void test_oauth_errors(const CtcCodec *codec, int64_t now) {
  char *ticket = (char *)1;
  /* A field that does not apply to the kind. */
  CtcClaims c = typical_token(now, CTC_KIND_AT);
  c.redirect_uri = REDIRECT;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(ticket == NULL);
  CHECK(message_has("claims.redirect_uri applies to an OC only"));
  c = typical_token(now, CTC_KIND_RT);
  c.nonce = "n-0S6_WzA2Mj";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.nonce applies to an OC only"));
  c = typical_token(now, CTC_KIND_AT);
  c.code_challenge = CHALLENGE;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.code_challenge applies to an OC only"));
  c = typical_code(now);
  c.service = SERVICE;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.service applies to ST and PT only"));
  c = typical_code(now);
  c.fresh_login = 1;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CtcClaims st = typical_st(now);
  st.client_id = "moodle";
  CHECK_STATUS(ctc_encode(codec, &st, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.client_id applies to OC, AT and RT only"));
  st = typical_st(now);
  st.scope = "openid";
  CHECK_STATUS(ctc_encode(codec, &st, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.scope applies to OC, AT and RT only"));
  st = typical_st(now);
  st.grant_id = GRANT;
  CHECK_STATUS(ctc_encode(codec, &st, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  st = typical_st(now);
  st.userinfo_claims = USERINFO_CLAIMS;
  st.userinfo_claims_len = 1;
  CHECK_STATUS(ctc_encode(codec, &st, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  st = typical_st(now);
  st.redirect_uri = REDIRECT;
  CHECK_STATUS(ctc_encode(codec, &st, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.redirect_uri applies to an OC only"));
  /* What a code or token needs. */
  c = typical_token(now, CTC_KIND_AT);
  c.client_id = NULL;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);
  CHECK(message_has("claims.client_id is NULL"));
  c = typical_code(now);
  c.redirect_uri = NULL;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);
  CHECK(message_has("claims.redirect_uri is NULL"));
  c = typical_code(now);
  c.id_token_claims = NULL;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_NULL_ARGUMENT);

  /* Each reason with its own code. */
  const char *bad_scopes[] = {"openid  email", " openid", "openid ", "open\"id", "open\\id", "\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad_scopes / sizeof bad_scopes[0]; i++) {
    c = typical_code(now);
    c.scope = bad_scopes[i];
    CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_SCOPE);
  }
  CHECK(message_has("scope is not an RFC 6749 scope token"));
  c = typical_token(now, CTC_KIND_RT);
  c.scope = "openid\xff";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(message_has("claims.scope is not UTF-8"));
  c = typical_code(now);
  c.client_id = "";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_CLIENT);
  c.client_id = "mood\nle";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_CLIENT);
  const char *empty_name[] = {""};
  c = typical_code(now);
  c.userinfo_claims = empty_name;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_CLAIM_NAMES);
  const char *seventeen[17];
  char names[17][8];
  for (int i = 0; i < 17; i++) {
    snprintf(names[i], sizeof names[i], "c%d", i);
    seventeen[i] = names[i];
  }
  c = typical_code(now);
  c.id_token_claims = seventeen;
  c.id_token_claims_len = 17;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_CLAIM_NAMES);
  c.id_token_claims_len = 16;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_OK);
  ctc_string_free(ticket);
  c = typical_code(now);
  c.nonce = "";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_NONCE);
  c.nonce = "n\x01";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_NONCE);
  c = typical_code(now);
  c.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_CODE_CHALLENGE);
  c.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_CODE_CHALLENGE);
  c = typical_code(now);
  c.grant_id = "0123";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_GRANT);
  c.grant_id = "0123456789abcdeg";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_GRANT);
  c = typical_code(now);
  c.redirect_uri = "javascript://%0aalert(1)";
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_INVALID_SERVICE);
  CHECK(ticket == NULL);

  /* The caps: 384 characters for a code, 256 for a token; each error says which. */
  static char scope[17 * 64];
  size_t at = 0;
  uint32_t x = 12345;
  for (int i = 0; i < 16; i++) {
    if (i > 0) scope[at++] = ' ';
    for (int j = 0; j < 40; j++) {
      x = x * 1103515245u + 12345u;
      scope[at++] = "abcdefghijklmnopqrstuvwxyz0123456789:._-"[(x >> 16) % 40];
    }
  }
  scope[at] = '\0';
  c = typical_code(now);
  c.scope = scope;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_TOO_LONG);
  CtcErrorDetail d;
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.max == 384 && d.length > 384);
  c = typical_token(now, CTC_KIND_AT);
  c.scope = scope;
  CHECK_STATUS(ctc_encode(codec, &c, &ticket), CTC_STATUS_TOO_LONG);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.max == 256 && d.length > 256);
  /* Decoding: the cap of any text before its prefix, then its kind's. */
  static char text[400];
  CtcTicket *t = (CtcTicket *)1;
  memset(text, '0', 385);
  memcpy(text, "OC-", 3);
  text[385] = '\0';
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_TOO_LONG);
  CHECK(t == NULL);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.length == 385 && d.max == 384);
  text[384] = '\0';
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_UNSUPPORTED_VERSION);
  memcpy(text, "AT-", 3);
  text[257] = '\0';
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_TOO_LONG);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.length == 257 && d.max == 256);
  memset(text, '_', 385);
  text[385] = '\0';
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_TOO_LONG);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.length == 385 && d.max == 384);
  /* Bytes that are not UTF-8 keep their length: 300 bytes of a code are read. */
  memset(text, '\xff', 300);
  memcpy(text, "OC-", 3);
  text[300] = '\0';
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_ALPHABET);
  memcpy(text, "ST-", 3);
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_TOO_LONG);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.length == 300 && d.max == 256);
  memset(text, '\xff', 390);
  text[390] = '\0';
  CHECK_STATUS(ctc_decode(codec, text, NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_TOO_LONG);
  CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.length == 390 && d.max == 384);

  /* The token request's checks: arguments. */
  int32_t matches = -1;
  CHECK_STATUS(ctc_verify_pkce(CHALLENGE, NULL, &matches), CTC_STATUS_NULL_ARGUMENT);
  CHECK(matches == 0);
  CHECK_STATUS(ctc_verify_pkce(CHALLENGE, VERIFIER, NULL), CTC_STATUS_NULL_ARGUMENT);
  matches = -1;
  CHECK_STATUS(ctc_verify_pkce("not a challenge", VERIFIER, &matches), CTC_STATUS_INVALID_CODE_CHALLENGE);
  CHECK(matches == 0);
  CHECK_STATUS(ctc_verify_pkce("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c\xff", VERIFIER, &matches),
               CTC_STATUS_INVALID_CODE_CHALLENGE);
  CHECK_STATUS(ctc_redirect_uri_is_exactly(REDIRECT, NULL, &matches), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_redirect_uri_is_exactly(REDIRECT, REDIRECT, NULL), CTC_STATUS_NULL_ARGUMENT);
  CHECK(!redirect_is(NULL, REDIRECT));
  CHECK(!redirect_is("\xff", "\xff"));
  CHECK(!redirect_is(REDIRECT, "javascript://%0aalert(1)"));
}

/* --- the store's side of a ticket (FORMAT.md §13) --------------------- */

/* Reads hex into `out` (at most `cap` bytes); returns the byte count, or -1. */
static long unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex);
  if (n % 2 != 0 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned int b;
    if (sscanf(hex + 2 * i, "%2x", &b) != 1) return -1;
    out[i] = (uint8_t)b;
  }
  return (long)(n / 2);
}

/* The 16 bytes at `id` equal the hex `want`. */
static int id_is(const uint8_t id[16], const char *want) {
  uint8_t bytes[16];
  return unhex(want, bytes, sizeof bytes) == 16 && memcmp(id, bytes, 16) == 0;
}

/* `s` equals `want`, NULL standing for "-". */
static int same_or_none(const char *s, const char *want) {
  return strcmp(want, "-") == 0 ? s == NULL : (s != NULL && strcmp(s, want) == 0);
}

/* One case of store.json, as bindings/test writes it. */
struct store_case {
  int64_t now, leeway;
  char *ticket, *replay_id, *principal, *principal_id, *session_id, *service_url, *record;
};

static void test_store_case(const CtcCodec *codec, const struct store_case *c) {
  /* Decoded as a node validates it: the ids are the vector's. */
  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, c->ticket, NULL, CTC_KIND_ANY, c->now, c->leeway, &t), CTC_STATUS_OK);
  if (t == NULL) return;
  uint8_t replay[16], principal[16];
  CHECK_STATUS(ctc_ticket_replay_id(codec, t, replay), CTC_STATUS_OK);
  CHECK(id_is(replay, c->replay_id));
  CHECK_STATUS(ctc_ticket_principal_id(codec, t, principal), CTC_STATUS_OK);
  CHECK(id_is(principal, c->principal_id));
  CHECK(strcmp(t->principal, c->principal) == 0);
  /* A principal's ids: one per key (two in the vector's keyring), the
   * ticket's among them. */
  CtcBytes *ids = NULL;
  CHECK_STATUS(ctc_principal_ids(codec, c->principal, &ids), CTC_STATUS_OK);
  CHECK(ids != NULL && ids->len == 32);
  if (ids != NULL && ids->len == 32) {
    CHECK(id_is(ids->data, c->principal_id) || id_is(ids->data + 16, c->principal_id));
    CHECK(memcmp(ids->data, ids->data + 16, 16) != 0);
  }
  ctc_bytes_free(ids);

  /* Long after its expiry: decode refuses it, open_expired opens it. */
  int64_t later = c->now + 400 * 86400;
  CtcTicket *expired = (CtcTicket *)1;
  CHECK_STATUS(ctc_decode(codec, c->ticket, NULL, CTC_KIND_ANY, later, c->leeway, &expired), CTC_STATUS_EXPIRED);
  CHECK(expired == NULL);
  CHECK_STATUS(ctc_open_expired(codec, c->ticket, &expired), CTC_STATUS_OK);
  if (expired != NULL) {
    CHECK(expired->kind == t->kind && strcmp(expired->principal, t->principal) == 0);
    CHECK(expired->expires_at == t->expires_at && expired->expires_at < later);
    CHECK(strcmp(expired->key_id, t->key_id) == 0 && strcmp(expired->alg, t->alg) == 0);
    CHECK(same_or_none(expired->service, t->service ? t->service : "-"));
    CHECK(same_or_none(expired->session_id, t->session_id ? t->session_id : "-"));
    /* Its store ids are the validated ticket's alone. */
    memset(replay, 0xff, sizeof replay);
    CHECK_STATUS(ctc_ticket_replay_id(codec, expired, replay), CTC_STATUS_INVALID_ARGUMENT);
    CHECK(id_is(replay, "00000000000000000000000000000000"));
    CHECK_STATUS(ctc_ticket_principal_id(codec, expired, principal), CTC_STATUS_INVALID_ARGUMENT);
  }
  ctc_ticket_free(expired);
  ctc_ticket_free(t);

  if (strcmp(c->record, "-") == 0) return;
  /* The vector's record opens for its session to the ticket and URL. */
  uint8_t record[8192];
  long n = unhex(c->record, record, sizeof record);
  CHECK(n > 0);
  if (n <= 0) return;
  char *ticket = NULL, *service = (char *)1;
  CHECK_STATUS(ctc_open_record(codec, c->session_id, record, (size_t)n, &ticket, &service), CTC_STATUS_OK);
  CHECK(ticket != NULL && strcmp(ticket, c->ticket) == 0);
  CHECK(same_or_none(service, c->service_url));
  ctc_string_free(ticket);
  ctc_string_free(service);
  /* For another session, it does not open. */
  char other_session[17];
  snprintf(other_session, sizeof other_session, "%s", c->session_id);
  other_session[15] = other_session[15] == '0' ? '1' : '0';
  CHECK_STATUS(ctc_open_record(codec, other_session, record, (size_t)n, &ticket, &service),
               CTC_STATUS_AUTHENTICATION_FAILED);
  CHECK(ticket == NULL && service == NULL);
  /* A flipped byte anywhere after the length: it does not open. */
  for (long i = 2; i < n; i++) {
    record[i] ^= 0x01;
    CtcStatus got = ctc_open_record(codec, c->session_id, record, (size_t)n, &ticket, &service);
    /* The key id (bytes 2 and 3) may then name no key of the codec. */
    CHECK(got == CTC_STATUS_AUTHENTICATION_FAILED || (i < 4 && got == CTC_STATUS_UNKNOWN_KEY));
    record[i] ^= 0x01;
  }
  CHECK(ticket == NULL && service == NULL);
  /* Cut short: its length does not add up. */
  CHECK_STATUS(ctc_open_record(codec, c->session_id, record, (size_t)n - 1, &ticket, &service),
               CTC_STATUS_MALFORMED_TRUNCATED);

  /* Sealed here: it opens for its session to what was sealed, and for no other. */
  const char *url = strcmp(c->service_url, "-") == 0 ? NULL : c->service_url;
  CtcBytes *sealed = NULL;
  CHECK_STATUS(ctc_seal_record(codec, c->session_id, c->ticket, url, &sealed), CTC_STATUS_OK);
  if (sealed == NULL) return;
  CHECK(sealed->len == (size_t)n); /* the same length as the vector's */
  CHECK(memcmp(sealed->data + 4, record + 4, 16) != 0); /* a fresh nonce */
  CHECK_STATUS(ctc_open_record(codec, c->session_id, sealed->data, sealed->len, &ticket, &service), CTC_STATUS_OK);
  CHECK(ticket != NULL && strcmp(ticket, c->ticket) == 0);
  CHECK(same_or_none(service, c->service_url));
  ctc_string_free(ticket);
  ctc_string_free(service);
  CHECK_STATUS(ctc_open_record(codec, other_session, sealed->data, sealed->len, &ticket, &service),
               CTC_STATUS_AUTHENTICATION_FAILED);
  ctc_bytes_free(sealed);
}

/* ctc_split_records of `len` bytes at `field`, checked to succeed. */
static CtcRecords *split(const uint8_t *field, size_t len) {
  CtcRecords *r = (CtcRecords *)1;
  CHECK_STATUS(ctc_split_records(field, len, &r), CTC_STATUS_OK);
  CHECK(r != NULL);
  return r;
}

/* Record `i` of `r` is the `len` bytes at `want`. */
static int record_is(const CtcRecords *r, size_t i, const uint8_t *want, size_t len) {
  return r != NULL && i < r->len && r->records[i].len == len && memcmp(r->records[i].data, want, len) == 0;
}

/* A store's field split as a Rust node splits it (FORMAT.md §13): the two
 * vector records `a` and `b` (lengths `na`, `nb`), and records sealed here
 * for `session` of `ticket`. */
static void test_split_records(const CtcCodec *codec, const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                               const char *session, const char *ticket) {
  static uint8_t field[100 * 8192];
  /* Both, in order. */
  memcpy(field, a, na);
  memcpy(field + na, b, nb);
  CtcRecords *r = split(field, na + nb);
  CHECK(r != NULL && r->len == 2 && record_is(r, 0, a, na) && record_is(r, 1, b, nb));
  ctc_records_free(r);
  /* The same record 100 times: one. */
  for (size_t i = 0; i < 100; i++) memcpy(field + i * na, a, na);
  r = split(field, 100 * na);
  CHECK(r != NULL && r->len == 1 && record_is(r, 0, a, na));
  ctc_records_free(r);
  /* Cut in the middle of its last record: the first only. */
  memcpy(field, a, na);
  memcpy(field + na, b, nb);
  r = split(field, na + nb / 2);
  CHECK(r != NULL && r->len == 1 && record_is(r, 0, a, na));
  ctc_records_free(r);
  /* A length of 3 first: none (and an empty field: none). */
  field[0] = 0;
  field[1] = 3;
  memcpy(field + 2, b, nb);
  r = split(field, 2 + nb);
  CHECK(r != NULL && r->len == 0 && r->records == NULL);
  ctc_records_free(r);
  r = split(field, 0);
  CHECK(r != NULL && r->len == 0);
  ctc_records_free(r);
  /* 70 distinct records: the first 64. */
  CtcBytes *sealed[70] = {0};
  size_t len = 0;
  int all = 1;
  for (size_t i = 0; i < 70; i++) {
    CHECK_STATUS(ctc_seal_record(codec, session, ticket, NULL, &sealed[i]), CTC_STATUS_OK);
    if (sealed[i] == NULL || len + sealed[i]->len > sizeof field) {
      all = 0;
      continue;
    }
    memcpy(field + len, sealed[i]->data, sealed[i]->len);
    len += sealed[i]->len;
  }
  CHECK(all);
  r = split(field, len);
  CHECK(r != NULL && r->len == 64);
  for (size_t i = 0; all && r != NULL && i < 64; i++) CHECK(record_is(r, i, sealed[i]->data, sealed[i]->len));
  ctc_records_free(r);
  for (size_t i = 0; i < 70; i++) ctc_bytes_free(sealed[i]);
  /* NULL arguments; NULL is freed as nothing. */
  r = (CtcRecords *)1;
  CHECK_STATUS(ctc_split_records(NULL, 0, &r), CTC_STATUS_NULL_ARGUMENT);
  CHECK(r == NULL);
  CHECK_STATUS(ctc_split_records(a, na, NULL), CTC_STATUS_NULL_ARGUMENT);
  ctc_records_free(NULL);
}

static void test_store_vectors(const char *keys, const char *cases) {
  CtcCodec *codec = NULL;
  CHECK_STATUS(ctc_codec_load(keys, &codec), CTC_STATUS_OK);
  FILE *in = fopen(cases, "r");
  CHECK(in != NULL);
  if (codec == NULL || in == NULL) {
    if (in) fclose(in);
    ctc_codec_free(codec);
    return;
  }
  char *line = NULL;
  size_t cap = 0;
  int count = 0, records = 0, urls = 0;
  static uint8_t record[2][8192];
  long record_len[2] = {0, 0};
  char *session = NULL, *ticket = NULL;
  while (getline(&line, &cap, in) > 0) {
    char *fields[9], *save = NULL, *field = strtok_r(line, "\t\n", &save);
    int n = 0;
    while (field != NULL && n < 9) {
      fields[n++] = field;
      field = strtok_r(NULL, "\t\n", &save);
    }
    CHECK(n == 9 && field == NULL);
    if (n != 9) continue;
    struct store_case c = {strtoll(fields[0], NULL, 10), strtoll(fields[1], NULL, 10), fields[2],
                           fields[3], fields[4], fields[5], fields[6], fields[7], fields[8]};
    test_store_case(codec, &c);
    count++;
    if (strcmp(c.record, "-") != 0 && records < 2) {
      record_len[records] = unhex(c.record, record[records], sizeof record[records]);
      if (session == NULL) {
        session = strdup(c.session_id);
        ticket = strdup(c.ticket);
      }
    }
    records += strcmp(c.record, "-") != 0;
    urls += strcmp(c.service_url, "-") != 0;
  }
  free(line);
  fclose(in);
  /* Every kind of case was read: with a record, with a URL, without a session. */
  CHECK(count >= 3 && records >= 2 && urls >= 1 && records < count);
  CHECK(record_len[0] > 0 && record_len[1] > 0 && session != NULL);
  if (record_len[0] > 0 && record_len[1] > 0 && session != NULL)
    test_split_records(codec, record[0], (size_t)record_len[0], record[1], (size_t)record_len[1], session, ticket);
  free(session);
  free(ticket);
  ctc_codec_free(codec);
}

static void test_store_errors(const CtcCodec *codec, const char *other_keys, int64_t now) {
  const char *session = "5e551000cafef00d";
  CtcClaims c = typical_st(now);
  char *st = encode(codec, &c);
  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, st, NULL, CTC_KIND_ST, now, 0, &t), CTC_STATUS_OK);
  uint8_t id[16];
  CtcBytes *bytes = (CtcBytes *)1;
  char *ticket = (char *)1, *service = (char *)1;

  /* NULL arguments. */
  CHECK_STATUS(ctc_ticket_replay_id(NULL, t, id), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_ticket_replay_id(codec, NULL, id), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_ticket_replay_id(codec, t, NULL), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_ticket_principal_id(codec, NULL, id), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_principal_ids(codec, NULL, &bytes), CTC_STATUS_NULL_ARGUMENT);
  CHECK(bytes == NULL);
  CHECK_STATUS(ctc_principal_ids(codec, "jdoe", NULL), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_seal_record(codec, NULL, st, NULL, &bytes), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_seal_record(codec, session, NULL, NULL, &bytes), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_seal_record(NULL, session, st, NULL, &bytes), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_open_record(codec, session, NULL, 0, &ticket, &service), CTC_STATUS_NULL_ARGUMENT);
  CHECK(ticket == NULL && service == NULL);
  CHECK_STATUS(ctc_open_record(codec, session, id, sizeof id, NULL, &service), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_open_record(codec, session, id, sizeof id, &ticket, NULL), CTC_STATUS_NULL_ARGUMENT);
  CtcTicket *none = (CtcTicket *)1;
  CHECK_STATUS(ctc_open_expired(codec, NULL, &none), CTC_STATUS_NULL_ARGUMENT);
  CHECK(none == NULL);
  CHECK_STATUS(ctc_open_expired(NULL, st, &none), CTC_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ctc_open_expired(codec, st, NULL), CTC_STATUS_NULL_ARGUMENT);

  /* A session id that is not 16 hex digits, as in CtcClaims. */
  CHECK_STATUS(ctc_seal_record(codec, "5e551000cafef00", st, NULL, &bytes), CTC_STATUS_INVALID_SESSION);
  CHECK_STATUS(ctc_open_record(codec, "xyz", id, sizeof id, &ticket, &service), CTC_STATUS_INVALID_SESSION);
  /* Only an ST or PT is recorded, with a URL of at most 4096 bytes. */
  CtcClaims tgt = {0};
  tgt.kind = CTC_KIND_TGT;
  tgt.principal = "jdoe@example.edu";
  tgt.authenticated_at = now;
  tgt.issued_at = now;
  tgt.lifetime_seconds = 3600;
  char *tgt_ticket = encode(codec, &tgt);
  CHECK_STATUS(ctc_seal_record(codec, session, tgt_ticket, NULL, &bytes), CTC_STATUS_MALFORMED_PAYLOAD);
  CHECK_STATUS(ctc_seal_record(codec, session, "ST-\xff\xfe", NULL, &bytes), CTC_STATUS_MALFORMED_PAYLOAD);
  static char long_url[4200];
  memset(long_url, 'x', sizeof long_url - 1);
  memcpy(long_url, "https://a.example/", 18);
  CHECK_STATUS(ctc_seal_record(codec, session, st, long_url, &bytes), CTC_STATUS_MALFORMED_PAYLOAD);
  CHECK_STATUS(ctc_seal_record(codec, session, st, "https://a.example/\xff", &bytes), CTC_STATUS_INVALID_ARGUMENT);
  CHECK(bytes == NULL);
  /* Too short to be a record; sealed by a key this codec does not hold. */
  CHECK_STATUS(ctc_open_record(codec, session, id, 3, &ticket, &service), CTC_STATUS_MALFORMED_TRUNCATED);
  CtcCodec *other = NULL;
  CHECK_STATUS(ctc_codec_load(other_keys, &other), CTC_STATUS_OK);
  CHECK_STATUS(ctc_seal_record(other, session, st, NULL, &bytes), CTC_STATUS_OK);
  if (bytes != NULL) {
    CHECK_STATUS(ctc_open_record(codec, session, bytes->data, bytes->len, &ticket, &service),
                 CTC_STATUS_UNKNOWN_KEY);
    CtcErrorDetail d;
    CHECK(ctc_last_error_detail(&d) == CTC_STATUS_OK && d.key_id >= 0);
  }
  ctc_bytes_free(bytes);
  /* A ticket of another keyring: its ids need its key. */
  CHECK_STATUS(ctc_ticket_replay_id(other, t, id), CTC_STATUS_UNKNOWN_KEY);
  CHECK_STATUS(ctc_ticket_principal_id(other, t, id), CTC_STATUS_UNKNOWN_KEY);
  CHECK_STATUS(ctc_open_expired(other, st, &none), CTC_STATUS_UNKNOWN_KEY);
  CHECK(none == NULL);
  ctc_codec_free(other);
  ctc_ticket_free(t);
  /* open_expired checks all but the expiry. */
  CtcTicket *opened = NULL;
  char *tampered = strdup(st);
  size_t pos = 40;
  while (tampered[pos] == '0') pos++;
  tampered[pos] = '0';
  CHECK_STATUS(ctc_open_expired(codec, tampered, &opened), CTC_STATUS_AUTHENTICATION_FAILED);
  CHECK_STATUS(ctc_open_expired(codec, "ST-abc_def", &opened), CTC_STATUS_MALFORMED_ALPHABET);
  CHECK(opened == NULL);
  free(tampered);
  ctc_string_free(tgt_ticket);
  ctc_string_free(st);
}

/* --- every known-answer vector of tests/vectors ------------------------- */

/* A growing string. */
struct text {
  char *s;
  size_t len, cap;
};

static void put_bytes(struct text *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->len + n + 1) * 2;
    char *grown = realloc(t->s, cap);
    if (grown == NULL) abort();
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n);
  t->len += n;
  t->s[t->len] = '\0';
}

static void put(struct text *t, const char *s) { put_bytes(t, s, strlen(s)); }

/* A JSON string as Python's json.dumps(ensure_ascii=False) writes it. */
static void put_json_string(struct text *t, const char *s) {
  put(t, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[8];
    switch (*p) {
      case '"': put(t, "\\\""); break;
      case '\\': put(t, "\\\\"); break;
      case '\n': put(t, "\\n"); break;
      case '\r': put(t, "\\r"); break;
      case '\t': put(t, "\\t"); break;
      case '\b': put(t, "\\b"); break;
      case '\f': put(t, "\\f"); break;
      default:
        if (*p < 0x20) {
          snprintf(esc, sizeof esc, "\\u%04x", *p);
          put(t, esc);
        } else {
          put_bytes(t, (const char *)p, 1);
        }
    }
  }
  put(t, "\"");
}

/* `"key":` then a value; `first` says whether a comma comes before. */
static void put_key(struct text *t, int *first, const char *key) {
  if (!*first) put(t, ",");
  *first = 0;
  put_json_string(t, key);
  put(t, ":");
}

static void put_string_field(struct text *t, int *first, const char *key, const char *value) {
  put_key(t, first, key);
  put_json_string(t, value);
}

static void put_array_field(struct text *t, int *first, const char *key, const char *const *items,
                            uint32_t n) {
  put_key(t, first, key);
  put(t, "[");
  for (uint32_t i = 0; i < n; i++) {
    if (i > 0) put(t, ",");
    put_json_string(t, items[i]);
  }
  put(t, "]");
}

static void put_instant_field(struct text *t, int *first, const char *key, int64_t unix_seconds) {
  char buf[64];
  time_t secs = (time_t)unix_seconds;
  struct tm tm;
  if (gmtime_r(&secs, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(buf, sizeof buf, "@%lld", (long long)unix_seconds);
  put_string_field(t, first, key, buf);
}

static const char *KIND_NAMES[] = {"ANY", "TGT", "ST", "PT", "PGT", "OC", "AT", "RT"};

/* The claims of `t` as the vectors record them (the library's JSON view),
 * compact, keys in byte order: what json.dumps(sort_keys=True) writes. */
static char *claims_json(const CtcTicket *t) {
  struct text j = {0};
  int first = 1;
  int oauth = t->kind == CTC_KIND_OC || t->kind == CTC_KIND_AT || t->kind == CTC_KIND_RT;
  put(&j, "{");
  put_instant_field(&j, &first, "authenticated_at", t->authenticated_at);
  if (oauth) {
    int inner = 1;
    put_key(&j, &first, "claims");
    put(&j, "{");
    put_array_field(&j, &inner, "id_token", t->id_token_claims, t->id_token_claims_len);
    put_array_field(&j, &inner, "userinfo", t->userinfo_claims, t->userinfo_claims_len);
    put(&j, "}");
    put_string_field(&j, &first, "client_id", t->client_id);
    if (t->code_challenge) put_string_field(&j, &first, "code_challenge", t->code_challenge);
  }
  put_instant_field(&j, &first, "expires_at", t->expires_at);
  if (oauth) put_string_field(&j, &first, "grant_id", t->grant_id);
  put_instant_field(&j, &first, "issued_at", t->issued_at);
  put_string_field(&j, &first, "kind", t->kind >= 1 && t->kind <= 7 ? KIND_NAMES[t->kind] : "?");
  put_array_field(&j, &first, "methods", t->methods, t->methods_len);
  if (t->nonce) put_string_field(&j, &first, "nonce", t->nonce);
  if (t->kind == CTC_KIND_PGT) put_string_field(&j, &first, "pgt_url", t->pgt_url);
  put_string_field(&j, &first, "principal", t->principal);
  if (t->kind == CTC_KIND_PT) put_array_field(&j, &first, "proxies", t->proxies, t->proxies_len);
  if (t->kind == CTC_KIND_OC) put_string_field(&j, &first, "redirect_uri", t->redirect_uri);
  put_key(&j, &first, "remember_me");
  put(&j, t->remember_me ? "true" : "false");
  if (t->kind == CTC_KIND_ST) {
    put_key(&j, &first, "renew");
    put(&j, t->fresh_login ? "true" : "false");
  }
  if (oauth) put_string_field(&j, &first, "scope", t->scope);
  if (t->kind == CTC_KIND_ST || t->kind == CTC_KIND_PT) put_string_field(&j, &first, "service", t->service);
  if (t->session_id) {
    put_instant_field(&j, &first, "session_ends_at", t->session_ends_at);
    put_string_field(&j, &first, "session_id", t->session_id);
  }
  if (t->kind == CTC_KIND_PGT) put_array_field(&j, &first, "upstream", t->upstream, t->upstream_len);
  put(&j, "}");
  return j.s;
}

/* The class of a status, as the vectors name it (`expect`). */
static const char *class_of(CtcStatus status) {
  switch (status) {
    case CTC_STATUS_OK: return "ok";
    case CTC_STATUS_TOO_LONG: return "too_long";
    case CTC_STATUS_UNSUPPORTED_VERSION: return "unsupported_version";
    case CTC_STATUS_UNKNOWN_KEY: return "unknown_key";
    case CTC_STATUS_AUTHENTICATION_FAILED: return "auth_failed";
    case CTC_STATUS_EXPIRED: return "expired";
    case CTC_STATUS_WRONG_KIND: return "wrong_kind";
    case CTC_STATUS_SERVICE_MISMATCH: return "service_mismatch";
    case CTC_STATUS_NOT_YET_VALID: return "not_yet_valid";
    default: return status >= 10 && status <= 19 ? "malformed" : "other";
  }
}

static const char *MALFORMED[] = {"empty", "prefix", "alphabet", "length", "non_canonical", "truncated", "payload"};

/* The hex text `hex` as a NUL-terminated string (free it), or NULL for "-". */
static char *unhex_text(const char *hex) {
  if (strcmp(hex, "-") == 0) return NULL;
  size_t n = strlen(hex) / 2;
  char *out = malloc(n + 1);
  if (out == NULL) abort();
  long got = unhex(hex, (uint8_t *)out, n);
  out[got < 0 ? 0 : got] = '\0';
  return out;
}

/* Splits `line` at tabs, in place, keeping empty fields; returns how many (at most `max`). */
static int split_tabs(char *line, char **fields, int max) {
  int n = 0;
  line[strcspn(line, "\n")] = '\0';
  for (char *at = line; n < max; n++) {
    fields[n] = at;
    char *tab = strchr(at, '\t');
    if (tab == NULL) return n + 1;
    *tab = '\0';
    at = tab + 1;
  }
  return n + 1; /* more fields than `max` */
}

/* One vector file, as tests/vectors.rs checks it: the class, the malformed
 * detail, the claims and key id of an ok vector, the instant of an expiry,
 * and the stored form of a long service. */
static int vector(char **f, const char **expect_seen) {
  const char *name = f[0], *keys = f[1], *primary = f[2], *expect = f[8], *detail = f[9];
  int64_t now = strtoll(f[3], NULL, 10), leeway = strtoll(f[5], NULL, 10);
  int32_t kind = (int32_t)strtol(f[4], NULL, 10);
  char *service = unhex_text(f[6]), *ticket = unhex_text(f[7]), *service_url = unhex_text(f[11]);
  int ok = 1;
  CtcCodec *codec = NULL;
  CtcTicket *t = NULL;
  if (ctc_codec_load(keys, &codec) != CTC_STATUS_OK) {
    fprintf(stderr, "FAIL vector %s: its key file does not load\n", name);
    ok = 0;
    goto done;
  }
  *expect_seen = expect;
  CtcStatus status = ctc_decode(codec, ticket, service, kind, now, leeway, &t);
  CtcErrorDetail d;
  ctc_last_error_detail(&d);
  if (strcmp(class_of(status), expect) != 0) {
    char *m = ctc_last_error_message();
    fprintf(stderr, "FAIL vector %s: %s (%d: %s), want %s\n", name, class_of(status), (int)status,
            m ? m : "-", expect);
    ctc_string_free(m);
    ok = 0;
  }
  if ((strcmp(expect, "malformed") == 0) != (strcmp(detail, "-") != 0)) ok = 0;
  if (status >= 10 && status <= 16 && strcmp(MALFORMED[status - 10], detail) != 0) {
    fprintf(stderr, "FAIL vector %s: detail %s, want %s\n", name, MALFORMED[status - 10], detail);
    ok = 0;
  }
  if ((status == CTC_STATUS_EXPIRED || status == CTC_STATUS_NOT_YET_VALID) && d.now != now) ok = 0;
  if (t != NULL) {
    char *got = claims_json(t);
    if (strcmp(got, f[10]) != 0) {
      fprintf(stderr, "FAIL vector %s: claims\n  got  %s\n  want %s\n", name, got, f[10]);
      ok = 0;
    }
    free(got);
    if (strcmp(t->key_id, primary) != 0) ok = 0;
  }
  /* A long service's vector gives the URL before normalization: encoding it
   * stores what the vector recorded. */
  if (service_url != NULL && t != NULL) {
    CtcClaims st = {0};
    st.kind = CTC_KIND_ST;
    st.principal = "jdoe@example.edu";
    st.authenticated_at = now;
    st.service = service_url;
    st.issued_at = now;
    st.lifetime_seconds = 10;
    char *text = NULL;
    CtcTicket *back = NULL;
    if (ctc_encode(codec, &st, &text) != CTC_STATUS_OK ||
        ctc_decode(codec, text, service_url, CTC_KIND_ST, now, 0, &back) != CTC_STATUS_OK ||
        strcmp(back->service, t->service) != 0)
      ok = 0;
    ctc_ticket_free(back);
    ctc_string_free(text);
  }
done:
  if (!ok) fprintf(stderr, "FAIL vector %s\n", name);
  ctc_ticket_free(t);
  ctc_codec_free(codec);
  free(service);
  free(ticket);
  free(service_url);
  return ok;
}

static void test_vectors(const char *cases) {
  FILE *in = fopen(cases, "r");
  CHECK(in != NULL);
  if (in == NULL) return;
  char *line = NULL;
  size_t cap = 0;
  int count = 0, oauth = 0;
  /* Every class of expectation is met by some vector. */
  const char *classes[] = {"ok", "malformed", "unknown_key", "auth_failed", "expired", "too_long",
                           "unsupported_version", "wrong_kind", "service_mismatch", "not_yet_valid"};
  int seen[sizeof classes / sizeof classes[0]] = {0};
  while (getline(&line, &cap, in) > 0) {
    char *fields[12];
    int n = split_tabs(line, fields, 12);
    CHECK(n == 12);
    if (n != 12) continue;
    const char *expect = NULL;
    CHECK(vector(fields, &expect));
    count++;
    oauth += strncmp(fields[0], "ok_oc_", 6) == 0 || strncmp(fields[0], "ok_at_", 6) == 0 ||
             strncmp(fields[0], "ok_rt_", 6) == 0;
    for (size_t i = 0; expect != NULL && i < sizeof classes / sizeof classes[0]; i++)
      seen[i] |= strcmp(expect, classes[i]) == 0;
  }
  free(line);
  fclose(in);
  CHECK(count >= 25 && oauth >= 6);
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) CHECK(seen[i]);
}

/* Threads sharing one codec; each thread's last error is its own. */
struct worker {
  const CtcCodec *codec;
  int64_t now;
  int ok;
};

static void *work(void *arg) {
  struct worker *w = arg;
  w->ok = 1;
  for (int i = 0; i < 200; i++) {
    CtcClaims c = typical_st(w->now);
    char *ticket = NULL;
    if (ctc_encode(w->codec, &c, &ticket) != CTC_STATUS_OK) w->ok = 0;
    CtcTicket *t = NULL;
    if (ctc_decode(w->codec, ticket, SERVICE, CTC_KIND_ST, w->now + 1, 0, &t) != CTC_STATUS_OK) w->ok = 0;
    if (t == NULL || strcmp(t->principal, "jdoe@example.edu") != 0) w->ok = 0;
    ctc_ticket_free(t);
    if (ctc_decode(w->codec, ticket, SERVICE, CTC_KIND_ST, w->now + 60, 0, &t) != CTC_STATUS_EXPIRED) w->ok = 0;
    CtcErrorDetail d;
    if (ctc_last_error_detail(&d) != CTC_STATUS_OK || d.now != w->now + 60) w->ok = 0;
    ctc_string_free(ticket);
  }
  return NULL;
}

static void test_threads(const CtcCodec *codec, int64_t now) {
  enum { N = 4 };
  pthread_t threads[N];
  struct worker workers[N];
  for (int i = 0; i < N; i++) {
    workers[i] = (struct worker){codec, now + i * 1000, 0};
    CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
  }
  for (int i = 0; i < N; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].ok);
  }
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr,
            "usage: %s KEYS.json OTHER_KEYS.json SCRATCH_DIR STORE_KEYS.json STORE_CASES VECTOR_CASES\n",
            argv[0]);
    return 2;
  }
  CHECK(ctc_abi_version() == CTC_ABI_VERSION);
  CHECK(ctc_last_error_status() == CTC_STATUS_OK);
  ctc_codec_free(NULL);
  ctc_ticket_free(NULL);
  ctc_string_free(NULL);
  ctc_bytes_free(NULL);

  test_load(argv[1], argv[3]);
  CtcCodec *codec = NULL;
  CHECK_STATUS(ctc_codec_load(argv[1], &codec), CTC_STATUS_OK);
  if (codec == NULL) {
    fprintf(stderr, "cannot load %s\n", argv[1]);
    return 1;
  }
  const int64_t now = 1795341600; /* 2026-11-22T10:00:00Z */
  test_st_round_trip(codec, now);
  test_unknown_key(codec, argv[2], now);
  test_every_kind(codec, now);
  test_encode_errors(codec, now);
  test_oauth_round_trips(codec, now);
  test_oauth_errors(codec, now);
  test_store_vectors(argv[4], argv[5]);
  test_vectors(argv[6]);
  test_store_errors(codec, argv[2], now);
  /* This thread's last failure is kept while the workers fail on theirs. */
  CtcTicket *t = NULL;
  CHECK_STATUS(ctc_decode(codec, "", NULL, CTC_KIND_ANY, now, 0, &t), CTC_STATUS_MALFORMED_EMPTY);
  test_threads(codec, now);
  CHECK(ctc_last_error_status() == CTC_STATUS_MALFORMED_EMPTY);
  ctc_codec_free(codec);

  printf("c: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
