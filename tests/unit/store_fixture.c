/* store_fixture.c: see store_fixture.h. */
#include "store_fixture.h"

/* ---- the backends every case runs against ---- */

const char *const backends[] = {
    "sqlite:{tmp}",
};
const size_t nbackends = sizeof backends / sizeof *backends;

const char *current_url;
int via_group_commit;
char run_id[9];
unsigned run_counter;
static unsigned case_counter;   /* "{case}" */

void open_stores(fixture *f) {
  const char *why = NULL;
  int rc = ps_stores_open(f->url, f->state_url[0] ? f->state_url : NULL, &f->options, &f->s, &why);
  if (rc != PS_OK) fail_msg("ps_stores_open(%s): %s (%s)", f->url, ps_strerror(rc), why ? why : "");
  assert_non_null(f->s.state);
  assert_non_null(f->s.events);
}

void reopen(fixture *f, ps_store_options options) {
  ps_stores_close(&f->s);
  assert_null(f->s.state);
  assert_null(f->s.events);
  f->options = options;
  open_stores(f);
}

/* out = the len bytes of url with each "{tmp}" replaced by dir and each "{case}" by name. */
static void with_tmp(char *out, size_t cap, const char *url, size_t len, const char *dir,
                     const char *name) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < cap;) {
    if (len - i >= 5 && strncmp(url + i, "{tmp}", 5) == 0) {
      o += (size_t)snprintf(out + o, cap - o, "%s", dir);
      if (o >= cap) o = cap - 1;
      i += 5;
    } else if (len - i >= 6 && strncmp(url + i, "{case}", 6) == 0) {
      o += (size_t)snprintf(out + o, cap - o, "%s", name);
      if (o >= cap) o = cap - 1;
      i += 6;
    } else {
      out[o++] = url[i++];
    }
  }
  out[o] = '\0';
}

int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  if (strstr(current_url, "{tmp}")) {
    snprintf(f->dir, sizeof f->dir, "/tmp/playstat-conformance-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
  }
  const char *bar = strchr(current_url, '|');
  size_t events_len = bar ? (size_t)(bar - current_url) : strlen(current_url);
  char name[32]; /* unique to the case and run: a fresh database of a server ("{case}") */
  snprintf(name, sizeof name, "c%s_%u", run_id, ++case_counter);
  with_tmp(f->url, sizeof f->url, current_url, events_len, f->dir, name);
  if (bar) with_tmp(f->state_url, sizeof f->state_url, bar + 1, strlen(bar + 1), f->dir, name);
  char events_url[1024];
  snprintf(events_url, sizeof events_url, "%.*s", (int)events_len, current_url);
  f->sqlite = !bar && (strncmp(events_url, "sqlite:", 7) == 0 || !strchr(events_url, ':'));
  const char *state_url = bar ? bar + 1 : events_url;
  f->fresh_state = strstr(state_url, "{tmp}") || strstr(state_url, "{case}");
  open_stores(f);
  *state = f;
  return 0;
}

int teardown(void **state) {
  fixture *f = *state;
  ps_stores_close(&f->s);
  int rc = 0;
  if (f->dir[0]) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    rc = system(cmd);
  }
  free(f);
  return rc;
}

void unique(char *out, size_t cap) {
  snprintf(out, cap, "%s-%u", run_id, ++run_counter);
}

/* ---- records ---- */

ps_game new_game(fixture *f) {
  ps_game g = {0};
  unsigned n = ++run_counter;
  snprintf(g.name, sizeof g.name, "game %s %u", run_id, n);
  snprintf(g.project_id, sizeof g.project_id, "%s-%04x-4000-8000-%012u", run_id, n & 0xffff, n);
  snprintf(g.game_key, sizeof g.game_key, "%s%024u", run_id, n);
  snprintf(g.secret_key, sizeof g.secret_key, "%040u", n);
  snprintf(g.metrics_key, sizeof g.metrics_key, "%s-0000-4000-8000-%012u", run_id, n);
  snprintf(g.token_secret, sizeof g.token_secret, "%064u", n);
  assert_int_equal(f->s.state->ops->game_create(f->s.state, &g), PS_OK);
  assert_true(g.id > 0);
  return g;
}

void store_records(fixture *f, ps_record *records, size_t n) {
  ps_record_span span = {records, n};
  if (via_group_commit) {
    assert_int_equal(ps_stores_commit(&f->s, &span, 1), PS_OK);
    return;
  }
  assert_int_equal(f->s.state->ops->apply(f->s.state, &span, 1, NAMING), PS_OK);
  assert_int_equal(f->s.events->ops->append(f->s.events, &span, 1), PS_OK);
  assert_int_equal(f->s.state->ops->apply(f->s.state, &span, 1, REFUSING), PS_OK);
}

