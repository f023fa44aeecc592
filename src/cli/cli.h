/*
 * cli.h: the playstat subcommands. Each takes the arguments after its own name (argv[0] is the
 * subcommand), prints its result on stdout and its errors on stderr, and returns the process
 * exit status (0 success, 1 failure, 2 usage error).
 */
#ifndef PS_CLI_CLI_H
#define PS_CLI_CLI_H

#include <jansson.h>

#include "store/store.h"

int ps_cmd_serve(int argc, char **argv);
int ps_cmd_game(int argc, char **argv);
int ps_cmd_events(int argc, char **argv);
int ps_cmd_token(int argc, char **argv);
int ps_cmd_sessions(int argc, char **argv);
int ps_cmd_api_token(int argc, char **argv);
int ps_cmd_service_account(int argc, char **argv);
int ps_cmd_simulate(int argc, char **argv);
int ps_cmd_export(int argc, char **argv);
int ps_cmd_player(int argc, char **argv);
int ps_cmd_rates(int argc, char **argv);

/* Opens the stores of a command: store_url (--store), else data_dir (--data DIR or
 * $PLAYSTAT_DATA, the same as sqlite:DIR), else $PLAYSTAT_STORE; with the state store of
 * state_url (--state, else $PLAYSTAT_STATE; neither: the event store's backend holds it).
 * Prints the reason on failure. Returns 0, 1 (the store failed) or 2 (neither given, or an
 * unknown scheme). */
int ps_cli_open_stores(const char *store_url, const char *state_url, const char *data_dir,
                       const ps_store_options *options, ps_stores *out);
/* For commands that act on one game: parses game_text (--game), opens the stores and finds the
 * game. Returns 0 with *stores open (the caller closes them) and *game filled, or the exit
 * status after printing why (2: bad --game, 1: no such game or store failure; nothing stays
 * open). */
int ps_cli_open_game(const char *store_url, const char *state_url, const char *data_dir,
                     const char *game_text, ps_stores *stores, ps_game *game);
/* The usage lines every command that opens the stores shares. */
#define PS_CLI_STORE_USAGE                                                                     \
  "--store URL (or $PLAYSTAT_STORE) may stand for --data DIR: sqlite:DIR is the embedded\n"    \
  "database, clickhouse://HOST:PORT/DB keeps events in ClickHouse; --state URL (or\n"          \
  "$PLAYSTAT_STATE) names the state store apart: postgres://USER@HOST:PORT/DB, shared by\n"     \
  "every node (needed with ClickHouse). playstat serve --help and docs/deploy.md say more.\n"
/* A string option of a subcommand: --name ARG sets *value to ARG. */
typedef struct ps_cli_option {
  const char *name;
  const char **value;
} ps_cli_option;

/* Parses `playstat <command> [<action>] [--option ARG]...` (argv[0] is the command). With
 * actions (NULL-terminated), the first argument must be one of them and *action is set to its
 * index. opts ends with {NULL, NULL}; each takes an argument; --help / -h prints usage on
 * stdout. Returns -1 when the command should go on, else its exit status: 0 after --help, 2
 * after printing usage on stderr (unknown option, stray or missing argument, unknown action). */
int ps_cli_parse(int argc, char **argv, const char *const *actions, int *action,
                 const ps_cli_option *opts, const char *usage);
/* Every game of the store, by id (*games malloc'd, the caller frees it). Returns 0, or 1
 * after saying why on stderr. */
int ps_cli_list_games(ps_state_store *store, ps_game **games, size_t *count);
/* Prints doc (NULL: out of memory) as one line of compact JSON on stdout and releases it.
 * Returns 0, or 1 after saying why on stderr. */
int ps_cli_print_json(json_t *doc);
/* export_options.c: "hour" or "day" into a period in ms; "parquet", "ndjson.gz" or "both" into
 * bits of ps_export_format. Print "OPTION: ..." and return 2 if bad. */
int ps_cli_parse_export_every(const char *option, const char *text, int64_t *period_ms);
int ps_cli_parse_export_formats(const char *option, const char *text, unsigned *formats);
/* Parses a whole decimal integer in [min, max]; prints "OPTION: ..." and returns 2 if bad. */
int ps_cli_parse_int(const char *option, const char *text, long long min, long long max,
                     long long *out);

#endif
