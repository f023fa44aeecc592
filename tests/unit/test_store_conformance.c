/* test_store_conformance.c: the contract of the two stores (store/state.h, store/events.h,
 * store/records.h), checked the same way against every backend. Each case gets stores opened
 * from a URL of `backends` (store_fixture.c), plus any URL of $PLAYSTAT_TEST_STORES (separated by spaces);
 * "EVENTS|STATE" opens the event store of EVENTS with the state store of STATE (as --store and
 * --state do). "{tmp}" in a URL is replaced by a fresh temporary directory per case, which the
 * case's teardown removes, and "{case}" by a name unique to the case and run (a database name:
 * clickhouse://127.0.0.1:8123/t_{case}?spool={tmp} gives each case a fresh database). A URL without "{tmp}" names a store shared by every case and every
 * run, so cases never rely on an empty store: each creates its own games, uses keys unique to
 * the run, and dates what an expiry must not touch far from what it expires.
 *
 * What only a backend can promise is asked of that backend only: the SQLite backend (both
 * stores in it: no separate state URL) sets the advisory `duplicate` flag of records.h at once;
 * a store in a local directory leaves no trace of what an expiry forgot in its files; the
 * SQLite schema upgrade keeps a version 4 store. A state store named apart ("EVENTS|STATE")
 * is shared by every case unless its URL names "{tmp}" or "{case}" (the PostgreSQL one is:
 * tests/CMakeLists.txt gives it one database for the whole run), so counts of games and
 * accounts are checked exactly only in a state store of the case's own.
 *
 * State store: games, API tokens and their roles, service accounts, the export log, apply()
 * + msession_load() (start, heartbeat, end, nonces, idempotent re-apply, only the kinds
 * asked), so_anonymity_load() / _expire(). Records are written as the ingest writer writes them (ingest/queue.c): the state
 * that names things, the append, then the state that refuses repeats.
 * Event store: append (durable; stored once per identity), the rejected-event bound, scan,
 * metric (hand-computed answers on small data sets, after maintain()), live, so_session_get,
 * so_session_list (filters, paging against a snapshot), so_expire, maintain. */
#include "store_fixture.h"

/* ---- state store: games and API tokens ---- */

static void games_are_created_listed_and_found(void **state) {
  fixture *f = *state;
  ps_game a = new_game(f), b = new_game(f), found;
  assert_true(b.id != a.id);
  assert_true(a.created_ms > 1700000000000LL);
  assert_int_equal(f->s.state->ops->game_find(f->s.state, b.game_key, 0, &found), PS_OK);
  assert_true(found.id == b.id);
  assert_string_equal(found.name, b.name);
  assert_string_equal(found.project_id, b.project_id);
  assert_string_equal(found.secret_key, b.secret_key);
  assert_string_equal(found.metrics_key, b.metrics_key);
  assert_string_equal(found.token_secret, b.token_secret);
  assert_true(found.created_ms == b.created_ms);
  assert_int_equal(f->s.state->ops->game_find(f->s.state, NULL, a.id, &found), PS_OK);
  assert_string_equal(found.game_key, a.game_key);
  assert_int_equal(f->s.state->ops->game_find(f->s.state, "nope", 0, &found), PS_ENOTFOUND);
  assert_int_equal(f->s.state->ops->game_find(f->s.state, NULL, b.id + 1000000, &found),
                   PS_ENOTFOUND);
  /* A taken game key (or project) is refused. */
  ps_game dup = a;
  assert_int_equal(f->s.state->ops->game_create(f->s.state, &dup), PS_EEXIST);

  /* Listed by id, with every field. */
  ps_game *list = NULL;
  size_t n = 0;
  assert_int_equal(f->s.state->ops->game_list(f->s.state, &list, &n), PS_OK);
  if (f->fresh_state) assert_int_equal(n, 2);
  size_t ia = n, ib = n;
  for (size_t i = 0; i < n; i++) {
    if (i) assert_true(list[i - 1].id < list[i].id);
    if (list[i].id == a.id) ia = i;
    if (list[i].id == b.id) ib = i;
  }
  assert_true(ia < ib && ib < n);
  assert_string_equal(list[ib].game_key, b.game_key);
  assert_string_equal(list[ia].project_id, a.project_id);
  free(list);

  /* Durable. */
  reopen(f, f->options);
  assert_int_equal(f->s.state->ops->game_find(f->s.state, a.game_key, 0, &found), PS_OK);
  assert_true(found.id == a.id);
}

/* A token hash of 64 characters unique to the run (what api_token_create is given). */
static void unique_token_hash(char hash[65]) {
  char u[32];
  unique(u, sizeof u);
  snprintf(hash, 65, "%-64s", u);
  for (char *p = hash; *p; p++) if (*p == ' ' || *p == '-') *p = 'a';
}

static void api_tokens_are_checked_by_hash(void **state) {
  fixture *f = *state;
  char hash[65], other[65], role[PS_ROLE_MAX];
  unique_token_hash(hash);
  memcpy(other, hash, sizeof other);
  other[63] = other[63] == 'b' ? 'c' : 'b';
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, hash, role), PS_ENOTFOUND);
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, hash, "ci", "viewer"), PS_OK);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, hash, role), PS_OK);
  assert_string_equal(role, "viewer");
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, other, role), PS_ENOTFOUND);
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, hash, "again", "viewer"),
                   PS_EEXIST);
  reopen(f, f->options);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, hash, role), PS_OK);
}

/* ---- state store: service accounts ---- */

static ps_service_account account(const char *prefix, const char *suffix, const char *project,
                                  const char *role, int64_t created_ms) {
  ps_service_account a = {.created_ms = created_ms};
  snprintf(a.key_id, sizeof a.key_id, "%s-%s", prefix, suffix);
  snprintf(a.project_id, sizeof a.project_id, "%s", project);
  snprintf(a.name, sizeof a.name, "name of %s", suffix);
  memset(a.secret_sha256, 'a', 64);
  a.secret_sha256[0] = suffix[0];
  snprintf(a.role, sizeof a.role, "%s", role);
  return a;
}

/* The accounts of list whose key id starts with prefix, as "suffix,suffix,...". */
static void ours(const ps_service_account *list, size_t n, const char *prefix, char *out,
                 size_t cap) {
  size_t len = strlen(prefix), used = 0;
  out[0] = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(list[i].key_id, prefix, len) == 0 && list[i].key_id[len] == '-')
      used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "",
                               list[i].key_id + len + 1);
}

static void service_accounts_are_created_found_listed_and_deleted(void **state) {
  fixture *f = *state;
  char p[32], project_a[37], project_b[37], names[128];
  unique(p, sizeof p);
  snprintf(project_a, sizeof project_a, "%s-%04x-4000-8000-00000000000a", run_id,
           run_counter & 0xffff);
  snprintf(project_b, sizeof project_b, "%s-%04x-4000-8000-00000000000b", run_id,
           run_counter & 0xffff);
  ps_service_account a1 = account(p, "1a", project_a, "viewer", 1000),
                     b1 = account(p, "2b", project_b, "writer", 2000),
                     a2 = account(p, "3a", project_a, "writer", 3000), found;
  const ps_state_store_ops *ops = f->s.state->ops;
  ps_state_store *st = f->s.state;
  assert_int_equal(ops->service_account_create(st, &a2), PS_OK);
  assert_int_equal(ops->service_account_create(st, &a1), PS_OK);
  assert_int_equal(ops->service_account_create(st, &b1), PS_OK);

  assert_int_equal(ops->service_account_find(st, b1.key_id, &found), PS_OK);
  assert_string_equal(found.key_id, b1.key_id);
  assert_string_equal(found.project_id, project_b);
  assert_string_equal(found.name, "name of 2b");
  assert_string_equal(found.secret_sha256, b1.secret_sha256);
  assert_string_equal(found.role, "writer");
  assert_true(found.created_ms == 2000);
  assert_int_equal(ops->service_account_find(st, "nope", &found), PS_ENOTFOUND);

  /* A taken key id, whatever else differs. */
  ps_service_account dup = account(p, "1a", project_b, "writer", 5);
  assert_int_equal(ops->service_account_create(st, &dup), PS_EEXIST);
  assert_int_equal(ops->service_account_find(st, a1.key_id, &found), PS_OK);
  assert_string_equal(found.project_id, project_a);
  assert_string_equal(found.role, "viewer");
  /* Only the two roles. */
  ps_service_account admin = account(p, "4a", project_a, "admin", 5);
  assert_int_equal(ops->service_account_create(st, &admin), PS_EINVAL);
  assert_int_equal(ops->service_account_find(st, admin.key_id, &found), PS_ENOTFOUND);

  /* Listed by creation, of one project or of all. */
  ps_service_account *list = NULL;
  size_t n = 99;
  assert_int_equal(ops->service_account_list(st, project_a, &list, &n), PS_OK);
  assert_int_equal(n, 2);
  assert_string_equal(list[0].key_id, a1.key_id);
  assert_string_equal(list[1].key_id, a2.key_id);
  assert_string_equal(list[1].role, "writer");
  free(list);
  list = NULL;
  assert_int_equal(ops->service_account_list(st, NULL, &list, &n), PS_OK);
  if (f->fresh_state) assert_int_equal(n, 3);
  ours(list, n, p, names, sizeof names);
  assert_string_equal(names, "1a,2b,3a");
  free(list);
  list = NULL;
  assert_int_equal(ops->service_account_list(st, "no such project", &list, &n), PS_OK);
  assert_int_equal(n, 0);
  free(list);

  /* created_ms 0 means now. */
  ps_service_account now = account(p, "5a", project_a, "viewer", 0);
  assert_int_equal(ops->service_account_create(st, &now), PS_OK);
  assert_int_equal(ops->service_account_find(st, now.key_id, &found), PS_OK);
  assert_true(found.created_ms > 1700000000000LL);

  assert_int_equal(ops->service_account_delete(st, a1.key_id), PS_OK);
  assert_int_equal(ops->service_account_find(st, a1.key_id, &found), PS_ENOTFOUND);
  assert_int_equal(ops->service_account_delete(st, a1.key_id), PS_ENOTFOUND);

  /* Durable: a new process sees the same. */
  reopen(f, f->options);
  ops = f->s.state->ops;
  st = f->s.state;
  assert_int_equal(ops->service_account_find(st, a1.key_id, &found), PS_ENOTFOUND);
  assert_int_equal(ops->service_account_find(st, a2.key_id, &found), PS_OK);
  assert_string_equal(found.role, "writer");
  list = NULL;
  assert_int_equal(ops->service_account_list(st, NULL, &list, &n), PS_OK);
  ours(list, n, p, names, sizeof names);
  assert_string_equal(names, "2b,3a,5a");
  free(list);
}

/* ---- state store: metrics sessions ---- */

static ps_msession_record msession(ps_msession_rec_kind kind, const char *id, const char *player,
                                   const char *nonce, const char *platform, const char *portal,
                                   const char *mods, int64_t ts_ms, int64_t order_id) {
  return (ps_msession_record){kind, id, player, nonce, platform, portal, mods, ts_ms, order_id};
}

static ps_record msession_record(int64_t game, int64_t received_ms, const ps_msession_record *m) {
  return (ps_record){.kind = PS_RECORD_MSESSION, .game_id = game, .received_ms = received_ms,
                     .msession = m};
}

typedef struct nonces {
  int n;
  char v[8][32];
  ps_msession_nonce got[8]; /* got[i].nonce points to v[i] */
} nonces;

