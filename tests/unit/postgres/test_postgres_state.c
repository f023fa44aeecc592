/* test_postgres_state.c: the PostgreSQL state store shared by several nodes at once (store/
 * postgres/state.c), each node being a store handle of its own (and, where the ingest path
 * decides, its own anonymizer or metrics-session registry), run on threads at the same time:
 * - two nodes numbering the players of the same multiplayer sessions concurrently, through
 *   the real anonymizer (ingest/sessions/anonymizer.h), with resends after a refusal as a
 *   client does, end with one numbering that both nodes and the store agree on;
 * - two nodes writing the first event of a session with different salts: one salt wins, the
 *   other's record is refused, and both read the winner's;
 * - metrics-session requests applied out of order by two nodes end at the maxima;
 * - a session started on node A is taken on node B (heartbeat, end), and node A then sees what
 *   node B accepted (ingest/metrics/registry.h);
 * - a connection the server drops is reset, and the call that found it lost still succeeds;
 * - a database at state-schema version 1 (API tokens without roles) is upgraded on open: its
 *   tokens are viewers, and the export log is there.
 *
 * It needs a server: $PLAYSTAT_TEST_PG_URL (tests/servers/run-with.sh --postgres sets it; the
 * CTest entry unit/postgres_state runs it so). Without it every case fails, saying so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>

#include "common/errors.h"
#include "ingest/metrics/registry.h"
#include "ingest/sessions/anonymizer.h"
#include "store/store.h"

#define NAMING PS_RECORD_BIT(PS_RECORD_SO_EVENT)
#define REFUSING PS_RECORD_BIT(PS_RECORD_MSESSION)

static char run_id[9]; /* keys unique to this run: the database is shared */

/* A node's state store: the URL's location after its scheme, as ps_stores_open passes it. */
static ps_state_store *open_node(void) {
  const char *url = getenv("PLAYSTAT_TEST_PG_URL");
  if (!url || !*url)
    fail_msg("PLAYSTAT_TEST_PG_URL is not set: run this test with tests/servers/run-with.sh "
             "--postgres (ctest -R unit/postgres_state does)");
  const char *colon = strchr(url, ':');
  assert_non_null(colon);
  char scheme[16];
  snprintf(scheme, sizeof scheme, "%.*s", (int)(colon - url), url);
  const ps_state_store_ops *ops = ps_state_backend(scheme);
  assert_non_null(ops);
  assert_true(ops->shared);
  ps_state_store *store = NULL;
  assert_int_equal(ops->open(colon + 1, NULL, &store), PS_OK);
  return store;
}

/* ---- multiplayer sessions numbered by two nodes ---- */

#define SESSIONS 30
#define PLAYERS_PER_NODE 5

typedef struct node {
  ps_state_store *store;
  ps_so_anonymizer *anonymizer;
  const char *project;
  int first_player; /* names players first_player .. first_player + PLAYERS_PER_NODE - 1 */
  int descending;   /* in this order */
  pthread_barrier_t *barrier;
  int refusals;     /* records the store refused (numbered against another node's) */
} node;

static ps_so_event parse_event(const int *players, size_t n) {
  char json[1024];
  size_t len = (size_t)snprintf(json, sizeof json,
                                "{\"type\":\"players.connected\",\"timestamp\":"
                                "\"2025-06-01T10:00:00.000Z\",\"players\":[");
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(json + len, sizeof json - len, "%s{\"id\":\"real-player-%d\"}",
                            i ? "," : "", players[i]);
  snprintf(json + len, sizeof json - len, "]}");
  json_error_t jerr;
  json_t *value = json_loads(json, 0, &jerr);
  assert_non_null(value);
  ps_so_event ev;
  char err[256];
  int rc = ps_so_event_parse(value, &ev, err, sizeof err);
  json_decref(value);
  if (rc != PS_OK) fail_msg("event: %s", err);
  return ev;
}

/* What the ingest path does with one request naming players of session key on node n: the
 * anonymizer numbers them, the store applies the names, a refusal drops the session from the
 * anonymizer's memory and the client sends again. The numbers given, by player, into numbers. */