/* The facts of the bodies of event() below: none of the members they would name. */
static const ps_event_facts no_facts;

ps_record event(int64_t game, const char *uuid, const char *category, const char *body) {
  return (ps_record){.kind = PS_RECORD_EVENT, .game_id = game, .category = category,
                     .event_uuid = uuid, .body = body, .body_len = strlen(body),
                     .facts = &no_facts, .received_ms = 1700000000000LL};
}

int seen_visit(const ps_scan_item *item, void *ctx) {
  seen *s = ctx;
  assert_non_null(item->event);
  if (s->n < 32) {
    const ps_stored_event *e = item->event;
    snprintf(s->body[s->n], sizeof s->body[0], "%.*s", (int)e->body_len, e->body);
    snprintf(s->category[s->n], sizeof s->category[0], "%s", e->category ? e->category : "");
    snprintf(s->errors[s->n], sizeof s->errors[0], "%s", e->errors_json ? e->errors_json : "");
    snprintf(s->country[s->n], sizeof s->country[0], "%s", e->country ? e->country : "(null)");
    s->received_ms[s->n] = e->received_ms;
    s->game_id[s->n] = e->game_id;
    s->event_index[s->n] = e->event_index;
  }
  s->n++;
  return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

seen scan_range(fixture *f, ps_scan_kind kind, int64_t game, const char *category,
                int64_t from_ms, int64_t to_ms) {
  seen s = {0};
  ps_scan_query q = {.kind = kind, .game_id = game, .category = category, .from_ms = from_ms,
                     .to_ms = to_ms};
  assert_int_equal(f->s.events->ops->scan(f->s.events, &q, seen_visit, &s), PS_OK);
  return s;
}

seen scan(fixture *f, ps_scan_kind kind, int64_t game, const char *category) {
  return scan_range(f, kind, game, category, 0, 0);
}

int count_events(fixture *f, int64_t game) { return scan(f, PS_SCAN_EVENTS, game, NULL).n; }

void assert_series(const char *what, const ps_metric_series *s, size_t n,
                   const double *expected, double total) {
  for (size_t i = 0; i < n; i++)
    if (s->values[i] < expected[i] - 1e-9 || s->values[i] > expected[i] + 1e-9)
      fail_msg("%s: bucket %zu is %g, expected %g", what, i, s->values[i], expected[i]);
  if (s->total < total - 1e-9 || s->total > total + 1e-9)
    fail_msg("%s: total is %g, expected %g", what, s->total, total);
}

const ps_metric_series *group_of(const ps_metric_result *r, const char *key) {
  for (size_t i = 0; i < r->ngroups; i++)
    if (strcmp(r->groups[i].key, key) == 0) return &r->groups[i];
  fail_msg("no group %s", key);
  return NULL;
}

void check_metric(fixture *f, ps_metric_query q, size_t nbuckets, const double *expected,
                  double total, ps_metric_result *keep) {
  ps_metric_result r;
  int rc = f->s.events->ops->metric(f->s.events, &q, &r);
  if (rc != PS_OK) fail_msg("metric %s: %s", q.metric, ps_strerror(rc));
  assert_int_equal(r.nbuckets, nbuckets);
  assert_true(r.from_ms == q.from_ms);
  assert_true(r.interval_ms == q.interval_ms);
  char what[128];
  snprintf(what, sizeof what, "%s%s%s", q.metric, q.nfilters ? " filtered by " : "",
           q.nfilters ? q.filters[0].value : "");
  assert_series(what, &r.whole, nbuckets, expected, total);
  if (keep)
    *keep = r;
  else
    ps_metric_result_free(&r);
}
/* ---- event store: metric answers ---- */

/* Appends "name":"s" (JSON-escaped) to body. */
static void body_text(char *body, size_t cap, const char *name, const char *s) {
  size_t n = strlen(body);
  n += (size_t)snprintf(body + n, cap - n, ",\"%s\":\"", name);
  for (; *s && n + 3 < cap; s++) {
    if (*s == '"' || *s == '\\') body[n++] = '\\', body[n++] = *s;
    else if (*s == '\n') body[n++] = '\\', body[n++] = 'n';
    else body[n++] = *s;
  }
  snprintf(body + n, cap - n, "\"");
}

static void body_number(char *body, size_t cap, const char *name, double v) {
  size_t n = strlen(body);
  snprintf(body + n, cap - n, ",\"%s\":%.17g", name, v);
}

void ga_make_full(ga_event *e, int64_t game, const char *category, const char *user,
                         int64_t client_ts, const ps_event_facts *members, int float_ts) {
  ps_event_facts *f = &e->facts;
  *f = members ? *members : (ps_event_facts){0};
  if (!f->platform) f->platform = "ios";
  f->client_ts_is_integer = !float_ts;
  snprintf(e->session, sizeof e->session, "s-%s", user ? user : "none");
  snprintf(e->body, sizeof e->body, "{\"v\":2,\"category\":\"%s\"", category);
  const size_t cap = sizeof e->body;
  if (user) body_text(e->body, cap, "user_id", user);
  size_t n = strlen(e->body);
  snprintf(e->body + n, cap - n, float_ts ? ",\"client_ts\":%lld.5" : ",\"client_ts\":%lld",
           (long long)client_ts);
  body_text(e->body, cap, "session_id", e->session);
  const char *const dims[][2] = {{"platform", f->platform},   {"build", f->build},
                                 {"os_version", f->os_version}, {"custom_01", f->custom_01},
                                 {"custom_02", f->custom_02}, {"custom_03", f->custom_03},
                                 {"currency", f->currency},   {"event_id", f->event_id},
                                 {"severity", f->severity},   {"message", f->message},
                                 {"ad_action", f->ad_action}, {"ad_sdk_name", f->ad_sdk_name},
                                 {"ad_type", f->ad_type},     {"ad_placement", f->ad_placement}};
  for (size_t i = 0; i < sizeof dims / sizeof *dims; i++)
    if (dims[i][1]) body_text(e->body, cap, dims[i][0], dims[i][1]);
  if (f->has_amount) body_number(e->body, cap, "amount", (double)f->amount);
  if (f->has_length) body_number(e->body, cap, "length", (double)f->length);
  if (f->has_attempt_num) body_number(e->body, cap, "attempt_num", (double)f->attempt_num);
  if (f->has_value) body_number(e->body, cap, strcmp(category, "resource") ? "value" : "amount", f->value);
  n = strlen(e->body);
  snprintf(e->body + n, cap - n, "}");
  e->r = (ps_record){.kind = PS_RECORD_EVENT, .game_id = game, .category = category,
                     .body = e->body, .body_len = strlen(e->body), .user_id = user,
                     .session_id = e->session, .client_ts = client_ts, .has_client_ts = 1,
                     .facts = f,
                     .received_ms = (client_ts + (float_ts ? 2 * 86400 : 0)) * 1000 + 250};
}

void ga_make(ga_event *e, int64_t game, const char *category, const char *user,
                    int64_t client_ts, const ps_event_facts *members) {
  ga_make_full(e, game, category, user, client_ts, members, 0);
}
/* The events of one game of facts_or_bodies_give_the_same_answers: six users over three days,
 * events of every category with every member the rollups read (dimensions empty and absent, a
 * fractional client_ts, an error message of two lines, a progression id without a colon, a
 * payment without currency, an event without user), part 0 or the later part 1 (which brings
 * an earlier first `user` event of u2: the user moves between the "new" bitmaps). */
size_t ga_data_set_of(ga_event *e, int64_t game, int64_t d0, int part,
                      const char *const users[6]) {
  static const char *const numbered[] = {"u1", "u2", "u3", "u4", "u5", "u6"};
  if (!users) users = numbered;
  size_t n = 0;
  for (int k = 0; k < 6; k++) {
    for (int d = 0; d < 3; d++) {
      if ((k + d) % 3 == 0 || (part == 1) != (d == 2)) continue;
      const char *u = users[k];
      int64_t t = (d0 + d) * 86400 + 3600 * (k + 1);
      ps_event_facts dims = {.platform = k % 2 ? "ios" : "android", .build = k < 3 ? "1.0" : "1.1",
                             .os_version = k % 2 ? "ios 17.1" : "android 14",
                             .custom_01 = k % 3 == 0 ? "" : "ninja",
                             .custom_02 = k == 4 ? "gold" : NULL};
      ps_event_facts f = dims;
      ga_make(&e[n++], game, "user", u, t, &f);
      f = dims, f.length = 100 * k + d, f.has_length = 1;
      ga_make(&e[n++], game, "session_end", u, t + 600, &f);
      f = dims, f.event_id = "UI:Shop:Open", f.value = 1.25 * k, f.has_value = 1;
      ga_make(&e[n++], game, "design", u, t + 10, &f);
      f = dims, f.event_id = "UI:Shop:Close"; /* no value: counts 0 */
      ga_make(&e[n++], game, "design", u, t + 11, &f);
      f = dims, f.event_id = d % 2 ? "Complete:World1:Level1" : "Fail:World1:Level2";
      f.attempt_num = k + 1, f.has_attempt_num = 1;
      ga_make(&e[n++], game, "progression", u, t + 20, &f);
      f = dims, f.event_id = "Start:World1:Level1";
      ga_make(&e[n++], game, "progression", u, t + 21, &f);
      f = dims, f.event_id = "Nocolon";
      ga_make(&e[n++], game, "progression", u, t + 22, &f);
      f = dims, f.event_id = k % 2 ? "Sink:Gold:Loot:Chest" : "Source:Gems:IAP:Pack";
      f.value = 12.5 + k, f.has_value = 1;
      ga_make(&e[n++], game, "resource", u, t + 30, &f);
      f = dims, f.event_id = "Gems:g1", f.currency = k % 2 ? "USD" : "EUR";
      f.amount = 99 * (k + 1), f.has_amount = 1;
      ga_make(&e[n++], game, "business", u, t + 40, &f);
      f = dims, f.event_id = "Gems:g2", f.amount = 5, f.has_amount = 1; /* no currency */
      ga_make(&e[n++], game, "business", u, t + 41, &f);
      f = dims, f.severity = k % 2 ? "error" : "warning";
      f.message = k % 2 ? "NullReference at Shop.Open()\n  at Level.Update()" : "low memory";
      ga_make(&e[n++], game, "error", u, t + 50, &f);
      f = dims, f.severity = "critical"; /* no message: no key */
      ga_make(&e[n++], game, "error", u, t + 51, &f);
      f = dims, f.ad_action = "show", f.ad_sdk_name = "admob", f.ad_type = k % 2 ? "video" : "rewarded";
      f.ad_placement = k == 2 ? NULL : "end_of_level";
      ga_make(&e[n++], game, "ads", u, t + 60, &f);
      f = dims, f.event_id = "UI:Late", f.value = 3, f.has_value = 1;
      ga_make_full(&e[n++], game, "design", u, t + 70, &f, 1);
      ga_make(&e[n++], game, "sdk_error", NULL, t + 80, &dims);
    }
  }
  if (part == 1) { /* u2's first session, a day before the one stored first */
    ps_event_facts f = {.platform = "ios", .build = "1.0", .custom_01 = "ninja"};
    ga_make(&e[n++], game, "user", users[1], d0 * 86400 + 60, &f);
  }
  return n;
}

size_t ga_data_set(ga_event *e, int64_t game, int64_t d0, int part) {
  return ga_data_set_of(e, game, d0, part, NULL);
}

static int same_number(double a, double b) { return a == b || (a != a && b != b); }

static void assert_same_series(const char *what, const ps_metric_series *a,
                               const ps_metric_series *b, size_t n) {
  if (strcmp(a->key, b->key)) fail_msg("%s: group %s, the other %s", what, a->key, b->key);
  if (!same_number(a->total, b->total))
    fail_msg("%s %s: total %.17g, the other %.17g", what, a->key, a->total, b->total);
  for (size_t i = 0; i < n; i++)
    if (!same_number(a->values[i], b->values[i]))
      fail_msg("%s %s: bucket %zu %.17g, the other %.17g", what, a->key, i, a->values[i], b->values[i]);
}

void assert_same_answer(const char *what, const ps_metric_result *a, const ps_metric_result *b) {
  assert_int_equal(a->nbuckets, b->nbuckets);
  assert_int_equal(a->ngroups, b->ngroups);
  assert_same_series(what, &a->whole, &b->whole, a->nbuckets);
  for (size_t k = 0; k < a->ngroups; k++) assert_same_series(what, &a->groups[k], &b->groups[k], a->nbuckets);
}

const event_question event_questions[NQUESTIONS] = {
    {.metric = "dau"}, {.metric = "wau"}, {.metric = "mau"}, {.metric = "new_users"},
    {.metric = "sessions"}, {.metric = "avg_session_length"}, {.metric = "sessions_per_user"},
    {.metric = "revenue"}, {.metric = "paying_users"}, {.metric = "arpdau"}, {.metric = "arppu"},
    {.metric = "conversion"}, {.metric = "retention"},
    {.metric = "dau", .group_by = "platform"}, {.metric = "dau", .group_by = "custom_01"},
    {.metric = "new_users", .group_by = "build"}, {.metric = "revenue", .group_by = "os_version"},
    {.metric = "sessions", .dim = "custom_01", .value = "ninja"},
    {.metric = "dau", .dim = "custom_02", .value = "gold"},
    {.metric = "avg_session_length", .dim = "build", .value = "1.1"},
    {.metric = "retention", .dim = "platform", .value = "ios"},
    {.metric = "progression"}, {.metric = "progression", .measure = "starts"},
    {.metric = "progression", .measure = "fails"}, {.metric = "progression", .measure = "attempts"},
    {.metric = "progression", .prefix = "World1"},
    {.metric = "funnel", .steps = "World1:Level1,World1:Level2"},
    {.metric = "resources"}, {.metric = "resources", .by = "item_type"},
    {.metric = "resources", .by = "item_id", .measure = "count"},
    {.metric = "design"}, {.metric = "design", .measure = "sum"},
    {.metric = "design", .measure = "mean", .prefix = "UI"}, {.metric = "design", .measure = "min"},
    {.metric = "design", .measure = "max", .dim = "platform", .value = "android"},
    {.metric = "errors"}, {.metric = "errors", .by = "message"}, {.metric = "ads"},
    {.metric = "ads", .by = "network"}, {.metric = "ads", .by = "type"},
    {.metric = "ads", .by = "placement"},
};
_Static_assert(sizeof event_questions / sizeof *event_questions == NQUESTIONS,
               "NQUESTIONS counts event_questions");

void ask_event_question(fixture *f, const ps_game *g, size_t i, int64_t d0, int64_t now,
                        ps_metric_result *out) {
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = event_questions[i].metric,
                       .game_id = g->id, .project_id = g->project_id, .from_ms = d0 * DAY,
                       .to_ms = (d0 + 4) * DAY, .interval_ms = DAY, .now_ms = now,
                       .measure = event_questions[i].measure, .by = event_questions[i].by,
                       .prefix = event_questions[i].prefix, .steps = event_questions[i].steps,
                       .group_by = event_questions[i].group_by};
  if (event_questions[i].dim) {
    q.filters[0] = (ps_metric_filter){event_questions[i].dim, event_questions[i].value};
    q.nfilters = 1;
  }
  int rc = f->s.events->ops->metric(f->s.events, &q, out);
  if (rc != PS_OK) fail_msg("metric %s: %s", q.metric, ps_strerror(rc));
}