static int nonce_visit(const ps_msession_nonce *nonce, void *ctx) {
  nonces *l = ctx;
  if (l->n < 8) {
    snprintf(l->v[l->n], sizeof l->v[0], "%s", nonce->nonce);
    l->got[l->n] = *nonce;
    l->got[l->n].nonce = l->v[l->n];
  }
  l->n++;
  return 0;
}

static int has_nonce(const nonces *l, const char *nonce) {
  for (int i = 0; i < l->n && i < 8; i++)
    if (strcmp(l->v[i], nonce) == 0) return 1;
  return 0;
}

static ps_msession_state load_msession(fixture *f, int64_t game, const char *id, nonces *l) {
  ps_msession_state st;
  memset(l, 0, sizeof *l);
  assert_int_equal(f->s.state->ops->msession_load(f->s.state, game, id, &st, nonce_visit, l),
                   PS_OK);
  return st;
}

static void msession_state_follows_its_requests(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f), other = new_game(f);
  const int64_t t = 1750000000000LL;
  ps_msession_record m[3] = {
      msession(PS_MSESSION_REC_START, "sess-1", "player-1", "n1", "windows", "steam", "1,2", t, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "sess-1", "player-1", "n2", "windows", "steam", NULL,
               t + MIN, 2),
      msession(PS_MSESSION_REC_END, "sess-1", "player-1", "n3", "windows", "steam", NULL,
               t + 2 * MIN, 3)};
  ps_record r[3] = {msession_record(g.id, t + 100, &m[0]),
                    msession_record(g.id, t + MIN + 100, &m[1]),
                    msession_record(g.id, t + 2 * MIN + 100, &m[2])};
  nonces l;
  ps_msession_state st;
  assert_int_equal(f->s.state->ops->msession_load(f->s.state, g.id, "sess-1", &st, nonce_visit, &l),
                   PS_ENOTFOUND);

  store_records(f, &r[0], 1); /* start */
  st = load_msession(f, g.id, "sess-1", &l);
  assert_string_equal(st.player, "player-1");
  assert_true(st.max_order_id == 1);
  assert_true(st.last_received_ms == t + 100);
  assert_false(st.ended);
  assert_int_equal(l.n, 1);
  assert_true(has_nonce(&l, "n1"));
  /* Each nonce comes with the request that used it (what tells a resend from a reuse). */
  assert_int_equal(l.got[0].kind, PS_MSESSION_REC_START);
  assert_true(l.got[0].order_id == 1 && l.got[0].ts_ms == t && l.got[0].received_ms == t + 100);

  store_records(f, &r[1], 1); /* heartbeat */
  st = load_msession(f, g.id, "sess-1", &l);
  assert_true(st.max_order_id == 2);
  assert_true(st.last_received_ms == t + MIN + 100);
  assert_false(st.ended);
  assert_int_equal(l.n, 2);
  assert_true(has_nonce(&l, "n2"));

  store_records(f, &r[2], 1); /* end */
  st = load_msession(f, g.id, "sess-1", &l);
  assert_true(st.max_order_id == 3);
  assert_true(st.last_received_ms == t + 2 * MIN + 100);
  assert_true(st.ended);
  assert_int_equal(l.n, 3);
  assert_true(has_nonce(&l, "n1") && has_nonce(&l, "n2") && has_nonce(&l, "n3"));

  /* Applying the same requests again (a resend), in any order, changes nothing. */
  ps_record again[3] = {r[1], r[0], r[2]};
  store_records(f, again, 3);
  store_records(f, &r[1], 1);
  st = load_msession(f, g.id, "sess-1", &l);
  assert_string_equal(st.player, "player-1");
  assert_true(st.max_order_id == 3);
  assert_true(st.last_received_ms == t + 2 * MIN + 100);
  assert_true(st.ended);
  assert_int_equal(l.n, 3);

  /* Sessions are per game. */
  assert_int_equal(f->s.state->ops->msession_load(f->s.state, other.id, "sess-1", &st, nonce_visit,
                                                  &l),
                   PS_ENOTFOUND);
  assert_int_equal(f->s.state->ops->msession_load(f->s.state, g.id, "sess-2", &st, nonce_visit, &l),
                   PS_ENOTFOUND);

  /* Durable. */
  reopen(f, f->options);
  st = load_msession(f, g.id, "sess-1", &l);
  assert_true(st.max_order_id == 3);
  assert_true(st.ended);
  assert_int_equal(l.n, 3);
}

static void msession_state_of_a_player_is_forgotten(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f), other = new_game(f);
  const int64_t t = 1750000000000LL;
  ps_msession_record m[4] = {
      msession(PS_MSESSION_REC_START, "gone-1", "leaving@example.com", "g1", "windows", "steam",
               "1", t, 1),
      msession(PS_MSESSION_REC_START, "gone-2", "leaving@example.com", "g2", "windows", "steam",
               "1", t, 1),
      msession(PS_MSESSION_REC_START, "kept-1", "staying", "k1", "windows", "steam", "1", t, 1),
      msession(PS_MSESSION_REC_START, "gone-1", "leaving@example.com", "o1", "ps5", "psn", "2",
               t, 1)};
  ps_record r[4] = {msession_record(g.id, t, &m[0]), msession_record(g.id, t, &m[1]),
                    msession_record(g.id, t, &m[2]), msession_record(other.id, t, &m[3])};
  store_records(f, r, 4);
  ps_state_store *st = f->s.state;
  assert_int_equal(st->ops->msession_forget_player(st, g.id, "leaving@example.com"), PS_OK);
  nonces l;
  ps_msession_state ms;
  assert_int_equal(st->ops->msession_load(st, g.id, "gone-1", &ms, nonce_visit, &l), PS_ENOTFOUND);
  assert_int_equal(st->ops->msession_load(st, g.id, "gone-2", &ms, nonce_visit, &l), PS_ENOTFOUND);
  ms = load_msession(f, g.id, "kept-1", &l); /* another player's session stays */
  assert_string_equal(ms.player, "staying");
  ms = load_msession(f, other.id, "gone-1", &l); /* and so does the player in another game */
  assert_string_equal(ms.player, "leaving@example.com");
  /* Idempotent, and durable. */
  assert_int_equal(st->ops->msession_forget_player(st, g.id, "leaving@example.com"), PS_OK);
  reopen(f, f->options);
  assert_int_equal(f->s.state->ops->msession_load(f->s.state, g.id, "gone-1", &ms, nonce_visit, &l),
                   PS_ENOTFOUND);
  ms = load_msession(f, g.id, "kept-1", &l);
  assert_int_equal(l.n, 1);
}

/* ---- multiplayer sessions: records ---- */

static const char SALT[] = "5a175a175a175a175a175a175a175a175a175a175a175a175a175a175a175a17";

typedef struct so_event {
  ps_so_event_record rec;
  ps_record record;
  char key[65];
  char body[256];
  char hashes[4][65];
  ps_so_player players[4];
  const char *tickets[2];
} so_event;

static uint64_t fnv(const char *s, uint64_t h) {
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* One event of session key: type at ts_ms, naming players numbered first..first+nplayers-1;
 * marker goes into its body. */
static void so_make(so_event *e, const ps_so_key *key, const char *type, int64_t ts_ms,
                    const char *marker, int first, int nplayers) {
  memset(e, 0, sizeof *e);
  snprintf(e->body, sizeof e->body, "{\"type\":\"%s\",\"timestamp\":%lld,\"m\":\"%s\"}", type,
           (long long)ts_ms, marker);
  uint64_t h = fnv(e->body, fnv(key->session_id, 14695981039346656037ULL));
  snprintf(e->key, sizeof e->key, "%016llx%016llx%016llx%016llx", (unsigned long long)h,
           (unsigned long long)(h * 3), (unsigned long long)(h * 5), (unsigned long long)(h * 7));
  for (int i = 0; i < nplayers && i < 4; i++) {
    snprintf(e->hashes[i], sizeof e->hashes[i], "%064d", first + i);
    e->players[i] = (ps_so_player){e->hashes[i], first + i};
  }
  e->rec = (ps_so_event_record){.session = *key, .event_key = e->key, .type = type,
                                .ts_ms = ts_ms, .body = e->body, .body_len = strlen(e->body),
                                .salt = SALT, .players = e->players,
                                .nplayers = (size_t)(nplayers < 4 ? nplayers : 4)};
  e->record = (ps_record){.kind = PS_RECORD_SO_EVENT, .received_ms = ts_ms, .so_event = &e->rec};
}

static void so_store(fixture *f, so_event *e, size_t n) {
  ps_record r[16];
  assert_true(n <= 16);
  for (size_t i = 0; i < n; i++) r[i] = e[i].record;
  store_records(f, r, n);
  for (size_t i = 0; i < n; i++) e[i].record.duplicate = r[i].duplicate;
}

typedef struct so_bodies {
  int n;
  char body[16][256];
  int64_t ts[16];
} so_bodies;

static int so_visit(const char *body, size_t len, int64_t ts_ms, void *ctx) {
  so_bodies *b = ctx;
  if (b->n < 16) {
    snprintf(b->body[b->n], sizeof b->body[0], "%.*s", (int)len, body);
    b->ts[b->n] = ts_ms;
  }
  b->n++;
  return 0;
}

typedef struct so_players {
  int n;
  char hash[8][65];
  int64_t number[8];
} so_players;

static int player_visit(const ps_so_player *p, void *ctx) {
  so_players *l = ctx;
  if (l->n < 8) {
    snprintf(l->hash[l->n], sizeof l->hash[0], "%s", p->hash);
    l->number[l->n] = p->number;
  }
  l->n++;
  return 0;
}

static int64_t number_of(const so_players *l, const char *hash) {
  for (int i = 0; i < l->n && i < 8; i++)
    if (strcmp(l->hash[i], hash) == 0) return l->number[i];
  return -1;
}

static void so_anonymity_is_kept_per_session(void **state) {
  fixture *f = *state;
  char project[40], env[40];
  unique(project, sizeof project);
  unique(env, sizeof env);
  ps_so_key one = {project, env, "session-1"}, two = {project, env, "session-2"};
  const int64_t t = 1750000000000LL;
  so_event e[3];
  so_make(&e[0], &one, "match.created", t, "a", 1, 2);            /* players 1, 2 */
  so_make(&e[1], &one, "players.connected", t + 1000, "b", 2, 2); /* players 2, 3 */
  so_make(&e[2], &two, "players.connected", t + 2000, "c", 1, 1);
  so_store(f, e, 3);
  so_store(f, e, 2); /* a resend changes nothing */

  char salt[65] = "";
  so_players l = {0};
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &one, salt, player_visit, &l),
                   PS_OK);
  assert_string_equal(salt, SALT);
  assert_int_equal(l.n, 3);
  assert_true(number_of(&l, e[0].hashes[0]) == 1);
  assert_true(number_of(&l, e[0].hashes[1]) == 2);
  assert_true(number_of(&l, e[1].hashes[1]) == 3);
  memset(&l, 0, sizeof l);
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &two, salt, player_visit, &l),
                   PS_OK);
  assert_int_equal(l.n, 1);
  ps_so_key none = {project, env, "session-3"}, elsewhere = {project, "other-env", "session-1"};
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &none, salt, player_visit, &l),
                   PS_ENOTFOUND);
  assert_int_equal(
      f->s.state->ops->so_anonymity_load(f->s.state, &elsewhere, salt, player_visit, &l),
      PS_ENOTFOUND);

  /* Durable. */
  reopen(f, f->options);
  memset(&l, 0, sizeof l);
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &one, salt, player_visit, &l),
                   PS_OK);
  assert_string_equal(salt, SALT);
  assert_int_equal(l.n, 3);
}

