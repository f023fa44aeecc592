/*
 * sim.h: what the parts of `playstat simulate` share: its configuration, the simulated
 * population, and the interface of a traffic channel.
 *
 * The simulation drives a running `playstat serve` through its public HTTP APIs only. Three
 * channels, each run on its own thread with its own connection:
 *   analytics  (sim/ga.c)          GameAnalytics REST v2 events spread over the last D days;
 *   metrics    (sim/metrics.c)     mod.io-style playtime sessions, live, in scaled real time;
 *   matchmaker (sim/matchmaker.c)  Unity-Matchmaker-style session events over the last D days.
 * A channel reads the configuration and the population (both read-only once built) and counts
 * its requests in its ps_sim_stats (sim/http_client.h), which the progress printer reads while
 * it runs. Everything a channel draws comes from seeded streams (sim/rng.h), so one seed and
 * one --now give the same traffic, byte for byte where the protocol allows it.
 */
#ifndef PS_SIM_SIM_H
#define PS_SIM_SIM_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "sim/http_client.h"
#include "sim/population.h"

typedef struct ps_sim_config {
  const char *url;                         /* base URL of the server, no trailing slash */
  const char *game_key, *secret_key;       /* analytics */
  const char *metrics_key, *token_secret;  /* metrics sessions (NULL: channel off) */
  int64_t game_id;                         /* metrics sessions: the game's numeric id */
  const char *service_key_id, *service_secret, *project, *environment; /* matchmaker */
  int64_t players, days, seed;
  double speedup;                          /* simulated seconds per real second (live phase) */
  double live_seconds;                     /* real length of the live phase */
  int64_t end_s;                           /* the end of the simulated history (unix s) */
  int gzip;                                /* gzip analytics bodies */
} ps_sim_config;

/* What every channel holds: its inputs, its own connection and the last answer. */
typedef struct ps_sim_link {
  const ps_sim_config *cfg;
  const ps_sim_population *pop;
  ps_sim_stats *stats;
  ps_sim_http *http;
  ps_sim_response resp;
} ps_sim_link;

/* Fills link and opens its connection. Returns 0 or PS_ENOMEM (nothing to close then). */
int ps_sim_link_open(ps_sim_link *link, const ps_sim_config *cfg, const ps_sim_population *pop,
                     ps_sim_stats *stats);
void ps_sim_link_close(ps_sim_link *link);
/* Sends req (http_client.h's policy); 1 on a 2xx answer; link->resp holds the answer. */
int ps_sim_link_send(ps_sim_link *link, const ps_sim_request *req);

/* One kind of traffic. State is the channel's own; every callback gets it back. */
typedef struct ps_sim_channel {
  const char *name;
  /* 1 when the configuration asks for this channel. */
  int (*enabled)(const ps_sim_config *config);
  /* Prepares a run. Returns 0 or PS_ENOMEM. The config, population and stats outlive state. */
  int (*create)(const ps_sim_config *config, const ps_sim_population *population,
                ps_sim_stats *stats, void **state);
  /* Sends the channel's traffic; returns when done, after a fatal refusal (stats->fatal), or
   * soon after ps_sim_stop() (the metrics channel still ends its open sessions then). Runs on
   * its own thread. */
  void (*run)(void *state);
  /* Appends a few words of progress ("120/500 players") to line; called from another thread
   * while run() runs, so it reads only atomics. */
  void (*progress)(void *state, ps_buf *line);
  /* The channel's own counts for the summary, after run() returned (new reference). */
  json_t *(*summary)(void *state);
  void (*destroy)(void *state);
} ps_sim_channel;

extern const ps_sim_channel ps_sim_ga_channel;
extern const ps_sim_channel ps_sim_metrics_channel;
extern const ps_sim_channel ps_sim_matchmaker_channel;

/* Runs every channel the configuration enables, each on its own thread, printing a progress
 * line on stderr every progress_s seconds, and builds the summary: {"seed", "players",
 * "days", "speedup", "from", "to", "ok", "channels": {name: {requests, ok, retried, refused,
 * failed, fatal, reasons, ...the channel's own counts}}, "interrupted"} (*summary, a new
 * reference). "ok" is true when every call of every channel was answered 2xx and the run was
 * not interrupted (ps_sim_stop). First checks that the server
 * answers GET /healthz. Returns 0; PS_EIO when it does not (after saying why on stderr), or
 * PS_ENOMEM; *summary is NULL then and no traffic was sent. */
int ps_sim_run(const ps_sim_config *config, double progress_s, json_t **summary);

/* Asks every channel to finish early (SIGINT); async-signal-safe. */
void ps_sim_stop(void);
/* 1 once ps_sim_stop() was called. */
int ps_sim_stopping(void);
/* Sleeps up to seconds, returning early (0) when stopping; 1 after a full sleep. */
int ps_sim_sleep(double seconds);

#endif