static int send_players(node *n, const ps_so_key *key, const int *players, size_t count,
                        int64_t *numbers) {
  for (int attempt = 0; attempt < 20; attempt++) {
    ps_so_event ev = parse_event(players, count);
    ps_so_anonymized out;
    char salt[65];
    int rc = ps_so_anonymizer_apply(n->anonymizer, key, &ev, 1, &out, salt);
    if (rc != PS_OK) {
      ps_so_event_free(&ev);
      return rc;
    }
    char event_key[65];
    snprintf(event_key, sizeof event_key, "%064d", attempt);
    ps_so_event_record rec = {.session = *key, .event_key = event_key, .type = ev.type,
                              .ts_ms = ev.ts_ms, .body = "{}", .body_len = 2, .salt = salt,
                              .players = out.players, .nplayers = out.nplayers};
    ps_record r = {.kind = PS_RECORD_SO_EVENT, .received_ms = ev.ts_ms, .so_event = &rec};
    ps_record_span span = {&r, 1};
    rc = n->store->ops->apply(n->store, &span, 1, NAMING);
    ps_so_anonymizer_finish(n->anonymizer, key, rc == PS_OK);
    for (size_t i = 0; rc == PS_OK && i < count; i++) numbers[i] = out.players[i].number;
    ps_so_anonymized_free(&out);
    ps_so_event_free(&ev);
    if (rc == PS_OK) return PS_OK;
    assert_int_equal(rc, PS_EEXIST); /* refused: numbered against another node's */
    n->refusals++;
  }
  return PS_EIO;
}

static void session_key(ps_so_key *key, const char *project, char *id, size_t cap, int k) {
  snprintf(id, cap, "session-%d", k);
  *key = (ps_so_key){project, "env", id};
}

static void *number_players(void *arg) {
  node *n = arg;
  for (int k = 0; k < SESSIONS; k++) {
    char id[32];
    ps_so_key key;
    session_key(&key, n->project, id, sizeof id, k);
    int players[PLAYERS_PER_NODE];
    int64_t numbers[PLAYERS_PER_NODE];
    for (int i = 0; i < PLAYERS_PER_NODE; i++)
      players[i] = n->first_player + (n->descending ? PLAYERS_PER_NODE - 1 - i : i);
    pthread_barrier_wait(n->barrier); /* both nodes meet the new session at once */
    /* One player per request, as players connect one by one: each request is a race. */
    for (int i = 0; i < PLAYERS_PER_NODE; i++)
      if (send_players(n, &key, &players[i], 1, &numbers[i]) != PS_OK) return "send failed";
  }
  return NULL;
}

typedef struct numbering {
  int n;
  char salt[65];
  char hash[16][65];
  int64_t number[16];
} numbering;

static int keep_player(const ps_so_player *p, void *ctx) {
  numbering *l = ctx;
  if (l->n < 16) {
    snprintf(l->hash[l->n], sizeof l->hash[0], "%s", p->hash);
    l->number[l->n] = p->number;
  }
  l->n++;
  return 0;
}

static numbering load_numbering(ps_state_store *store, const ps_so_key *key) {
  numbering l = {0};
  assert_int_equal(store->ops->so_anonymity_load(store, key, l.salt, keep_player, &l), PS_OK);
  return l;
}

