/* test_sdk_validation.c: client-side validation through the public API: the collector's own
 * schema rules give a clear status before anything is stored, and configuration errors fail
 * playstat_create. The handle points at a closed port and never sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "playstat.h"

static char db_path[64];
static char last_log[1024];

static void keep_log(void *ctx, playstat_log_level level, const char *message) {
  snprintf(last_log, sizeof last_log, "%s", message);
}

static void config(playstat_config *cfg) {
  playstat_config_init(cfg);
  cfg->base_url = "http://127.0.0.1:1";
  cfg->game_key = "0123456789abcdef0123456789abcdef";
  cfg->secret_key = "secret";
  cfg->database_path = db_path;
  cfg->shutdown_timeout_ms = 0;
  cfg->log = keep_log;
}

static int setup(void **state) {
  snprintf(db_path, sizeof db_path, "/tmp/test_sdk_validation_%d.db", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  char side[80];
  unlink(db_path);
  snprintf(side, sizeof side, "%s-wal", db_path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", db_path);
  unlink(side);
  for (int i = 0; i < 2; i++) { /* the call journal (sdk/journal.h) */
    snprintf(side, sizeof side, "%s-calls.%d", db_path, i);
    unlink(side);
  }
  return 0;
}

static void events_follow_the_collectors_rules(void **state) {
  playstat_config cfg;
  config(&cfg);
  playstat *ps = NULL;
  assert_int_equal(playstat_create(&cfg, &ps), PLAYSTAT_OK);
  assert_int_equal(playstat_design(ps, "Kill:Orc", 0, 0, NULL), PLAYSTAT_E_NO_SESSION);
  assert_int_equal(playstat_session_start(ps), PLAYSTAT_OK);
  assert_int_equal(playstat_design(ps, "Kill:Orc", 1, 2.5, NULL), PLAYSTAT_OK);
  assert_int_equal(playstat_design(ps, "a:b:c:d:e:f", 0, 0, NULL), PLAYSTAT_E_INVALID); /* 6 parts */
  assert_non_null(strstr(last_log, "event_id"));
  /* the same ids again: the call's direct check remembers what matched, not what did not */
  last_log[0] = '\0';
  assert_int_equal(playstat_design(ps, "a:b:c:d:e:f", 0, 0, NULL), PLAYSTAT_E_INVALID);
  assert_non_null(strstr(last_log, "event_id"));
  assert_int_equal(playstat_design(ps, "Kill:Orc", 0, 0, NULL), PLAYSTAT_OK);
  assert_int_equal(playstat_design(ps, "Kill:Orc:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                   0, 0, NULL), PLAYSTAT_E_INVALID); /* a part of 65 */
  assert_int_equal(playstat_business(ps, "Gems:Pack", 99, "usd", NULL, NULL), PLAYSTAT_E_INVALID);
  assert_non_null(strstr(last_log, "currency"));
  assert_int_equal(playstat_business(ps, "Gems:Pack", 99, "USD", NULL, NULL), PLAYSTAT_OK);
  assert_int_equal(playstat_resource(ps, "Spend:Gems:Boost:X", 1, NULL), PLAYSTAT_E_INVALID);
  assert_int_equal(playstat_resource(ps, "Sink:Gems:Boost:X", 1, NULL), PLAYSTAT_OK);
  assert_int_equal(playstat_resource(ps, "Sink:Gems:Boost:X", 2, NULL), PLAYSTAT_OK);
  assert_int_equal(playstat_resource(ps, "Kill:Orc", 2, NULL), PLAYSTAT_E_INVALID); /* design's */
  assert_int_equal(playstat_progression(ps, PLAYSTAT_PROGRESSION_START, "W1:L1:S1:X", 0, 0, NULL),
                   PLAYSTAT_E_INVALID); /* at most 3 parts */
  assert_int_equal(playstat_ad(ps, "ad_mob", "menu", "video", "show", NULL, -1, NULL), PLAYSTAT_E_INVALID);
  assert_int_equal(playstat_ad(ps, "admob", "menu", "movie", "show", NULL, -1, NULL), PLAYSTAT_E_INVALID);
  assert_int_equal(playstat_impression(ps, "applovin", "1.0", "[1]", NULL), PLAYSTAT_E_INVALID);
  playstat_field bad_key[] = {{.key = "no spaces please", .text = "x"}};
  playstat_fields fields = {.items = bad_key, .count = 1};
  assert_int_equal(playstat_design(ps, "Menu", 0, 0, &fields), PLAYSTAT_E_INVALID);
  assert_int_equal(playstat_design(NULL, "Menu", 0, 0, NULL), PLAYSTAT_E_ARG);
  assert_int_equal(playstat_design(ps, NULL, 0, 0, NULL), PLAYSTAT_E_ARG);
  playstat_stats st;
  assert_int_equal(playstat_get_stats(ps, &st), PLAYSTAT_OK);
  assert_int_equal(st.events_recorded, 6); /* user, 2 design, business, 2 resource */
  assert_int_equal(playstat_shutdown(ps), PLAYSTAT_E_PENDING); /* + session_end, all unsent */
}

static void bad_configuration_fails_create(void **state) {
  playstat_config cfg;
  playstat *ps = (playstat *)&cfg;
  config(&cfg);
  cfg.platform = "amiga";
  assert_int_equal(playstat_create(&cfg, &ps), PLAYSTAT_E_CONFIG);
  assert_null(ps);
  assert_non_null(strstr(last_log, "platform"));
  config(&cfg);
  cfg.game_key = NULL;
  assert_int_equal(playstat_create(&cfg, &ps), PLAYSTAT_E_CONFIG);
  config(&cfg);
  cfg.base_url = "ftp://example.com";
  assert_int_equal(playstat_create(&cfg, &ps), PLAYSTAT_E_CONFIG);
  assert_int_equal(playstat_create(NULL, &ps), PLAYSTAT_E_ARG);
  assert_int_equal(playstat_shutdown(NULL), PLAYSTAT_E_ARG);
  assert_string_equal(playstat_strerror(PLAYSTAT_E_FULL),
                      "database at its size bound; this event was dropped");
  assert_string_equal(playstat_strerror(12345), "unknown status code");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(events_follow_the_collectors_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_configuration_fails_create, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