static void apply_applies_only_the_kinds_asked(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  char env[40], salt[65];
  unique(env, sizeof env);
  ps_so_key key = {g.project_id, env, "kinds"};
  so_event so;
  so_make(&so, &key, "players.connected", 1750000000000LL, "k", 1, 1);
  ps_msession_record m =
      msession(PS_MSESSION_REC_START, "kinds", "p", "n1", "windows", "steam", "", 1750000000000LL, 1);
  ps_record r[3] = {msession_record(g.id, 1750000000000LL, &m), so.record,
                    event(g.id, NULL, "design", "{}")};
  ps_record_span span = {r, 3};
  ps_msession_state st;
  nonces l;
  so_players p = {0};
  const ps_state_store_ops *ops = f->s.state->ops;
  /* Nothing asked, or only kinds that carry no state: nothing kept. */
  assert_int_equal(ops->apply(f->s.state, &span, 1, 0), PS_OK);
  assert_int_equal(ops->apply(f->s.state, &span, 1,
                              PS_RECORD_BIT(PS_RECORD_EVENT) | PS_RECORD_BIT(PS_RECORD_REJECTED)),
                   PS_OK);
  assert_int_equal(ops->msession_load(f->s.state, g.id, "kinds", &st, nonce_visit, &l), PS_ENOTFOUND);
  assert_int_equal(ops->so_anonymity_load(f->s.state, &key, salt, player_visit, &p), PS_ENOTFOUND);
  /* The names alone. */
  assert_int_equal(ops->apply(f->s.state, &span, 1, NAMING), PS_OK);
  assert_int_equal(ops->so_anonymity_load(f->s.state, &key, salt, player_visit, &p), PS_OK);
  assert_int_equal(p.n, 1);
  assert_int_equal(ops->msession_load(f->s.state, g.id, "kinds", &st, nonce_visit, &l), PS_ENOTFOUND);
  /* Then the nonces; then both at once again changes nothing. */
  assert_int_equal(ops->apply(f->s.state, &span, 1, REFUSING), PS_OK);
  st = load_msession(f, g.id, "kinds", &l);
  assert_int_equal(l.n, 1);
  assert_int_equal(ops->apply(f->s.state, &span, 1, NAMING | REFUSING), PS_OK);
  st = load_msession(f, g.id, "kinds", &l);
  assert_int_equal(l.n, 1);
  assert_true(st.max_order_id == 1);
  memset(&p, 0, sizeof p);
  assert_int_equal(ops->so_anonymity_load(f->s.state, &key, salt, player_visit, &p), PS_OK);
  assert_int_equal(p.n, 1);
  /* An empty call is fine. */
  assert_int_equal(ops->apply(f->s.state, NULL, 0, NAMING | REFUSING), PS_OK);
}

/* ---- event store: analytics events ---- */

static void events_are_stored_once_per_game_and_uuid(void **state) {
  fixture *f = *state;
  ps_game a = new_game(f), b = new_game(f);
  const char *u = "6f1c2e7a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
  ps_record r[5] = {event(a.id, u, "design", "{\"n\":1}"), event(a.id, u, "design", "{\"n\":2}"),
                    event(b.id, u, "design", "{\"n\":3}"), event(a.id, NULL, "design", "{\"n\":4}"),
                    event(a.id, NULL, "design", "{\"n\":4}")};
  store_records(f, r, 5);
  if (f->sqlite) { /* advisory: the SQLite backend knows at once */
    assert_false(r[0].duplicate);
    assert_true(r[1].duplicate);
    assert_false(r[2].duplicate);
    assert_false(r[3].duplicate);
    assert_false(r[4].duplicate);
  }
  /* Same uuid in upper case, in a later call: still the same event. */
  ps_record again = event(a.id, "6F1C2E7A-3B4D-4E5F-8A9B-0C1D2E3F4A5B", "design", "{\"n\":5}");
  store_records(f, &again, 1);
  if (f->sqlite) assert_true(again.duplicate);
  /* And lower case after upper case. */
  const char *upper = "ABCDEF01-2345-4678-9ABC-DEF012345678";
  ps_record first = event(b.id, upper, "design", "{\"n\":6}");
  store_records(f, &first, 1);
  ps_record lower = event(b.id, "abcdef01-2345-4678-9abc-def012345678", "design", "{\"n\":7}");
  store_records(f, &lower, 1);
  if (f->sqlite) assert_true(lower.duplicate);

  /* a: the first of the uuid and both events without one; b: its own copy and one more. */
  seen s = scan(f, PS_SCAN_EVENTS, a.id, NULL);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.body[0], "{\"n\":1}");
  assert_string_equal(s.body[1], "{\"n\":4}");
  assert_string_equal(s.body[2], "{\"n\":4}");
  s = scan(f, PS_SCAN_EVENTS, b.id, NULL);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.body[0], "{\"n\":3}");
  assert_string_equal(s.body[1], "{\"n\":6}");

  /* Durable: a new process sees the same, and a resend after it is still a duplicate. */
  reopen(f, f->options);
  assert_int_equal(count_events(f, a.id), 3);
  assert_int_equal(count_events(f, b.id), 2);
  ps_record late = event(a.id, u, "design", "{\"n\":8}");
  store_records(f, &late, 1);
  if (f->sqlite) assert_true(late.duplicate);
  assert_int_equal(count_events(f, a.id), 3);
}

static ps_record rejected(int64_t game, const char *body, int index) {
  return (ps_record){.kind = PS_RECORD_REJECTED, .game_id = game, .body = body,
                     .body_len = strlen(body), .event_index = index,
                     .errors_json = "[{\"field\":\"x\"}]", .received_ms = 1700000000000LL + index};
}

static void rejected_events_keep_the_newest(void **state) {
  fixture *f = *state;
  reopen(f, (ps_store_options){.rejected_keep_per_game = 3});
  ps_game g = new_game(f), other = new_game(f);
  char bodies[8][16];
  ps_record r[8];
  for (int i = 0; i < 8; i++) {
    snprintf(bodies[i], sizeof bodies[i], "{\"i\":%d}", i);
    r[i] = rejected(i < 7 ? g.id : other.id, bodies[i], i);
  }
  r[0].category = "design"; /* known or not */
  store_records(f, r, 5);   /* 0..4: keeps 2, 3, 4 */
  seen s = scan(f, PS_SCAN_REJECTED, g.id, NULL);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.body[0], "{\"i\":2}");
  assert_string_equal(s.body[2], "{\"i\":4}");
  assert_int_equal(s.event_index[0], 2);
  assert_string_equal(s.errors[0], "[{\"field\":\"x\"}]");
  assert_true(s.game_id[0] == g.id);
  store_records(f, &r[5], 3); /* 5, 6 for g; 7 for the other game */
  s = scan(f, PS_SCAN_REJECTED, g.id, NULL);
  assert_int_equal(s.n, 3);
  assert_string_equal(s.body[0], "{\"i\":4}");
  assert_string_equal(s.body[1], "{\"i\":5}");
  assert_string_equal(s.body[2], "{\"i\":6}");
  s = scan(f, PS_SCAN_REJECTED, other.id, NULL);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.body[0], "{\"i\":7}");
  /* Rejected events are not events. */
  assert_int_equal(count_events(f, g.id), 0);
  reopen(f, f->options);
  assert_int_equal(scan(f, PS_SCAN_REJECTED, g.id, NULL).n, 3);
}

static void scan_visits_in_order_and_filters_by_category(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f), other = new_game(f);
  ps_record r[5] = {event(g.id, NULL, "user", "{\"k\":1}"), event(g.id, NULL, "design", "{\"k\":2}"),
                    event(other.id, NULL, "design", "{\"k\":3}"),
                    event(g.id, NULL, "business", "{\"k\":4}"), event(g.id, NULL, "design", "{\"k\":5}")};
  for (int i = 0; i < 5; i++) r[i].received_ms = 1700000000000LL + i;
  r[1].country = "DE"; /* the request's country comes back with the event; none: unknown */
  r[3].country = "JP";
  store_records(f, r, 3);
  store_records(f, &r[3], 2);
  seen s = scan(f, PS_SCAN_EVENTS, g.id, NULL);
  assert_int_equal(s.n, 4);
  assert_string_equal(s.country[0], "(null)");
  assert_string_equal(s.country[1], "DE");
  assert_string_equal(s.country[2], "JP");
  assert_string_equal(s.country[3], "(null)");
  assert_string_equal(s.body[0], "{\"k\":1}");
  assert_string_equal(s.body[1], "{\"k\":2}");
  assert_string_equal(s.body[2], "{\"k\":4}");
  assert_string_equal(s.body[3], "{\"k\":5}");
  assert_string_equal(s.category[2], "business");
  assert_true(s.received_ms[2] == 1700000000003LL);
  assert_true(s.game_id[0] == g.id);
  s = scan(f, PS_SCAN_EVENTS, g.id, "design");
  assert_int_equal(s.n, 2);
  assert_string_equal(s.body[0], "{\"k\":2}");
  assert_string_equal(s.body[1], "{\"k\":5}");
  assert_int_equal(scan(f, PS_SCAN_EVENTS, g.id, "progression").n, 0);
  assert_int_equal(scan(f, PS_SCAN_EVENTS, other.id, NULL).n, 1);

  /* Rejected events filter by category too. */
  ps_record bad[2] = {rejected(g.id, "{\"b\":1}", 0), rejected(g.id, "{\"b\":2}", 1)};
  bad[1].category = "design";
  store_records(f, bad, 2);
  assert_int_equal(scan(f, PS_SCAN_REJECTED, g.id, NULL).n, 2);
  s = scan(f, PS_SCAN_REJECTED, g.id, "design");
  assert_int_equal(s.n, 1);
  assert_string_equal(s.body[0], "{\"b\":2}");

  /* A visitor's nonzero return stops the scan, which returns it. */
  seen stop = {.stop_at = 2};
  ps_scan_query q = {.kind = PS_SCAN_EVENTS, .game_id = g.id};
  assert_int_equal(f->s.events->ops->scan(f->s.events, &q, seen_visit, &stop), 7);
  assert_int_equal(stop.n, 2);
}

/* ---- event store: metrics sessions ---- */

typedef struct playtime_seen {
  int n;
  char id[8][32], player[8][32], platform[8][16], portal[8][16], mods[8][32];
  int64_t started[8], last[8], ended[8], received[8];
} playtime_seen;

static int playtime_visit(const ps_scan_item *item, void *ctx) {
  playtime_seen *s = ctx;
  assert_non_null(item->session);
  const ps_playtime_session *m = item->session;
  if (s->n < 8) {
    int i = s->n;
    snprintf(s->id[i], sizeof s->id[i], "%s", m->session_id);
    snprintf(s->player[i], sizeof s->player[i], "%s", m->player);
    snprintf(s->platform[i], sizeof s->platform[i], "%s", m->platform);
    snprintf(s->portal[i], sizeof s->portal[i], "%s", m->portal);
    snprintf(s->mods[i], sizeof s->mods[i], "%s", m->mod_ids ? m->mod_ids : "");
    s->started[i] = m->started_ms;
    s->last[i] = m->last_ms;
    s->ended[i] = m->ended_ms;
    s->received[i] = m->last_received_ms;
  }
  s->n++;
  return 0;
}

static playtime_seen scan_playtime(fixture *f, int64_t game) {
  playtime_seen s = {0};
  ps_scan_query q = {.kind = PS_SCAN_MSESSIONS, .game_id = game};
  assert_int_equal(f->s.events->ops->scan(f->s.events, &q, playtime_visit, &s), PS_OK);
  return s;
}