static void two_nodes_number_the_players_of_a_session_alike(void **state) {
  (void)state;
  char project[40];
  snprintf(project, sizeof project, "numbering-%s", run_id);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  /* Players 3, 4, 5 are named by both nodes, in opposite orders. */
  node nodes[2] = {{.project = project, .first_player = 1, .descending = 0, .barrier = &barrier},
                   {.project = project, .first_player = 3, .descending = 1, .barrier = &barrier}};
  for (int i = 0; i < 2; i++) {
    nodes[i].store = open_node();
    assert_int_equal(ps_so_anonymizer_create(nodes[i].store, &nodes[i].anonymizer), PS_OK);
  }
  pthread_t threads[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, number_players, &nodes[i]), 0);
  for (int i = 0; i < 2; i++) {
    void *failure = NULL;
    pthread_join(threads[i], &failure);
    if (failure) fail_msg("node %d: %s", i, (const char *)failure);
  }
  print_message("records refused as numbered against the other node: %d and %d\n",
                nodes[0].refusals, nodes[1].refusals);

  for (int k = 0; k < SESSIONS; k++) {
    char id[32];
    ps_so_key key;
    session_key(&key, project, id, sizeof id, k);
    numbering a = load_numbering(nodes[0].store, &key), b = load_numbering(nodes[1].store, &key);
    /* Seven distinct players, numbered 1..7, the same through both handles. */
    assert_int_equal(a.n, 7);
    assert_int_equal(b.n, 7);
    assert_string_equal(a.salt, b.salt);
    int seen[8] = {0};
    for (int i = 0; i < 7; i++) {
      assert_string_equal(a.hash[i], b.hash[i]);
      assert_true(a.number[i] == b.number[i]);
      assert_true(a.number[i] >= 1 && a.number[i] <= 7);
      assert_false(seen[a.number[i]]);
      seen[a.number[i]] = 1;
    }
    /* Every node names every player as the store does, also one it never saw in it. */
    int all[7] = {1, 2, 3, 4, 5, 6, 7};
    int64_t by_node[2][7];
    for (int i = 0; i < 2; i++)
      assert_int_equal(send_players(&nodes[i], &key, all, 7, by_node[i]), PS_OK);
    for (int p = 0; p < 7; p++) assert_true(by_node[0][p] == by_node[1][p]);
    numbering after = load_numbering(nodes[0].store, &key);
    assert_int_equal(after.n, 7); /* nothing new numbered */
  }
  for (int i = 0; i < 2; i++) {
    ps_so_anonymizer_free(nodes[i].anonymizer);
    nodes[i].store->ops->close(nodes[i].store);
  }
  pthread_barrier_destroy(&barrier);
}

/* ---- the first salt of a session wins ---- */

typedef struct salt_writer {
  ps_state_store *store;
  const char *project;
  const char *salt;
  pthread_barrier_t *barrier;
  int won[SESSIONS];
} salt_writer;

static void *write_salts(void *arg) {
  salt_writer *w = arg;
  char hash[65];
  snprintf(hash, sizeof hash, "%064d", 1);
  for (int k = 0; k < SESSIONS; k++) {
    char id[32];
    ps_so_key key;
    session_key(&key, w->project, id, sizeof id, k);
    ps_so_player player = {hash, 1};
    ps_so_event_record rec = {.session = key, .event_key = hash, .type = "match.created",
                              .ts_ms = 1000, .body = "{}", .body_len = 2, .salt = w->salt,
                              .players = &player, .nplayers = 1};
    ps_record r = {.kind = PS_RECORD_SO_EVENT, .received_ms = 1000, .so_event = &rec};
    ps_record_span span = {&r, 1};
    pthread_barrier_wait(w->barrier);
    int rc = w->store->ops->apply(w->store, &span, 1, NAMING);
    if (rc != PS_OK && rc != PS_EEXIST) return "apply failed";
    w->won[k] = rc == PS_OK;
  }
  return NULL;
}

static void the_first_salt_of_a_session_wins(void **state) {
  (void)state;
  char project[40];
  snprintf(project, sizeof project, "salts-%s", run_id);
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, 2);
  salt_writer w[2] = {
      {open_node(), project, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       &barrier, {0}},
      {open_node(), project, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
       &barrier, {0}}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&threads[i], NULL, write_salts, &w[i]), 0);
  for (int i = 0; i < 2; i++) {
    void *failure = NULL;
    pthread_join(threads[i], &failure);
    if (failure) fail_msg("node %d: %s", i, (const char *)failure);
  }
  for (int k = 0; k < SESSIONS; k++) {
    char id[32];
    ps_so_key key;
    session_key(&key, project, id, sizeof id, k);
    assert_int_equal(w[0].won[k] + w[1].won[k], 1); /* exactly one */
    numbering a = load_numbering(w[0].store, &key), b = load_numbering(w[1].store, &key);
    assert_string_equal(a.salt, w[w[0].won[k] ? 0 : 1].salt);
    assert_string_equal(b.salt, a.salt);
    assert_int_equal(a.n, 1);
  }
  for (int i = 0; i < 2; i++) w[i].store->ops->close(w[i].store);
  pthread_barrier_destroy(&barrier);
}

/* ---- metrics sessions ---- */

#define ORDERS 100 /* heartbeats 2..ORDERS + 1 */

