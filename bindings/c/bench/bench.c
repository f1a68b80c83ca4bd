/*
 * The C side of the overhead table (bindings/README.md): ctc_encode and
 * ctc_decode on the typical ST (no session), timed as every binding's bench
 * times them: a warm-up, then the median of 101 samples of 2,000 calls each.
 * Each call frees what it gets (ctc_string_free, ctc_ticket_free).
 *
 * usage: bench KEYS.json (the keyring of benches/overhead.rs: CTC_BENCH_KEYS)
 * prints: c encode <ns> / c decode <ns>
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cas_ticket_codec.h"

enum { SAMPLES = 101, BATCH = 2000 };
static const int64_t NOW = 1795341600; /* 2026-11-22T10:00:00Z */
static const char *METHODS[] = {"Password"};

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static const CtcCodec *codec;
static CtcClaims claims;
static const char *ticket;

static int encode_once(void) {
  char *t = NULL;
  int s = ctc_encode(codec, &claims, &t);
  ctc_string_free(t);
  return s;
}

static int decode_once(void) {
  CtcTicket *t = NULL;
  int s = ctc_decode(codec, ticket, NULL, CTC_KIND_ANY, NOW, 0, &t);
  ctc_ticket_free(t);
  return s;
}

static double median_ns(int (*call)(void)) {
  double start = now_ns();
  while (now_ns() - start < 5e8) {
    if (call() != CTC_STATUS_OK) exit(1);
  }
  double samples[SAMPLES];
  for (int i = 0; i < SAMPLES; i++) {
    double t0 = now_ns();
    for (int j = 0; j < BATCH; j++) {
      if (call() != CTC_STATUS_OK) exit(1);
    }
    samples[i] = (now_ns() - t0) / BATCH;
  }
  qsort(samples, SAMPLES, sizeof samples[0], cmp);
  return samples[SAMPLES / 2];
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s KEYS.json\n", argv[0]);
    return 2;
  }
  CtcCodec *c = NULL;
  if (ctc_codec_load(argv[1], &c) != CTC_STATUS_OK) {
    char *m = ctc_last_error_message();
    fprintf(stderr, "cannot load %s: %s\n", argv[1], m ? m : "?");
    ctc_string_free(m);
    return 1;
  }
  codec = c;
  claims.kind = CTC_KIND_ST;
  claims.principal = "jdoe@example.edu";
  claims.authenticated_at = NOW - 300;
  claims.methods = METHODS;
  claims.methods_len = 1;
  claims.service = "https://app.example.edu/login?target=%2Fhome";
  claims.issued_at = NOW;
  claims.lifetime_seconds = 10;
  char *t = NULL;
  if (ctc_encode(codec, &claims, &t) != CTC_STATUS_OK || strlen(t) != 102) return 1;
  ticket = t;
  printf("c encode %.0f\n", median_ns(encode_once));
  printf("c decode %.0f\n", median_ns(decode_once));
  ctc_string_free(t);
  ctc_codec_free(c);
  return 0;
}