static void msession_records_applied_twice_change_nothing(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  const int64_t t = 1750000000000LL;
  ps_msession_record m[5] = {
      msession(PS_MSESSION_REC_START, "late", "p2", "a1", "ps5", "none", "", t + HOUR, 1),
      msession(PS_MSESSION_REC_START, "early", "p1", "b1", "windows", "steam", "7,8", t, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "early", "p1", "b2", "windows", "steam", NULL, t + MIN, 2),
      msession(PS_MSESSION_REC_END, "early", "p1", "b3", "windows", "steam", NULL, t + 3 * MIN, 3),
      msession(PS_MSESSION_REC_HEARTBEAT, "late", "p2", "a2", "ps5", "none", NULL, t + HOUR + MIN, 2)};
  ps_record r[5];
  for (int i = 0; i < 5; i++) r[i] = msession_record(g.id, m[i].ts_ms + 500, &m[i]);
  store_records(f, r, 5);
  playtime_seen before = scan_playtime(f, g.id);
  /* A resend of everything, then of the start and a heartbeat again, after the end. */
  store_records(f, r, 5);
  store_records(f, &r[1], 2);
  playtime_seen after = scan_playtime(f, g.id);
  assert_memory_equal(&before, &after, sizeof before);

  /* Oldest start first, as the requests left them. */
  assert_int_equal(after.n, 2);
  assert_string_equal(after.id[0], "early");
  assert_string_equal(after.player[0], "p1");
  assert_string_equal(after.platform[0], "windows");
  assert_string_equal(after.portal[0], "steam");
  assert_string_equal(after.mods[0], "7,8");
  assert_true(after.started[0] == t);
  assert_true(after.last[0] == t + 3 * MIN);
  assert_true(after.ended[0] == t + 3 * MIN);
  assert_true(after.received[0] == t + 3 * MIN + 500);
  assert_string_equal(after.id[1], "late");
  assert_true(after.started[1] == t + HOUR);
  assert_true(after.last[1] == t + HOUR + MIN);
  assert_true(after.ended[1] == -1); /* no end yet */
  assert_true(after.received[1] == t + HOUR + MIN + 500);

  reopen(f, f->options);
  playtime_seen reopened = scan_playtime(f, g.id);
  assert_memory_equal(&before, &reopened, sizeof before);
}


/* Resends as clients make them: the same body, so the same client_ts and uuid, in another
 * call, after thousands of other events of other times (the SQLite index leads with
 * client_ts): each is stored once. */
static void resent_events_with_their_client_ts_are_stored_once(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  enum { N = 3000 };
  ga_event *sent = calloc(N, sizeof *sent);
  assert_non_null(sent);
  ps_record *records = calloc(N, sizeof *records);
  assert_non_null(records);
  for (int i = 0; i < N; i++) {
    /* client_ts spread over a week, most near "now", as clocks and offline queues make it */
    int64_t ts = 1800000000 + (i % 10 == 0 ? -(int64_t)(i * 97) % 604800 : i / 10);
    ga_make(&sent[i], g.id, "design", "resender", ts, &(ps_event_facts){.event_id = "a:b"});
    snprintf(sent[i].uuid, sizeof sent[i].uuid, "%08x-0000-4000-8000-%012x", (unsigned)i * 2654435761u,
             (unsigned)i);
    sent[i].r.event_uuid = sent[i].uuid;
    records[i] = sent[i].r;
  }
  store_records(f, records, N);
  assert_int_equal(count_events(f, g.id), N);
  /* Every tenth resent, in one later call and in reverse order. */
  ps_record again[N / 10];
  for (int i = 0; i < N / 10; i++) again[i] = sent[N - 10 - 10 * i].r;
  store_records(f, again, N / 10);
  if (f->sqlite)
    for (int i = 0; i < N / 10; i++) assert_true(again[i].duplicate);
  assert_int_equal(count_events(f, g.id), N);
  free(records);
  free(sent);
}

static void event_metrics_answer_a_known_data_set(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  const int64_t d0 = 20000, s0 = d0 * 86400, s1 = (d0 + 1) * 86400; /* two UTC days */
  ga_event e[10];
  /* day 0: u1 starts a session and plays; u2 starts one and pays 500 EUR and 199 USD. */
  ga_make(&e[0], g.id, "user", "u1", s0 + 3600, NULL);
  ga_make(&e[1], g.id, "design", "u1", s0 + 3700, &(ps_event_facts){.event_id = "UI:Open"});
  ga_make(&e[2], g.id, "user", "u2", s0 + 7200, NULL);
  ga_make(&e[3], g.id, "business", "u2", s0 + 7300,
          &(ps_event_facts){.event_id = "Gems:g1", .currency = "EUR", .amount = 500, .has_amount = 1});
  ga_make(&e[4], g.id, "business", "u2", s0 + 7400,
          &(ps_event_facts){.event_id = "Gems:g2", .currency = "USD", .amount = 199, .has_amount = 1});
  /* day 1: u1 comes back and pays 99 USD; u3 installs, plays and pays 100 USD. */
  ga_make(&e[5], g.id, "user", "u1", s1 + 100, NULL);
  ga_make(&e[6], g.id, "business", "u1", s1 + 200,
          &(ps_event_facts){.event_id = "Gems:g3", .currency = "USD", .amount = 99, .has_amount = 1});
  ga_make(&e[7], g.id, "user", "u3", s1 + 300, NULL);
  ga_make(&e[8], g.id, "design", "u3", s1 + 400, &(ps_event_facts){.event_id = "UI:Close"});
  ga_make(&e[9], g.id, "business", "u3", s1 + 500,
          &(ps_event_facts){.event_id = "Gems:g4", .currency = "USD", .amount = 100, .has_amount = 1});
  snprintf(e[3].uuid, sizeof e[3].uuid, "11111111-2222-4333-8444-555555555555");
  e[3].r.event_uuid = e[3].uuid;
  /* Countries of the requests: u1 plays from DE on day 0 and from BR on day 1, u2 from BR, u3
   * from an address of no known country. */
  for (int i = 0; i < 7; i++) e[i].r.country = i < 2 ? "DE" : "BR";
  ps_record r[11];
  for (int i = 0; i < 10; i++) r[i] = e[i].r;
  r[10] = e[3].r; /* a resend of the EUR payment: counted once */
  store_records(f, r, 6);
  store_records(f, &r[6], 5);
  int64_t now = (d0 + 2) * DAY;
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now), PS_OK);

  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .game_id = g.id, .project_id = g.project_id,
                       .from_ms = d0 * DAY, .to_ms = (d0 + 2) * DAY, .interval_ms = DAY,
                       .now_ms = now};
  q.metric = "dau";
  check_metric(f, q, 2, (double[]){2, 2}, 3, NULL); /* u1 u2 | u1 u3; 3 distinct */
  q.metric = "new_users";
  check_metric(f, q, 2, (double[]){2, 1}, 3, NULL); /* first `user` events: u1 u2 | u3 */
  q.metric = "sessions";
  check_metric(f, q, 2, (double[]){2, 2}, 4, NULL); /* `user` events */
  q.metric = "paying_users";
  check_metric(f, q, 2, (double[]){1, 2}, 3, NULL); /* u2 | u1 u3 */
  ps_metric_result revenue;
  q.metric = "revenue";
  check_metric(f, q, 2, (double[]){699, 199}, 898, &revenue);
  assert_int_equal(revenue.ngroups, 2);
  assert_series("revenue EUR", group_of(&revenue, "EUR"), 2, (double[]){500, 0}, 500);
  assert_series("revenue USD", group_of(&revenue, "USD"), 2, (double[]){199, 199}, 398);
  ps_metric_result_free(&revenue);
  /* One day at a time. */
  q.from_ms = (d0 + 1) * DAY;
  q.metric = "dau";
  check_metric(f, q, 1, (double[]){2}, 2, NULL);
  /* A dimension filter. */
  q.from_ms = d0 * DAY;
  q.filters[0] = (ps_metric_filter){"platform", "android"};
  q.nfilters = 1;
  check_metric(f, q, 2, (double[]){0, 0}, 0, NULL);
  q.filters[0].value = "ios";
  check_metric(f, q, 2, (double[]){2, 2}, 3, NULL);
  /* The country dimension: the event's, not the user's. */
  q.filters[0] = (ps_metric_filter){"country", "DE"};
  check_metric(f, q, 2, (double[]){1, 0}, 1, NULL); /* u1 | - */
  q.filters[0].value = "BR";
  check_metric(f, q, 2, (double[]){1, 1}, 2, NULL); /* u2 | u1 */
  q.metric = "sessions";
  check_metric(f, q, 2, (double[]){1, 1}, 2, NULL);
  q.nfilters = 0;
  q.metric = "dau";
  q.group_by = "country";
  ps_metric_result by_country;
  check_metric(f, q, 2, (double[]){2, 2}, 3, &by_country);
  assert_int_equal(by_country.ngroups, 2); /* no group for u3's unknown country */
  assert_series("dau DE", group_of(&by_country, "DE"), 2, (double[]){1, 0}, 1);
  assert_series("dau BR", group_of(&by_country, "BR"), 2, (double[]){1, 1}, 2);
  ps_metric_result_free(&by_country);
}

static void playtime_metrics_answer_a_known_data_set(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  const int64_t t0 = 20000 * DAY + 10 * HOUR; /* an hour boundary */
  /* A: p1 [10, 70) min; B: p2 [30, 50) on ps5; C: p1 [65, 125); D: p3 from 130, last heard of
   * at 150 and timed out since (over at 150). */
  ps_msession_record m[] = {
      msession(PS_MSESSION_REC_START, "A", "p1", "a1", "windows", "steam", "1", t0 + 10 * MIN, 1),
      msession(PS_MSESSION_REC_END, "A", "p1", "a2", "windows", "steam", NULL, t0 + 70 * MIN, 2),
      msession(PS_MSESSION_REC_START, "B", "p2", "b1", "ps5", "none", "", t0 + 30 * MIN, 1),
      msession(PS_MSESSION_REC_END, "B", "p2", "b2", "ps5", "none", NULL, t0 + 50 * MIN, 2),
      msession(PS_MSESSION_REC_START, "C", "p1", "c1", "windows", "steam", "1,2", t0 + 65 * MIN, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "C", "p1", "c2", "windows", "steam", NULL,
               t0 + 95 * MIN, 2),
      msession(PS_MSESSION_REC_END, "C", "p1", "c3", "windows", "steam", NULL, t0 + 125 * MIN, 3),
      msession(PS_MSESSION_REC_START, "D", "p3", "d1", "windows", "epicgames", "", t0 + 130 * MIN, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "D", "p3", "d2", "windows", "epicgames", NULL,
               t0 + 150 * MIN, 2),
  };
  enum { N = sizeof m / sizeof *m };
  ps_record r[N];
  for (int i = 0; i < N; i++) r[i] = msession_record(g.id, m[i].ts_ms + 200, &m[i]);
  store_records(f, r, N);
  store_records(f, r, N); /* a resend of every request changes no answer */
  const int64_t now = t0 + 5 * HOUR;
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now), PS_OK);

  ps_metric_query q = {.source = PS_SOURCE_PLAYTIME, .game_id = g.id, .project_id = g.project_id,
                       .from_ms = t0, .to_ms = t0 + 3 * HOUR, .interval_ms = HOUR, .now_ms = now};
  q.metric = "ccu"; /* p1 p2 together in the first hour; p1 (A then C) alone; C ends before D */
  check_metric(f, q, 3, (double[]){2, 1, 1}, 2, NULL);
  q.metric = "sessions"; /* started: A B | C | D */
  check_metric(f, q, 3, (double[]){2, 1, 1}, 4, NULL);
  q.metric = "total_players"; /* p1 p2 | p1 | p1 p3; 3 distinct */
  check_metric(f, q, 3, (double[]){2, 1, 2}, 3, NULL);
  q.metric = "avg_playtime"; /* ended: B 1200 s | A 3600 s | C 3600 s, D 1200 s */
  check_metric(f, q, 3, (double[]){1200, 3600, 2400}, 2400, NULL);
  q.metric = "concurrent_ugc"; /* mod 1 | mods 1 2 (C) | mods 1 2 (C until 125) */
  check_metric(f, q, 3, (double[]){1, 2, 2}, 2, NULL);
  /* Filtered: ps5 is B alone; steam is A and C. */
  q.metric = "ccu";
  q.filters[0] = (ps_metric_filter){"platform", "ps5"};
  q.nfilters = 1;
  check_metric(f, q, 3, (double[]){1, 0, 0}, 1, NULL);
  q.filters[0] = (ps_metric_filter){"portal", "steam"};
  q.metric = "sessions";
  check_metric(f, q, 3, (double[]){1, 1, 0}, 2, NULL);
  /* Grouped by platform: one series per platform, in key order. */
  q.nfilters = 0;
  q.metric = "ccu";
  q.group_by = "platform";
  ps_metric_result grouped;
  check_metric(f, q, 3, (double[]){2, 1, 1}, 2, &grouped);
  assert_int_equal(grouped.ngroups, 2);
  assert_string_equal(grouped.groups[0].key, "ps5");
  assert_string_equal(grouped.groups[1].key, "windows");
  assert_series("ccu ps5", &grouped.groups[0], 3, (double[]){1, 0, 0}, 1);
  assert_series("ccu windows", &grouped.groups[1], 3, (double[]){1, 1, 1}, 1);
  ps_metric_result_free(&grouped);
}