void store_data_set(fixture *f, const ps_game *games, const int *without_facts,
                    size_t ngames, int64_t d0, int64_t now) {
  enum { MAX = GA_DATA_SET_MAX };
  ga_event *e = calloc(MAX, sizeof *e);
  ps_record *r = calloc(MAX, sizeof *r);
  assert_non_null(e);
  assert_non_null(r);
  for (int part = 0; part < 2; part++) {
    for (size_t k = 0; k < ngames; k++) {
      size_t n = ga_data_set(e, games[k].id, d0, part);
      assert_true(n <= MAX);
      for (size_t i = 0; i < n; i++) {
        r[i] = e[i].r;
        if (without_facts[k]) r[i].facts = NULL;
      }
      store_records(f, r, n);
    }
    assert_int_equal(f->s.events->ops->maintain(f->s.events, now), PS_OK);
  }
  free(r);
  free(e);
}
int files_hold(const char *dir, const char *text) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "grep -rqaF '%s' '%s'", text, dir);
  return system(cmd) == 0;
}

/* ---- the runs ---- */

int fixture_run(const char *suite, const struct CMUnitTest *cases, size_t ncases) {
  const char *urls[MAX_BACKENDS];
  size_t n = 0;
  for (size_t i = 0; i < nbackends; i++) urls[n++] = backends[i];
  static char extra[4096];
  const char *env = getenv("PLAYSTAT_TEST_STORES");
  snprintf(extra, sizeof extra, "%s", env ? env : "");
  for (char *save = NULL, *u = strtok_r(extra, " \t\n", &save); u && n < MAX_BACKENDS;
       u = strtok_r(NULL, " \t\n", &save))
    urls[n++] = u;
  snprintf(run_id, sizeof run_id, "%08x",
           (unsigned)(time(NULL) * 2654435761u) ^ (unsigned)getpid() * 40503u);
  int failed = 0;
  for (size_t i = 0; i < n; i++) {
    current_url = urls[i];
    for (via_group_commit = 0; via_group_commit < 2; via_group_commit++) {
      char name[1100];
      snprintf(name, sizeof name, "%s (%s)", urls[i],
               via_group_commit ? "group commit" : "interfaces in order");
      print_message("%s: %s\n", suite, name);
      failed += _cmocka_run_group_tests(name, cases, ncases, NULL, NULL);
    }
  }
  return failed;
}