typedef struct msession_writer {
  ps_state_store *store;
  int64_t game_id;
  const char *session_id;
  int parity; /* applies the order ids of this parity, highest first */
  int64_t t;
} msession_writer;

static void *write_heartbeats(void *arg) {
  msession_writer *w = arg;
  for (int64_t order = ORDERS + 1; order >= 2; order--) {
    if (order % 2 != w->parity) continue;
    char nonce[32];
    snprintf(nonce, sizeof nonce, "n%lld", (long long)order);
    ps_msession_rec_kind kind = order == ORDERS / 2 ? PS_MSESSION_REC_END : PS_MSESSION_REC_HEARTBEAT;
    ps_msession_record m = {kind, w->session_id, "player", nonce, "windows", "steam", NULL,
                            w->t + order * 1000, order};
    ps_record r = {.kind = PS_RECORD_MSESSION, .game_id = w->game_id,
                   .received_ms = w->t + order * 1000 + 5, .msession = &m};
    ps_record_span span = {&r, 1};
    if (w->store->ops->apply(w->store, &span, 1, REFUSING) != PS_OK) return "apply failed";
  }
  return NULL;
}

static int count_nonce(const ps_msession_nonce *n, void *ctx) {
  (void)n;
  ++*(int *)ctx;
  return 0;
}

static void metrics_sessions_applied_out_of_order_end_at_the_maxima(void **state) {
  (void)state;
  char session_id[40];
  snprintf(session_id, sizeof session_id, "out-of-order-%s", run_id);
  const int64_t t = 1750000000000LL, game = 424242;
  msession_writer w[2] = {{open_node(), game, session_id, 0, t},
                          {open_node(), game, session_id, 1, t}};
  ps_msession_record start = {PS_MSESSION_REC_START, session_id, "player", "n1", "windows",
                              "steam", "", t, 1};
  ps_record r = {.kind = PS_RECORD_MSESSION, .game_id = game, .received_ms = t + 5,
                 .msession = &start};
  ps_record_span span = {&r, 1};
  assert_int_equal(w[0].store->ops->apply(w[0].store, &span, 1, REFUSING), PS_OK);
  pthread_t threads[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&threads[i], NULL, write_heartbeats, &w[i]), 0);
  for (int i = 0; i < 2; i++) {
    void *failure = NULL;
    pthread_join(threads[i], &failure);
    if (failure) fail_msg("node %d: %s", i, (const char *)failure);
  }
  /* The start again, late (a resend), moves nothing back. */
  assert_int_equal(w[1].store->ops->apply(w[1].store, &span, 1, REFUSING), PS_OK);
  for (int i = 0; i < 2; i++) {
    ps_msession_state st;
    int nonces = 0;
    assert_int_equal(w[i].store->ops->msession_load(w[i].store, game, session_id, &st,
                                                    count_nonce, &nonces),
                     PS_OK);
    assert_string_equal(st.player, "player");
    assert_true(st.max_order_id == ORDERS + 1);
    assert_true(st.last_received_ms == t + (ORDERS + 1) * 1000 + 5);
    assert_true(st.ended);
    assert_int_equal(nonces, ORDERS + 1);
  }
  for (int i = 0; i < 2; i++) w[i].store->ops->close(w[i].store);
}

/* ---- a metrics session taken by either node ---- */

static ps_msession_request request(ps_msession_kind kind, const char *session_id,
                                   const char *nonce, int64_t order, int64_t ts_ms) {
  ps_msession_request q = {.kind = kind, .order_id = order, .ts_ms = ts_ms};
  snprintf(q.session_id, sizeof q.session_id, "%s", session_id);
  snprintf(q.nonce, sizeof q.nonce, "%s", nonce);
  return q;
}