static void live_counts_what_is_played_now(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f), quiet = new_game(f);
  const int64_t now = 20000 * DAY + 12 * HOUR;
  /* Running: E (p4, mods 1 2), F (p5, mods 2 3), G (p4 again, no mod). Not running: H ended,
   * I timed out (heard of 10 minutes ago, the timeout is 5). */
  ps_msession_record m[] = {
      msession(PS_MSESSION_REC_START, "E", "p4", "e1", "windows", "steam", "1,2", now - 10 * MIN, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "E", "p4", "e2", "windows", "steam", NULL, now - MIN, 2),
      msession(PS_MSESSION_REC_START, "F", "p5", "f1", "ps5", "none", "2,3", now - 20 * MIN, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "F", "p5", "f2", "ps5", "none", NULL, now - 2 * MIN, 2),
      msession(PS_MSESSION_REC_START, "G", "p4", "g1", "windows", "steam", "", now - 5 * MIN, 1),
      msession(PS_MSESSION_REC_START, "H", "p6", "h1", "windows", "steam", "9", now - 30 * MIN, 1),
      msession(PS_MSESSION_REC_END, "H", "p6", "h2", "windows", "steam", NULL, now - 3 * MIN, 2),
      msession(PS_MSESSION_REC_START, "I", "p7", "i1", "windows", "steam", "8", now - 40 * MIN, 1),
      msession(PS_MSESSION_REC_HEARTBEAT, "I", "p7", "i2", "windows", "steam", NULL, now - 10 * MIN, 2),
  };
  enum { N = sizeof m / sizeof *m };
  ps_record r[N];
  for (int i = 0; i < N; i++) r[i] = msession_record(g.id, m[i].ts_ms, &m[i]);
  store_records(f, r, N);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now), PS_OK);
  ps_live live = {-1, -1};
  assert_int_equal(f->s.events->ops->live(f->s.events, g.id, now, &live), PS_OK);
  assert_true(live.ccu == 2);            /* p4, p5 */
  assert_true(live.concurrent_ugc == 3); /* 1, 2, 3 */
  live = (ps_live){-1, -1};
  assert_int_equal(f->s.events->ops->live(f->s.events, quiet.id, now, &live), PS_OK);
  assert_true(live.ccu == 0 && live.concurrent_ugc == 0);
  /* Half an hour later every session is over. */
  assert_int_equal(f->s.events->ops->live(f->s.events, g.id, now + 30 * MIN, &live), PS_OK);
  assert_true(live.ccu == 0 && live.concurrent_ugc == 0);
}

static void maintain_brings_new_records_into_the_answers(void **state) {
  fixture *f = *state;
  /* On a store without records of its own (or anyone's), and again at once. */
  assert_int_equal(f->s.events->ops->maintain(f->s.events, 20000 * DAY), PS_OK);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, 20000 * DAY), PS_OK);
  ps_game g = new_game(f);
  const int64_t d0 = 20000, s0 = d0 * 86400;
  ga_event e[4];
  ga_make(&e[0], g.id, "user", "u1", s0 + 10, NULL);
  ga_make(&e[1], g.id, "user", "u2", s0 + 20, NULL);
  ga_make(&e[2], g.id, "user", "u3", s0 + 86400 + 30, NULL);
  ga_make(&e[3], g.id, "user", "u1", s0 + 86400 + 40, NULL);
  ps_record r[4] = {e[0].r, e[1].r, e[2].r, e[3].r};
  store_records(f, r, 2);
  int64_t now = (d0 + 2) * DAY;
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now), PS_OK);
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = "dau", .game_id = g.id,
                       .project_id = g.project_id, .from_ms = d0 * DAY, .to_ms = (d0 + 2) * DAY,
                       .interval_ms = DAY, .now_ms = now};
  check_metric(f, q, 2, (double[]){2, 0}, 2, NULL);
  /* Maintaining again, later, changes nothing. */
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now + MIN), PS_OK);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now + HOUR), PS_OK);
  check_metric(f, q, 2, (double[]){2, 0}, 2, NULL);
  /* What is appended next is in the answers once maintain has run again. */
  store_records(f, &r[2], 2);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now + 2 * HOUR), PS_OK);
  check_metric(f, q, 2, (double[]){2, 2}, 3, NULL);
  q.metric = "new_users";
  check_metric(f, q, 2, (double[]){2, 1}, 3, NULL);
  /* And a restart keeps them. */
  reopen(f, f->options);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now + 3 * HOUR), PS_OK);
  q.metric = "dau";
  check_metric(f, q, 2, (double[]){2, 2}, 3, NULL);
}


/* The SQLite backend keeps a digest of each event made from its facts, or from its body when a
 * caller has none (records.h): both ways, every event metric answers the same. */
static void facts_or_bodies_give_the_same_answers(void **state) {
  fixture *f = *state;
  const int64_t d0 = 20100, now = (d0 + 5) * DAY;
  ps_game games[2] = {new_game(f), new_game(f)};
  store_data_set(f, games, (int[]){0, 1}, 2, d0, now);
  for (size_t i = 0; i < NQUESTIONS; i++) {
    ps_metric_result answers[2];
    for (int k = 0; k < 2; k++) ask_event_question(f, &games[k], i, d0, now, &answers[k]);
    char what[64];
    snprintf(what, sizeof what, "%s (question %zu)", event_questions[i].metric, i);
    assert_same_answer(what, &answers[0], &answers[1]);
    /* not an empty answer twice */
    if (i == 0) assert_true(answers[0].whole.total == 6);
    if (!strcmp(event_questions[i].metric, "errors") && !event_questions[i].by)
      assert_int_equal(answers[0].ngroups, 2);
    if (event_questions[i].by && !strcmp(event_questions[i].by, "placement"))
      assert_int_equal(answers[0].ngroups, 2); /* end_of_level and "" */
    ps_metric_result_free(&answers[0]);
    ps_metric_result_free(&answers[1]);
  }
}

/* ---- event store: multiplayer sessions ---- */

static void so_session_get_merges_events_in_any_order(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  char env[40];
  unique(env, sizeof env);
  ps_so_key key = {g.project_id, env, "match-1"};
  const int64_t t = 1750000000000LL;
  so_event e[5];
  so_make(&e[0], &key, "allocation.requested", t + 3000, "3", 0, 0);
  e[0].rec.region_id = "eu-west";
  so_make(&e[1], &key, "match.created", t + 1000, "1", 1, 3);
  e[1].rec.pool_id = "pool-1";
  e[1].rec.pool_name = "ranked";
  e[1].rec.queue_id = "queue-1";
  e[1].rec.queue_name = "main";
  so_make(&e[2], &key, "allocation.succeeded", t + 4000, "4", 0, 0);
  so_make(&e[3], &key, "players.assigned", t + 2000, "2", 1, 2);
  e[3].tickets[0] = "ticket-1";
  e[3].rec.ticket_ids = e[3].tickets;
  e[3].rec.nticket_ids = 1;
  so_make(&e[4], &key, "players.connected", t + 2000, "2b", 3, 1); /* same time: arrival order */
  so_store(f, e, 2);
  so_store(f, &e[2], 3);
  so_store(f, &e[1], 1); /* a resend: stored once */
  if (f->sqlite) {
    assert_true(e[1].record.duplicate);
    assert_false(e[2].record.duplicate);
  }
  ps_record twice[2] = {e[3].record, e[3].record}; /* twice in one call: stored once */
  store_records(f, twice, 2);
  if (f->sqlite) assert_true(twice[0].duplicate && twice[1].duplicate);

  ps_so_session s;
  so_bodies b = {0};
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &key, &s, so_visit, &b), PS_OK);
  assert_int_equal(b.n, 5);
  assert_string_equal(b.body[0], e[1].body);
  assert_string_equal(b.body[1], e[3].body);
  assert_string_equal(b.body[2], e[4].body);
  assert_string_equal(b.body[3], e[0].body);
  assert_string_equal(b.body[4], e[2].body);
  assert_true(b.ts[0] == t + 1000 && b.ts[4] == t + 4000);

  assert_string_equal(s.project_id, g.project_id);
  assert_string_equal(s.environment_id, env);
  assert_string_equal(s.session_id, "match-1");
  assert_true(s.created_ms == t + 1000);
  assert_true(s.updated_ms == t + 4000);
  assert_true(s.match_created_ms == t + 1000);
  assert_string_equal(s.pool_id, "pool-1");
  assert_string_equal(s.pool_name, "ranked");
  assert_string_equal(s.queue_id, "queue-1");
  assert_string_equal(s.queue_name, "main");
  assert_string_equal(s.region_id, "eu-west");
  assert_true(s.requested_ms == t + 3000);
  assert_true(s.completed_ms == t + 4000);
  assert_string_equal(s.completion, "succeeded");
  assert_true(s.players == 3);
  assert_false(s.backfill);

  /* No visitor: the summary alone. Unknown sessions are not found. */
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &key, &s, NULL, NULL), PS_OK);
  ps_so_key unknown = {g.project_id, env, "match-2"}, other_env = {g.project_id, "x", "match-1"};
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &unknown, &s, NULL, NULL),
                   PS_ENOTFOUND);
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &other_env, &s, NULL, NULL),
                   PS_ENOTFOUND);

  /* A later failure wins the completion; an earlier event leaves created_ms alone (there is a
   * match.created); a backfill marks the session. */
  so_event later[2];
  so_make(&later[0], &key, "allocation.failed", t + 5000, "5", 0, 0);
  so_make(&later[1], &key, "players.disconnected", t + 500, "0", 1, 1);
  later[1].rec.backfill = 1;
  so_store(f, later, 2);
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &key, &s, NULL, NULL), PS_OK);
  assert_string_equal(s.completion, "failed");
  assert_true(s.completed_ms == t + 5000);
  assert_true(s.created_ms == t + 1000);
  assert_true(s.updated_ms == t + 5000);
  assert_true(s.backfill);

  /* Durable. */
  reopen(f, f->options);
  memset(&b, 0, sizeof b);
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &key, &s, so_visit, &b), PS_OK);
  assert_int_equal(b.n, 7);
  assert_string_equal(b.body[0], later[1].body);
}

