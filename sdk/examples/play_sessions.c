/*
 * play_sessions.c: a small game that embeds libplaystat and plays three sessions: levels
 * started, failed and completed, a purchase, resources earned and spent, a menu event with
 * custom fields. docs/sdk.md walks through it.
 *
 *   play_sessions BASE_URL GAME_KEY SECRET_KEY DATABASE_PATH
 *   e.g. play_sessions http://127.0.0.1:8080 <game_key> <secret_key> /tmp/game.db
 *
 * (`playstat game create --data DIR --name NAME` prints a game's keys.) Exits 0 when every
 * call succeeded and shutdown delivered everything, 1 otherwise.
 */
#include <stdio.h>
#include <time.h>

#include "playstat.h"

static void print_log(void *ctx, playstat_log_level level, const char *message) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  fprintf(stderr, "[playstat %s] %s\n", names[level], message);
}

static int failures;

/* Reports a failed call; a game would usually just log it and carry on. */
static void check(const char *what, int status) {
  if (status == PLAYSTAT_OK) return;
  fprintf(stderr, "%s: %s\n", what, playstat_strerror(status));
  failures++;
}

static void play_level(playstat *ps, const char *level, int fails) {
  for (int i = 0; i < fails; i++) {
    check("progression start", playstat_progression(ps, PLAYSTAT_PROGRESSION_START, level, 0, 0, NULL));
    check("progression fail", playstat_progression(ps, PLAYSTAT_PROGRESSION_FAIL, level, 1, 100 * i, NULL));
  }
  check("progression start", playstat_progression(ps, PLAYSTAT_PROGRESSION_START, level, 0, 0, NULL));
  check("resource", playstat_resource(ps, "Source:Gold:Reward:LevelEnd", 50, NULL));
  check("progression complete", playstat_progression(ps, PLAYSTAT_PROGRESSION_COMPLETE, level, 1, 1200, NULL));
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s BASE_URL GAME_KEY SECRET_KEY DATABASE_PATH\n", argv[0]);
    return 2;
  }
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = argv[1];
  cfg.game_key = argv[2];
  cfg.secret_key = argv[3];
  cfg.database_path = argv[4];
  cfg.build = "0.9.1";
  cfg.custom_01 = "tutorial_done";
  cfg.log = print_log;
  cfg.log_level = PLAYSTAT_LOG_INFO;

  playstat *ps = NULL;
  int status = playstat_create(&cfg, &ps);
  if (status != PLAYSTAT_OK) {
    fprintf(stderr, "playstat_create: %s\n", playstat_strerror(status));
    return 1;
  }
  for (int session = 1; session <= 3; session++) {
    check("session start", playstat_session_start(ps));
    playstat_field fields[] = {{.key = "screen", .text = "main_menu"}, {.key = "session", .number = session}};
    playstat_fields menu = {.items = fields, .count = 2};
    check("design", playstat_design(ps, "UI:Open:MainMenu", 0, 0, &menu));
    char level[32];
    snprintf(level, sizeof level, "World1:Level%d", session);
    play_level(ps, level, session - 1);
    if (session == 2) {
      check("business", playstat_business(ps, "GemPack:gems_100", 499, "USD", "shop", NULL));
      check("resource", playstat_resource(ps, "Sink:Gold:Boost:SpeedUp", 30, NULL));
    }
    check("session end", playstat_session_end(ps));
  }
  status = playstat_shutdown(ps); /* ends nothing more here: every session was ended */
  if (status != PLAYSTAT_OK) {
    fprintf(stderr, "playstat_shutdown: %s\n", playstat_strerror(status));
    failures++;
  }
  printf("played 3 sessions, %d failed call(s)\n", failures);
  return failures ? 1 : 0;
}