/* What the metrics endpoints do on one node: decide, store the state, report the commit. */
static ps_msr_result take(ps_msession_registry *reg, ps_state_store *store, int64_t game,
                          ps_msession_request q, int64_t now_ms) {
  int64_t accepted = 0;
  ps_msr_result result = ps_msession_registry_begin(reg, game, "player", &q, now_ms, &accepted);
  if (result != PS_MSR_OK) return result;
  static const ps_msession_rec_kind kinds[] = {[PS_MSESSION_START] = PS_MSESSION_REC_START,
                                               [PS_MSESSION_HEARTBEAT] = PS_MSESSION_REC_HEARTBEAT,
                                               [PS_MSESSION_END] = PS_MSESSION_REC_END};
  ps_msession_record m = {kinds[q.kind], q.session_id, "player", q.nonce, "windows", "steam",
                          "", q.ts_ms, q.order_id};
  ps_record r = {.kind = PS_RECORD_MSESSION, .game_id = game, .received_ms = accepted,
                 .msession = &m};
  ps_record_span span = {&r, 1};
  int rc = store->ops->apply(store, &span, 1, REFUSING);
  ps_msession_registry_finish(reg, game, q.session_id, rc == PS_OK);
  return rc == PS_OK ? PS_MSR_OK : PS_MSR_ERROR;
}

static void a_metrics_session_is_taken_by_either_node(void **state) {
  (void)state;
  char id[40];
  snprintf(id, sizeof id, "roaming-%s", run_id);
  const int64_t game = 434343, t = 1750000000000LL, timeout = 5 * 60000;
  ps_state_store *a = open_node(), *b = open_node();
  ps_msession_registry *ra, *rb;
  assert_int_equal(ps_msession_registry_create(a, timeout, &ra), PS_OK);
  assert_int_equal(ps_msession_registry_create(b, timeout, &rb), PS_OK);

  assert_int_equal(take(ra, a, game, request(PS_MSESSION_START, id, "s1", 1, t), t), PS_MSR_OK);
  /* Node B never saw the session: its heartbeat is accepted from the store's state. */
  assert_int_equal(take(rb, b, game, request(PS_MSESSION_HEARTBEAT, id, "h2", 2, t), t + 60000),
                   PS_MSR_OK);
  /* Heartbeats on B only keep it alive: node A, whose last request is older than the timeout,
   * still takes the next one (it reads what B accepted). */
  for (int i = 3; i <= 8; i++) {
    char nonce[8];
    snprintf(nonce, sizeof nonce, "h%d", i);
    assert_int_equal(take(rb, b, game, request(PS_MSESSION_HEARTBEAT, id, nonce, i, t),
                          t + (i - 1) * 60000),
                     PS_MSR_OK);
  }
  assert_int_equal(take(ra, a, game, request(PS_MSESSION_HEARTBEAT, id, "h9", 9, t), t + 8 * 60000),
                   PS_MSR_OK);
  /* A nonce B used is a replay on A; an order id below B's is refused on A. */
  assert_int_equal(take(ra, a, game, request(PS_MSESSION_HEARTBEAT, id, "h5", 10, t), t + 8 * 60000),
                   PS_MSR_REPLAY);
  assert_int_equal(take(rb, b, game, request(PS_MSESSION_HEARTBEAT, id, "h10", 10, t), t + 8 * 60000),
                   PS_MSR_OK);
  assert_int_equal(take(ra, a, game, request(PS_MSESSION_HEARTBEAT, id, "h11", 9, t), t + 8 * 60000),
                   PS_MSR_ORDER);
  /* An end on B: A takes nothing more. */
  assert_int_equal(take(rb, b, game, request(PS_MSESSION_END, id, "e", 11, t), t + 9 * 60000),
                   PS_MSR_OK);
  assert_int_equal(take(ra, a, game, request(PS_MSESSION_HEARTBEAT, id, "h12", 12, t), t + 9 * 60000),
                   PS_MSR_UNKNOWN);
  ps_msession_registry_free(ra);
  ps_msession_registry_free(rb);
  a->ops->close(a);
  b->ops->close(b);
}

/* ---- a lost connection ---- */

static void a_dropped_connection_is_reset_and_the_call_run_again(void **state) {
  (void)state;
  ps_state_store *store = open_node();
  char role[PS_ROLE_MAX];
  assert_int_equal(store->ops->api_token_check(store, "unknown", role), PS_ENOTFOUND); /* connected */
  /* The server ends every other session of the database (what a restart or a failover does). */
  PGconn *admin = PQconnectdb(getenv("PLAYSTAT_TEST_PG_URL"));
  assert_int_equal(PQstatus(admin), CONNECTION_OK);
  PGresult *res = PQexec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                " WHERE pid <> pg_backend_pid() AND datname = current_database()");
  assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
  assert_true(PQntuples(res) >= 1);
  PQclear(res);
  PQfinish(admin);
  usleep(100 * 1000);
  assert_int_equal(store->ops->api_token_check(store, "unknown", role), PS_ENOTFOUND);
  ps_game *games = NULL;
  size_t n = 0;
  assert_int_equal(store->ops->game_list(store, &games, &n), PS_OK);
  free(games);
  store->ops->close(store);
}