/* Session i (1-based) of the paging and filter cases: match.created at base + i seconds. */
static void so_session_add(fixture *f, const char *project, const char *env, const char *id,
                           int64_t created_ms, const char *pool, const char *ticket,
                           const char *region) {
  ps_so_key key = {project, env, id};
  so_event e[2];
  so_make(&e[0], &key, "match.created", created_ms, id, 1, 2);
  e[0].rec.pool_id = pool;
  e[0].rec.pool_name = pool;
  e[0].rec.queue_name = "main";
  if (ticket) {
    e[0].tickets[0] = ticket;
    e[0].rec.ticket_ids = e[0].tickets;
    e[0].rec.nticket_ids = 1;
  }
  so_make(&e[1], &key, "allocation.requested", created_ms + 100, id, 0, 0);
  e[1].rec.region_id = region;
  so_store(f, e, 2);
}

static ps_so_query so_query(const char *project, const char *env, size_t limit) {
  return (ps_so_query){.project_id = project, .environment_id = env, .created_after_ms = -1,
                       .updated_after_ms = -1, .limit = limit};
}

/* The session ids of one search page, as "id,id,...". */
static size_t so_list(fixture *f, const ps_so_query *q, char *ids, size_t cap, int64_t *snapshot,
                      ps_so_session *last) {
  ps_so_session *out = NULL;
  size_t n = 99, used = 0;
  int64_t snap = -1;
  assert_int_equal(f->s.events->ops->so_session_list(f->s.events, q, &out, &n, &snap), PS_OK);
  assert_true(n <= q->limit);
  ids[0] = 0;
  for (size_t i = 0; i < n; i++) {
    used += (size_t)snprintf(ids + used, cap - used, "%s%s", i ? "," : "", out[i].session_id);
    if (i) /* newest first */
      assert_true(out[i - 1].created_ms > out[i].created_ms ||
                  (out[i - 1].created_ms == out[i].created_ms &&
                   strcmp(out[i - 1].session_id, out[i].session_id) > 0));
  }
  if (n && last) *last = out[n - 1];
  if (snapshot) *snapshot = snap;
  free(out);
  return n;
}

static void so_session_list_pages_against_a_snapshot(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  char env[40], ids[256];
  unique(env, sizeof env);
  const int64_t t = 1760000000000LL;
  /* s1..s5 created at t + 1..5 s; s4 and s5 at the same time (ties: session_id order). */
  so_session_add(f, g.project_id, env, "s1", t + 1000, "p", NULL, "eu");
  so_session_add(f, g.project_id, env, "s2", t + 2000, "p", NULL, "eu");
  so_session_add(f, g.project_id, env, "s3", t + 3000, "p", NULL, "eu");
  so_session_add(f, g.project_id, env, "s4", t + 4000, "p", NULL, "eu");
  so_session_add(f, g.project_id, env, "s5", t + 4000, "p", NULL, "eu");

  ps_so_query q = so_query(g.project_id, env, 2);
  ps_so_session last;
  int64_t snapshot = 0, next = 0;
  assert_int_equal(so_list(f, &q, ids, sizeof ids, &snapshot, &last), 2);
  assert_string_equal(ids, "s5,s4");
  assert_true(snapshot != 0);

  /* Added between pages, older than every listed one: not in this search. And s5, already
   * listed, moves behind s1 (an earlier match.created arrives): not listed again. */
  so_session_add(f, g.project_id, env, "s0", t, "p", NULL, "eu");
  ps_so_key s5 = {g.project_id, env, "s5"};
  so_event earlier;
  so_make(&earlier, &s5, "match.created", t + 500, "earlier", 1, 1);
  so_store(f, &earlier, 1);
  char all[256] = "s5,s4";
  size_t listed = 2;
  for (int page = 0; page < 4; page++) {
    q.snapshot_seq = snapshot;
    q.after_created_ms = last.created_ms;
    char after_id[129];
    snprintf(after_id, sizeof after_id, "%s", last.session_id);
    q.after_session_id = after_id;
    size_t n = so_list(f, &q, ids, sizeof ids, &next, &last);
    assert_true(next == snapshot); /* carried on */
    if (!n) break;
    size_t len = strlen(all);
    assert_true(len + 1 + strlen(ids) < sizeof all);
    all[len] = ',';
    memcpy(all + len + 1, ids, strlen(ids) + 1);
    listed += n;
    if (n < q.limit) break;
  }
  assert_string_equal(all, "s5,s4,s3,s2,s1");
  assert_int_equal(listed, 5);

  /* A new search sees it. */
  q = so_query(g.project_id, env, 10);
  assert_int_equal(so_list(f, &q, ids, sizeof ids, NULL, NULL), 6);
  assert_string_equal(ids, "s4,s3,s2,s1,s5,s0");

  /* Matchmaking metrics read the same sessions: 6 matches created that day. */
  ps_metric_query mq = {.source = PS_SOURCE_MATCHMAKING, .metric = "matches_created",
                        .game_id = g.id, .project_id = g.project_id,
                        .from_ms = t - t % DAY, .to_ms = t - t % DAY + DAY, .interval_ms = DAY,
                        .now_ms = t + DAY};
  assert_int_equal(f->s.events->ops->maintain(f->s.events, t + DAY), PS_OK);
  check_metric(f, mq, 1, (double[]){6}, 6, NULL);
}

static void so_session_list_filters(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  char env[40], other_env[40], ids[256];
  unique(env, sizeof env);
  unique(other_env, sizeof other_env);
  const int64_t t = 1760000000000LL;
  so_session_add(f, g.project_id, env, "a", t + 1000, "ranked", "ticket-a", "eu");
  so_session_add(f, g.project_id, env, "b", t + 2000, "casual", NULL, "us");
  so_session_add(f, g.project_id, env, "c", t + 3000, "ranked", NULL, "us");
  so_session_add(f, g.project_id, other_env, "d", t + 4000, "ranked", NULL, "eu");
  ps_so_query q = so_query(g.project_id, env, 10);
  assert_int_equal(so_list(f, &q, ids, sizeof ids, NULL, NULL), 3);
  assert_string_equal(ids, "c,b,a");
  q.pool_id = "ranked";
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "c,a");
  q.pool_id = NULL;
  q.pool_name = "casual";
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "b");
  q.pool_name = NULL;
  q.region_id = "us";
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "c,b");
  q.pool_name = "ranked"; /* together */
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "c");
  q = so_query(g.project_id, env, 10);
  q.queue_name = "main";
  assert_int_equal(so_list(f, &q, ids, sizeof ids, NULL, NULL), 3);
  q.queue_name = "other";
  assert_int_equal(so_list(f, &q, ids, sizeof ids, NULL, NULL), 0);
  q = so_query(g.project_id, env, 10);
  q.ticket_id = "ticket-a";
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "a");
  q = so_query(g.project_id, env, 10);
  q.created_after_ms = t + 1000; /* strictly after */
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "c,b");
  q = so_query(g.project_id, env, 10);
  q.updated_after_ms = t + 2100; /* b was last updated at t + 2100 */
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "c");
  q = so_query(g.project_id, other_env, 10);
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "d");
  q = so_query("no such project", env, 10);
  assert_int_equal(so_list(f, &q, ids, sizeof ids, NULL, NULL), 0);
}

static void so_session_list_snapshot_outlives_an_expiry(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  char env[40], ids[256];
  unique(env, sizeof env);
  const int64_t t = 1760000000000LL;
  /* "kept" is listed on the first page; "expiring" (dated below what the other cases write)
   * is the session whose key was set last when the search starts, and expires during it. */
  so_session_add(f, g.project_id, env, "kept", t, "p", NULL, "eu");
  so_session_add(f, g.project_id, env, "expiring", 2500, "p", NULL, "eu");
  ps_so_query q = so_query(g.project_id, env, 1);
  ps_so_session last;
  int64_t snapshot = 0, next = 0;
  assert_int_equal(so_list(f, &q, ids, sizeof ids, &snapshot, &last), 1);
  assert_string_equal(ids, "kept");
  int64_t deleted = 0;
  assert_int_equal(f->s.events->ops->so_expire(f->s.events, 3000, &deleted), PS_OK);
  assert_int_equal(f->s.state->ops->so_anonymity_expire(f->s.state, 3000), PS_OK);
  /* Added after the first page, older than "kept": not in this search. */
  so_session_add(f, g.project_id, env, "added", t - 1000, "p", NULL, "eu");
  q.snapshot_seq = snapshot;
  q.after_created_ms = last.created_ms;
  q.after_session_id = "kept";
  q.limit = 10;
  so_list(f, &q, ids, sizeof ids, &next, NULL);
  assert_string_equal(ids, "");
  q = so_query(g.project_id, env, 10);
  so_list(f, &q, ids, sizeof ids, NULL, NULL);
  assert_string_equal(ids, "kept,added");
}


static void expiry_forgets_sessions_and_their_anonymity(void **state) {
  fixture *f = *state;
  char project[40], env[40], old_id[64], kept_id[64], marker[64];
  unique(project, sizeof project);
  unique(env, sizeof env);
  snprintf(old_id, sizeof old_id, "expiring-%s", env);
  snprintf(kept_id, sizeof kept_id, "kept-%s", env);
  snprintf(marker, sizeof marker, "forget-me-%s", env);
  ps_so_key old = {project, env, old_id}, kept = {project, env, kept_id};
  /* Dated as both stores date a session: old by its first event (2000, no match.created),
   * kept by its match.created (4000) although its first event (1000) is older. These times
   * are far below what the other cases write, so a shared store loses nothing else. */
  so_event e[3];
  so_make(&e[0], &old, "players.connected", 2000, marker, 1, 2);
  e[0].tickets[0] = marker;
  e[0].rec.ticket_ids = e[0].tickets;
  e[0].rec.nticket_ids = 1;
  so_make(&e[1], &kept, "players.connected", 1000, "kept", 1, 1);
  so_make(&e[2], &kept, "match.created", 4000, "kept", 1, 2);
  so_store(f, e, 3);
  ps_so_session s;
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &kept, &s, NULL, NULL), PS_OK);
  assert_true(s.created_ms == 4000);
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &old, &s, NULL, NULL), PS_OK);
  assert_true(s.created_ms == 2000);
  /* The check below can see: a store that keeps its records in the case's directory holds the
   * marker there now (SQLite; a ClickHouse store's spool has shipped it to the server, whose
   * files are not the case's, and keeps no copy). */
  if (f->sqlite) assert_true(files_hold(f->dir, marker));

  int64_t deleted = -1;
  assert_int_equal(f->s.events->ops->so_expire(f->s.events, 3000, &deleted), PS_OK);
  assert_int_equal(f->s.state->ops->so_anonymity_expire(f->s.state, 3000), PS_OK);
  if (f->dir[0]) assert_true(deleted == 1);
  else assert_true(deleted >= 1);
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &old, &s, NULL, NULL),
                   PS_ENOTFOUND);
  char salt[65];
  so_players l = {0};
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &old, salt, player_visit, &l),
                   PS_ENOTFOUND);
  ps_so_query q = so_query(project, env, 10);
  q.ticket_id = marker;
  char ids[256];
  assert_int_equal(so_list(f, &q, ids, sizeof ids, NULL, NULL), 0);
  /* The other stays whole, in both stores. */
  so_bodies b = {0};
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &kept, &s, so_visit, &b), PS_OK);
  assert_int_equal(b.n, 2);
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &kept, salt, player_visit, &l),
                   PS_OK);
  assert_int_equal(l.n, 2);
  /* Nothing of the forgotten session is left in the store's files. */
  if (f->dir[0]) {
    ps_stores_close(&f->s);
    assert_false(files_hold(f->dir, marker));
    assert_false(files_hold(f->dir, old_id));
    open_stores(f);
  }
  /* Expiring again forgets nothing more; a later bound takes the other. */
  assert_int_equal(f->s.events->ops->so_expire(f->s.events, 3000, &deleted), PS_OK);
  assert_true(deleted == 0);
  assert_int_equal(f->s.events->ops->so_expire(f->s.events, 5000, &deleted), PS_OK);
  assert_true(deleted >= 1);
  assert_int_equal(f->s.state->ops->so_anonymity_expire(f->s.state, 5000), PS_OK);
  assert_int_equal(f->s.events->ops->so_session_get(f->s.events, &kept, &s, NULL, NULL),
                   PS_ENOTFOUND);
  assert_int_equal(f->s.state->ops->so_anonymity_load(f->s.state, &kept, salt, player_visit, &l),
                   PS_ENOTFOUND);
}

