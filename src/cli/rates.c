/*
 * rates.c: `playstat rates load FILE`: stores the exchange rates of an ECB euro-reference CSV
 * file (insights/ecb_rates.h: eurofxref-hist.csv, eurofxref.csv) in the state store, which
 * every game converts its money metrics with (insights/money.h). "-" reads stdin. Whole or
 * nothing: a bad line stores nothing and is named on stderr. Loading again is harmless (a
 * day's rate replaces the one stored). Works while the server runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/errors.h"
#include "insights/ecb_rates.h"

#define MAX_FILE_BYTES (256u * 1024 * 1024)

static const char usage[] =
    "usage: playstat rates load FILE --data DIR\n"
    "\n"
    "Stores exchange rates from FILE (\"-\" for stdin) in the ECB euro reference format:\n"
    "  Date,USD,JPY,...          a header: Date, then ISO 4217 codes\n"
    "  2026-12-01,1.0552,158.32  a row per day: units of each currency per 1 EUR (N/A: none)\n"
    "as https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip (unzipped) and\n"
    "eurofxref.csv (the latest day) are. Revenue, ARPDAU and ARPPU are converted with the rate\n"
    "of each day into the game's reporting currency (playstat game set --currency; EUR\n"
    "without one) or the query's currency=; a day without a rate takes the latest of the 7\n"
    "days before it.\n"
    "Prints {\"rates\", \"days\", \"from\", \"to\", \"currencies\"}. The same file can be PUT to\n"
    "/api/v1/rates with an admin API token (docs/http-api.md).\n"
    "\n"
    PS_CLI_STORE_USAGE;

/* The whole of path (or stdin for "-") into b; 0, or 1 after saying why. */
static int read_all(const char *path, ps_buf *b) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "playstat: cannot open %s\n", path);
    return 1;
  }
  char chunk[65536];
  size_t n;
  int rc = PS_OK;
  while (rc == PS_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    rc = b->len + n > MAX_FILE_BYTES ? PS_EINVAL : ps_buf_append(b, chunk, n);
  }
  int failed = ferror(f);
  if (f != stdin) fclose(f);
  if (rc == PS_EINVAL) fprintf(stderr, "playstat: %s is larger than %u bytes\n", path, MAX_FILE_BYTES);
  else if (rc != PS_OK) fprintf(stderr, "playstat: out of memory\n");
  else if (failed) fprintf(stderr, "playstat: cannot read %s\n", path);
  return rc != PS_OK || failed;
}

int ps_cmd_rates(int argc, char **argv) {
  static const char *const actions[] = {"load", NULL};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL;
  const ps_cli_option opts[] = {
      {"data", &data}, {"store", &store_url}, {"state", &state_url}, {NULL, NULL}};
  /* FILE is the one argument after the action that is neither an option nor its value
   * (every option but --help takes one). */
  const char *file = NULL;
  char *rest[64];
  int nrest = 0;
  for (int i = 0; i < argc && nrest < 63; i++) {
    int option = argv[i][0] == '-' && argv[i][1];
    int takes_value = option && strcmp(argv[i], "--help") && strcmp(argv[i], "-h") &&
                      !strchr(argv[i], '=');
    if (i >= 2 && !option && !file) {
      file = argv[i];
      continue;
    }
    rest[nrest++] = argv[i];
    if (takes_value && i + 1 < argc && nrest < 63) rest[nrest++] = argv[++i];
  }
  int action = 0;
  int rc = ps_cli_parse(nrest, rest, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  if (!file) {
    fprintf(stderr, "playstat: rates load needs FILE (the ECB CSV; - for stdin)\n");
    return 2;
  }
  ps_buf text = {0};
  if (read_all(file, &text)) {
    ps_buf_free(&text);
    return 1;
  }
  ps_ecb_rates rates;
  char why[256];
  int parsed = ps_ecb_rates_parse(text.data ? text.data : "", text.len, &rates, why, sizeof why);
  ps_buf_free(&text);
  if (parsed != PS_OK) {
    fprintf(stderr, "playstat: %s: %s\n", file, why);
    return 1;
  }
  ps_stores stores;
  if ((rc = ps_cli_open_stores(store_url, state_url, data, NULL, &stores))) {
    ps_ecb_rates_free(&rates);
    return rc;
  }
  ps_buf summary = {0};
  int stored = stores.state->ops->rates_put(stores.state, rates.rates, rates.n);
  if (stored == PS_OK) stored = ps_ecb_rates_summary(&rates, &summary);
  if (stored == PS_OK) printf("%.*s\n", (int)summary.len, summary.data);
  else fprintf(stderr, "playstat: cannot store the rates: %s\n", ps_strerror(stored));
  ps_buf_free(&summary);
  ps_ecb_rates_free(&rates);
  ps_stores_close(&stores);
  return stored == PS_OK ? 0 : 1;
}