/* ---- a version 1 database ---- */

/* Runs sql on the database of url, which must succeed. */
static void admin_exec(const char *url, const char *sql) {
  PGconn *admin = PQconnectdb(url);
  assert_int_equal(PQstatus(admin), CONNECTION_OK);
  PGresult *res = PQexec(admin, sql);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(res));
  PQclear(res);
  PQfinish(admin);
}

static void a_version_1_database_gains_token_roles(void **state) {
  (void)state;
  const char *url = getenv("PLAYSTAT_TEST_PG_URL");
  assert_non_null(url);
  const char *slash = strrchr(url, '/');
  assert_non_null(slash);
  assert_null(strchr(slash, '?'));
  char db[32], sql[512], old_url[512];
  snprintf(db, sizeof db, "upgrade_%s", run_id);
  snprintf(old_url, sizeof old_url, "%.*s/%s", (int)(slash - url), url, db);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
  admin_exec(url, sql);
  char hash[65];
  snprintf(hash, sizeof hash, "%s%056d", run_id, 1);
  snprintf(sql, sizeof sql,
           "CREATE TABLE playstat_state_schema(version INTEGER NOT NULL);"
           "INSERT INTO playstat_state_schema VALUES(1);"
           "CREATE TABLE api_tokens(token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL,"
           "  created_ms BIGINT NOT NULL);"
           "INSERT INTO api_tokens VALUES('%s', 'made at version 1', 1);",
           hash);
  admin_exec(old_url, sql);

  const ps_state_store_ops *ops = ps_state_backend("postgresql");
  assert_non_null(ops);
  ps_state_store *store = NULL;
  assert_int_equal(ops->open(strchr(old_url, ':') + 1, NULL, &store), PS_OK);
  char role[PS_ROLE_MAX] = "";
  assert_int_equal(store->ops->api_token_check(store, hash, role), PS_OK);
  assert_string_equal(role, "viewer");
  char admin[65];
  snprintf(admin, sizeof admin, "%s%056d", run_id, 2);
  assert_int_equal(store->ops->api_token_create(store, admin, "new", "admin"), PS_OK);
  assert_int_equal(store->ops->api_token_check(store, admin, role), PS_OK);
  assert_string_equal(role, "admin");
  ps_export_object o = {.game_id = 1, .period_start_ms = 0, .period_ms = 3600000, .rows = 2};
  snprintf(o.target, sizeof o.target, "file:/tmp/x");
  snprintf(o.kind, sizeof o.kind, "events");
  snprintf(o.format, sizeof o.format, "parquet");
  snprintf(o.key, sizeof o.key, "k");
  assert_int_equal(store->ops->export_record(store, &o), PS_OK);
  ps_export_object found;
  assert_int_equal(store->ops->export_find(store, "file:/tmp/x", 1, "events", "parquet", 0, &found),
                   PS_OK);
  assert_true(found.rows == 2);
  store->ops->close(store);
  snprintf(sql, sizeof sql, "DROP DATABASE %s", db);
  admin_exec(url, sql);
}

int main(void) {
  snprintf(run_id, sizeof run_id, "%08x",
           (unsigned)(time(NULL) * 2654435761u) ^ (unsigned)getpid() * 40503u);
  const struct CMUnitTest cases[] = {
      cmocka_unit_test(two_nodes_number_the_players_of_a_session_alike),
      cmocka_unit_test(the_first_salt_of_a_session_wins),
      cmocka_unit_test(metrics_sessions_applied_out_of_order_end_at_the_maxima),
      cmocka_unit_test(a_metrics_session_is_taken_by_either_node),
      cmocka_unit_test(a_dropped_connection_is_reset_and_the_call_run_again),
      cmocka_unit_test(a_version_1_database_gains_token_roles),
  };
  return cmocka_run_group_tests_name("postgres state shared by two nodes", cases, NULL, NULL);
}