/* ---- the SQLite backend only ---- */

static void sqlite_a_version_4_database_gains_service_accounts(void **state) {
  fixture *f = *state;
  if (!f->sqlite || !f->dir[0]) skip();
  /* A store written before service accounts existed (user_version 4, no such table). */
  ps_game g = new_game(f);
  ps_stores_close(&f->s);
  char path[300];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DROP TABLE service_accounts; PRAGMA user_version = 4;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);

  open_stores(f);
  ps_game found;
  assert_int_equal(f->s.state->ops->game_find(f->s.state, NULL, g.id, &found), PS_OK);
  ps_service_account a = account("v4", "1a", g.project_id, "viewer", 1);
  assert_int_equal(f->s.state->ops->service_account_create(f->s.state, &a), PS_OK);
}

/* A store of schema version 7 (events without their digest columns, rollups to rebuild) is
 * upgraded in place: the digests made from the bodies give the answers it gave before. */
static void sqlite_a_version_7_database_gains_event_digests(void **state) {
  fixture *f = *state;
  if (!f->sqlite || !f->dir[0]) skip();
  const int64_t d0 = 20200, now = (d0 + 5) * DAY;
  ps_game g = new_game(f);
  store_data_set(f, &g, (int[]){0}, 1, d0, now);
  ps_metric_result before[NQUESTIONS];
  for (size_t i = 0; i < NQUESTIONS; i++) ask_event_question(f, &g, i, d0, now, &before[i]);
  ps_stores_close(&f->s);
  char path[300];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db,
                   /* a version 7 store has none of version 10's funnel indexes either */
                   "DROP INDEX events_by_agg_key; DROP INDEX events_by_business_id;"
                   "DROP INDEX events_business_by_day;" /* nor ltv's */
                   "ALTER TABLE events DROP COLUMN day; ALTER TABLE events DROP COLUMN platform;"
                   "ALTER TABLE events DROP COLUMN build; ALTER TABLE events DROP COLUMN os_version;"
                   "ALTER TABLE events DROP COLUMN custom_01; ALTER TABLE events DROP COLUMN custom_02;"
                   "ALTER TABLE events DROP COLUMN custom_03; ALTER TABLE events DROP COLUMN agg_key;"
                   "ALTER TABLE events DROP COLUMN agg_value; DELETE FROM ga_users; DELETE FROM ga_bits;"
                   "DELETE FROM ga_aggs; DELETE FROM ga_mark; PRAGMA user_version = 7;",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);

  open_stores(f);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, now), PS_OK);
  for (size_t i = 0; i < NQUESTIONS; i++) {
    ps_metric_result after;
    ask_event_question(f, &g, i, d0, now, &after);
    char what[64];
    snprintf(what, sizeof what, "%s (question %zu) after the upgrade", event_questions[i].metric, i);
    assert_same_answer(what, &before[i], &after);
    ps_metric_result_free(&after);
    ps_metric_result_free(&before[i]);
  }
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version),"
                                          " count(day), count(*) FROM events",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_true(sqlite3_column_int(st, 0) >= 8);
  assert_true(sqlite3_column_int(st, 1) > 0);
  assert_true(sqlite3_column_int(st, 1) < sqlite3_column_int(st, 2)); /* sdk_error: no user */
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* ---- state store: API token roles and the export log ---- */

static void api_tokens_keep_their_role(void **state) {
  fixture *f = *state;
  char viewer[65], admin[65], refused[65], role[PS_ROLE_MAX];
  unique_token_hash(viewer);
  unique_token_hash(admin);
  unique_token_hash(refused);
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, viewer, "v", "viewer"), PS_OK);
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, admin, "a", "admin"), PS_OK);
  memset(role, 'x', sizeof role);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, admin, role), PS_OK);
  assert_string_equal(role, "admin");
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, viewer, role), PS_OK);
  assert_string_equal(role, "viewer");
  /* Another role is refused and nothing is stored. */
  const char *const others[] = {"writer", "", "Admin", "administrator", NULL};
  for (size_t i = 0; i < sizeof others / sizeof *others; i++)
    assert_int_equal(f->s.state->ops->api_token_create(f->s.state, refused, "r", others[i]),
                     PS_EINVAL);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, refused, role), PS_ENOTFOUND);
  /* A taken hash stays as it was, whatever role the second create asks. */
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, viewer, "v2", "admin"),
                   PS_EEXIST);
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, admin, "a2", "admin"),
                   PS_EEXIST);
  reopen(f, f->options);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, viewer, role), PS_OK);
  assert_string_equal(role, "viewer");
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, admin, role), PS_OK);
  assert_string_equal(role, "admin");
}

static ps_export_object export_object(const char *target, int64_t game_id, const char *kind,
                                      const char *format, int64_t period_start_ms,
                                      const char *key, int64_t rows) {
  ps_export_object o = {.game_id = game_id, .period_start_ms = period_start_ms,
                        .period_ms = DAY, .rows = rows, .bytes = 100 * rows + 7,
                        .written_ms = period_start_ms + DAY + rows};
  snprintf(o.target, sizeof o.target, "%s", target);
  snprintf(o.kind, sizeof o.kind, "%s", kind);
  snprintf(o.format, sizeof o.format, "%s", format);
  snprintf(o.key, sizeof o.key, "%s", key);
  return o;
}

static void assert_export_found(fixture *f, const ps_export_object *want) {
  ps_export_object got;
  memset(&got, 0x55, sizeof got);
  assert_int_equal(f->s.state->ops->export_find(f->s.state, want->target, want->game_id,
                                                want->kind, want->format,
                                                want->period_start_ms, &got),
                   PS_OK);
  assert_string_equal(got.target, want->target);
  assert_true(got.game_id == want->game_id);
  assert_string_equal(got.kind, want->kind);
  assert_string_equal(got.format, want->format);
  assert_true(got.period_start_ms == want->period_start_ms);
  assert_true(got.period_ms == want->period_ms);
  assert_string_equal(got.key, want->key);
  assert_true(got.rows == want->rows);
  assert_true(got.bytes == want->bytes);
  assert_true(got.written_ms == want->written_ms);
}

static void assert_export_absent(fixture *f, const ps_export_object *o) {
  ps_export_object got;
  assert_int_equal(f->s.state->ops->export_find(f->s.state, o->target, o->game_id, o->kind,
                                                o->format, o->period_start_ms, &got),
                   PS_ENOTFOUND);
}

static void export_log_keeps_one_entry_per_object(void **state) {
  fixture *f = *state;
  char u[32], target[128], other_target[128];
  unique(u, sizeof u);
  snprintf(target, sizeof target, "s3://bucket/%s/raw", u);
  snprintf(other_target, sizeof other_target, "file:/tmp/%s", u);
  const int64_t day = 20300 * DAY;
  /* One object, and one that differs from it in each part of the identity. */
  ps_export_object objects[] = {
      export_object(target, 7, "events", "parquet", day, "events/7/a.parquet", 10),
      export_object(other_target, 7, "events", "parquet", day, "events/7/b.parquet", 11),
      export_object(target, 8, "events", "parquet", day, "events/8/c.parquet", 12),
      export_object(target, 7, "rejected", "parquet", day, "rejected/7/d.parquet", 13),
      export_object(target, 7, "events", "ndjson.gz", day, "events/7/e.ndjson.gz", 14),
      export_object(target, 7, "events", "parquet", day + DAY, "events/7/f.parquet", 15),
  };
  const size_t n = sizeof objects / sizeof *objects;
  for (size_t i = 0; i < n; i++) assert_export_absent(f, &objects[i]);
  assert_int_equal(f->s.state->ops->export_record(f->s.state, &objects[0]), PS_OK);
  assert_export_found(f, &objects[0]);
  for (size_t i = 1; i < n; i++) assert_export_absent(f, &objects[i]);
  for (size_t i = 1; i < n; i++)
    assert_int_equal(f->s.state->ops->export_record(f->s.state, &objects[i]), PS_OK);
  for (size_t i = 0; i < n; i++) assert_export_found(f, &objects[i]);

  /* Recording an identity again replaces its entry, and only its. */
  ps_export_object again = export_object(target, 7, "events", "parquet", day,
                                         "events/7/a-rewritten.parquet", 99);
  again.period_ms = HOUR;
  assert_int_equal(f->s.state->ops->export_record(f->s.state, &again), PS_OK);
  assert_export_found(f, &again);
  for (size_t i = 1; i < n; i++) assert_export_found(f, &objects[i]);

  /* A field not terminated within its array is refused, and nothing is recorded. */
  ps_export_object unterminated = export_object(target, 9, "events", "parquet", day, "k", 1);
  memset(unterminated.key, 'k', sizeof unterminated.key);
  assert_int_equal(f->s.state->ops->export_record(f->s.state, &unterminated), PS_EINVAL);
  unterminated.key[0] = '\0';
  assert_export_absent(f, &unterminated);

  /* Durable. */
  reopen(f, f->options);
  assert_export_found(f, &again);
  for (size_t i = 1; i < n; i++) assert_export_found(f, &objects[i]);
}

/* A store of schema version 8 (api_tokens without roles, no export log) is upgraded in place:
 * its tokens are viewers, new tokens take a role and the export log is there. */
static void sqlite_a_version_8_database_gains_token_roles(void **state) {
  fixture *f = *state;
  if (!f->sqlite || !f->dir[0]) skip();
  char old[65], admin[65], role[PS_ROLE_MAX], sql[512];
  unique_token_hash(old);
  unique_token_hash(admin);
  ps_stores_close(&f->s);
  char path[300];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  snprintf(sql, sizeof sql,
           "DROP TABLE api_tokens; DROP TABLE export_log;"
           "CREATE TABLE api_tokens(token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL,"
           "  created_ms INTEGER NOT NULL);"
           "INSERT INTO api_tokens VALUES('%s', 'made at version 8', 1);"
           "PRAGMA user_version = 8;",
           old);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);

  open_stores(f);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, old, role), PS_OK);
  assert_string_equal(role, "viewer");
  assert_int_equal(f->s.state->ops->api_token_create(f->s.state, admin, "new", "admin"), PS_OK);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, admin, role), PS_OK);
  assert_string_equal(role, "admin");
  ps_export_object o = export_object("file:/tmp/v8", 1, "events", "parquet", DAY, "k", 1);
  assert_int_equal(f->s.state->ops->export_record(f->s.state, &o), PS_OK);
  assert_export_found(f, &o);
  /* Once upgraded, opening again changes nothing. */
  reopen(f, f->options);
  assert_int_equal(f->s.state->ops->api_token_check(f->s.state, old, role), PS_OK);
  assert_string_equal(role, "viewer");
  assert_export_found(f, &o);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT user_version FROM pragma_user_version", -1,
                                      &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_true(sqlite3_column_int(st, 0) >= 9);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* ---- the backend table (once, not per backend) ---- */

static void stores_open_knows_its_schemes(void **state) {
  (void)state;
  ps_stores s = {.state = (ps_state_store *)1, .events = (ps_event_store *)1};
  const char *why = NULL;
  assert_int_equal(ps_stores_open("nosuch:/tmp/x", NULL, NULL, &s, &why), PS_EINVAL);
  assert_non_null(why);
  assert_null(s.state);
  assert_null(s.events);
  why = NULL;
  assert_int_equal(ps_stores_open("sqlite:", NULL, NULL, &s, &why), PS_EINVAL);
  assert_non_null(why);
  assert_null(s.state);
  assert_null(s.events);
  assert_non_null(ps_state_backend("sqlite"));
  assert_non_null(ps_event_backend("sqlite"));
  assert_string_equal(ps_state_backend("sqlite")->name, "sqlite");
  assert_string_equal(ps_event_backend("sqlite")->name, "sqlite");
  assert_null(ps_state_backend("nosuch"));
  assert_null(ps_event_backend("nosuch"));
  /* ClickHouse holds events only, PostgreSQL state only: each needs the other half named. */
  assert_null(ps_state_backend("clickhouse"));
  assert_non_null(ps_event_backend("clickhouse"));
  assert_null(ps_event_backend("postgres"));
  assert_non_null(ps_state_backend("postgres"));
  why = NULL;
  assert_int_equal(ps_stores_open("clickhouse://127.0.0.1:1/db", NULL, NULL, &s, &why), PS_EINVAL);
  assert_non_null(strstr(why, "--state"));
  assert_null(s.events);
  why = NULL;
  assert_int_equal(ps_stores_open("postgres://127.0.0.1:1/db", NULL, NULL, &s, &why), PS_EINVAL);
  assert_non_null(why);
  assert_null(s.state);
  ps_stores_close(&s); /* closing nothing is fine */
  /* A table entry's callbacks are all there. */
  for (size_t i = 0; i < nbackends; i++) {
    char scheme[32];
    snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(backends[i], ":"), backends[i]);
    const ps_state_store_ops *st = ps_state_backend(scheme);
    const ps_event_store_ops *ev = ps_event_backend(scheme);
    assert_non_null(st);
    assert_non_null(ev);
    void (*const state_calls[])(void) = {
        (void (*)(void))st->open, (void (*)(void))st->close, (void (*)(void))st->game_create,
        (void (*)(void))st->game_list, (void (*)(void))st->game_find,
        (void (*)(void))st->api_token_create, (void (*)(void))st->api_token_check,
        (void (*)(void))st->service_account_create, (void (*)(void))st->service_account_find,
        (void (*)(void))st->service_account_list, (void (*)(void))st->service_account_delete,
        (void (*)(void))st->apply, (void (*)(void))st->msession_load,
        (void (*)(void))st->so_anonymity_load, (void (*)(void))st->so_anonymity_expire,
        (void (*)(void))st->export_record, (void (*)(void))st->export_find,
        (void (*)(void))st->msession_forget_player};
    void (*const event_calls[])(void) = {
        (void (*)(void))ev->open, (void (*)(void))ev->close, (void (*)(void))ev->append,
        (void (*)(void))ev->metric, (void (*)(void))ev->live, (void (*)(void))ev->so_session_get,
        (void (*)(void))ev->so_session_list, (void (*)(void))ev->so_expire,
        (void (*)(void))ev->scan, (void (*)(void))ev->forget_player,
        (void (*)(void))ev->drop_raw_before, (void (*)(void))ev->maintain};
    for (size_t k = 0; k < sizeof state_calls / sizeof *state_calls; k++)
      assert_non_null(state_calls[k]);
    for (size_t k = 0; k < sizeof event_calls / sizeof *event_calls; k++)
      assert_non_null(event_calls[k]);
  }
}

/* ---- state store: exchange rates and reporting currencies (money, issue 15) ---- */

typedef struct rates_seen {
  ps_rate rates[64];
  size_t n;
  int stop_after; /* > 0: the visit returns 7 at that rate */
} rates_seen;

static int see_rate(const ps_rate *rate, void *ctx) {
  rates_seen *got = ctx;
  if (got->n < 64) got->rates[got->n] = *rate;
  got->n++;
  return got->stop_after && (int)got->n == got->stop_after ? 7 : 0;
}

static void read_rates(fixture *f, int64_t from, int64_t to, rates_seen *got) {
  memset(got, 0, sizeof *got);
  assert_int_equal(f->s.state->ops->rates_read(f->s.state, from, to, see_rate, got), PS_OK);
}

static void assert_seen(const rates_seen *got, size_t i, int64_t day, const char *code,
                        double per_eur) {
  assert_true(i < got->n);
  assert_true(got->rates[i].day == day);
  assert_string_equal(got->rates[i].currency, code);
  assert_true(got->rates[i].per_eur == per_eur);
}

/* Rates are stored per (day, currency), replaced by a later load, read back by day then
 * currency within the range asked, all or nothing; a game's reporting currency is its own. */
static void rates_and_reporting_currencies_are_kept(void **state) {
  fixture *f = *state;
  const ps_state_store_ops *ops = f->s.state->ops;
  assert_non_null(ops->rates_put);
  assert_non_null(ops->rates_read);
  assert_non_null(ops->game_currency_set);
  assert_non_null(ops->game_currency_get);
  /* Sixteen days of this run and call's own (rates are the server's, not a game's; a shared
   * store keeps other runs' and other backends' of this run). */
  static int64_t calls;
  const int64_t base = 100000 + 16 * ((int64_t)(strtoul(run_id, NULL, 16) % 20000) * 8 + calls++);
  ps_rate first[] = {
      {base + 2, "USD", 1.25}, {base + 2, "JPY", 150.5}, {base, "USD", 1.5},
      {base + 5, "BRL", 6.125}, {base + 9, "USD", 2},
  };
  assert_int_equal(ops->rates_put(f->s.state, first, 5), PS_OK);
  rates_seen got;
  read_rates(f, base, base + 9, &got);
  assert_int_equal(got.n, 4);
  assert_seen(&got, 0, base, "USD", 1.5);
  assert_seen(&got, 1, base + 2, "JPY", 150.5);
  assert_seen(&got, 2, base + 2, "USD", 1.25);
  assert_seen(&got, 3, base + 5, "BRL", 6.125);

  /* Loading again replaces a (day, currency), the last of a repeat in one call winning. */
  ps_rate again[] = {{base + 2, "USD", 3}, {base + 2, "USD", 1.0625}, {base + 3, "GBP", 0.875}};
  assert_int_equal(ops->rates_put(f->s.state, again, 3), PS_OK);
  read_rates(f, base + 1, base + 4, &got);
  assert_int_equal(got.n, 3);
  assert_seen(&got, 0, base + 2, "JPY", 150.5);
  assert_seen(&got, 1, base + 2, "USD", 1.0625);
  assert_seen(&got, 2, base + 3, "GBP", 0.875);

  /* One bad rate: nothing of the call is stored. */
  ps_rate bad[][2] = {
      {{base + 4, "CHF", 0.9}, {base + 4, "EUR", 1}},
      {{base + 4, "CHF", 0.9}, {base + 4, "chf", 1}},
      {{base + 4, "CHF", 0.9}, {base + 4, "NOK", 0}},
      {{base + 4, "CHF", 0.9}, {base + 4, "NOK", -2}},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(ops->rates_put(f->s.state, bad[i], 2), PS_EINVAL);
  read_rates(f, base + 4, base + 5, &got);
  assert_int_equal(got.n, 0);
  assert_int_equal(ops->rates_put(f->s.state, NULL, 0), PS_OK);

  /* A visitor's non-zero return stops the visit and is returned. */
  memset(&got, 0, sizeof got);
  got.stop_after = 2;
  assert_int_equal(ops->rates_read(f->s.state, base, base + 10, see_rate, &got), 7);
  assert_int_equal(got.n, 2);

  /* Reporting currencies: none until set, then the last set, per game. */
  ps_game a = new_game(f), b = new_game(f);
  char code[4] = "xyz";
  assert_int_equal(ops->game_currency_get(f->s.state, a.id, code), PS_ENOTFOUND);
  assert_int_equal(ops->game_currency_set(f->s.state, a.id, "USD"), PS_OK);
  assert_int_equal(ops->game_currency_set(f->s.state, a.id, "EUR"), PS_OK);
  assert_int_equal(ops->game_currency_set(f->s.state, b.id, "JPY"), PS_OK);
  assert_int_equal(ops->game_currency_set(f->s.state, b.id, "yen"), PS_EINVAL);
  assert_int_equal(ops->game_currency_set(f->s.state, b.id, "EURO"), PS_EINVAL);
  assert_int_equal(ops->game_currency_get(f->s.state, a.id, code), PS_OK);
  assert_string_equal(code, "EUR");
  assert_int_equal(ops->game_currency_get(f->s.state, b.id, code), PS_OK);
  assert_string_equal(code, "JPY");

  /* Durable. */
  reopen(f, f->options);
  read_rates(f, base, base + 10, &got);
  assert_int_equal(got.n, 6);
  assert_seen(&got, 5, base + 9, "USD", 2);
  assert_int_equal(f->s.state->ops->game_currency_get(f->s.state, b.id, code), PS_OK);
  assert_string_equal(code, "JPY");
}

/* ---- the runs ---- */

#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest cases[] = {
    CASE(games_are_created_listed_and_found),
    CASE(api_tokens_are_checked_by_hash),
    CASE(service_accounts_are_created_found_listed_and_deleted),
    CASE(msession_state_follows_its_requests),
    CASE(so_anonymity_is_kept_per_session),
    CASE(apply_applies_only_the_kinds_asked),
    CASE(events_are_stored_once_per_game_and_uuid),
    CASE(resent_events_with_their_client_ts_are_stored_once),
    CASE(rejected_events_keep_the_newest),
    CASE(scan_visits_in_order_and_filters_by_category),
    CASE(msession_records_applied_twice_change_nothing),
    CASE(event_metrics_answer_a_known_data_set),
    CASE(playtime_metrics_answer_a_known_data_set),
    CASE(live_counts_what_is_played_now),
    CASE(maintain_brings_new_records_into_the_answers),
    CASE(facts_or_bodies_give_the_same_answers),
    CASE(so_session_get_merges_events_in_any_order),
    CASE(so_session_list_pages_against_a_snapshot),
    CASE(so_session_list_filters),
    CASE(so_session_list_snapshot_outlives_an_expiry),
    CASE(expiry_forgets_sessions_and_their_anonymity),
    CASE(sqlite_a_version_4_database_gains_service_accounts),
    CASE(sqlite_a_version_7_database_gains_event_digests),
    CASE(api_tokens_keep_their_role),
    CASE(export_log_keeps_one_entry_per_object),
    CASE(sqlite_a_version_8_database_gains_token_roles),
    CASE(msession_state_of_a_player_is_forgotten),
    CASE(rates_and_reporting_currencies_are_kept),
};

int main(void) {
  const struct CMUnitTest once[] = {cmocka_unit_test(stores_open_knows_its_schemes)};
  int failed = cmocka_run_group_tests_name("backend table", once, NULL, NULL);
  return failed + fixture_run("store conformance", cases, sizeof cases / sizeof *cases);
}
