/* export_rows.c: see export_rows.h. */
#include "export/export_rows.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define S PS_PQ_STRING
#define I PS_PQ_INT64
#define D PS_PQ_DOUBLE
#define B PS_PQ_BOOLEAN
#define T PS_PQ_TIMESTAMP_MS

/* Analytics events: the store's own columns, then one column per JSON member (same name;
 * client_ts, unix seconds in the event, becomes a timestamp), then the raw text. country: the
 * ISO code of the request's client address (`serve --geoip`), null when unknown. */
#define EVENT_STORE_COLUMNS 3 /* received_at, category, country */
static const ps_pq_column event_columns[] = {
    {"received_at", T, 0}, {"category", S, 0}, {"country", S, 1},
    /* the default annotations (schemas/shared.json) */
    {"event_uuid", S, 1}, {"user_id", S, 1}, {"session_id", S, 1}, {"session_num", I, 1},
    {"client_ts", T, 1}, {"v", I, 1}, {"platform", S, 1}, {"os_version", S, 1},
    {"sdk_version", S, 1}, {"engine_version", S, 1}, {"manufacturer", S, 1}, {"device", S, 1},
    {"build", S, 1}, {"connection_type", S, 1}, {"custom_01", S, 1}, {"custom_02", S, 1},
    {"custom_03", S, 1}, {"jailbroken", B, 1}, {"limit_ad_tracking", B, 1},
    {"logon_gamecenter", B, 1}, {"logon_googleplay", B, 1}, {"ios_idfa", S, 1},
    {"ios_idfv", S, 1}, {"google_aid", S, 1}, {"android_id", S, 1}, {"googleplus_id", S, 1},
    {"facebook_id", S, 1}, {"user_id_ext", S, 1}, {"browser_version", S, 1}, {"ab_id", S, 1},
    {"ab_variant_id", S, 1},
    /* the categories' fields: business, resource (amount: cents for business, the resource
     * amount otherwise), progression, design, error, session_end, ads, impression, sdk_error */
    {"event_id", S, 1}, {"amount", D, 1}, {"currency", S, 1}, {"cart_type", S, 1},
    {"transaction_num", I, 1}, {"attempt_num", I, 1}, {"score", I, 1}, {"value", D, 1},
    {"severity", S, 1}, {"message", S, 1}, {"length", I, 1}, {"ad_action", S, 1},
    {"ad_type", S, 1}, {"ad_sdk_name", S, 1}, {"ad_placement", S, 1},
    {"ad_fail_show_reason", S, 1}, {"ad_duration", I, 1}, {"ad_first", B, 1},
    {"ad_network_name", S, 1}, {"ad_network_version", S, 1}, {"error_category", S, 1},
    {"error_area", S, 1}, {"error_action", S, 1}, {"error_parameter", S, 1}, {"reason", S, 1},
    {"raw", S, 0}};
#define NEVENT (sizeof event_columns / sizeof *event_columns)

static const ps_pq_column rejected_columns[] = {
    {"received_at", T, 0}, {"category", S, 1}, {"event_index", I, 0}, {"errors", S, 0},
    {"raw", S, 0}};

static const ps_pq_column msession_columns[] = {
    {"session_id", S, 0},  {"player", S, 0},      {"platform", S, 0},
    {"portal", S, 0},      {"mod_ids", S, 0},     {"started_at", T, 0},
    {"last_at", T, 0},     {"ended_at", T, 1},    {"last_received_at", T, 0},
    {"length_ms", I, 0}};

static const ps_pq_column so_event_columns[] = {
    {"project_id", S, 0}, {"environment_id", S, 0}, {"session_id", S, 0},
    {"event_key", S, 0},  {"type", S, 0},           {"ts", T, 0},
    {"received_at", T, 0}, {"raw", S, 0}};

static const struct {
  const char *name;
  ps_scan_kind scan;
  const ps_pq_column *columns;
  size_t ncolumns;
} kinds[PS_EXPORT_NKINDS] = {
    [PS_EXPORT_EVENTS] = {"events", PS_SCAN_EVENTS, event_columns, NEVENT},
    [PS_EXPORT_REJECTED] = {"rejected", PS_SCAN_REJECTED, rejected_columns,
                            sizeof rejected_columns / sizeof *rejected_columns},
    [PS_EXPORT_MSESSIONS] = {"msessions", PS_SCAN_MSESSIONS, msession_columns,
                             sizeof msession_columns / sizeof *msession_columns},
    [PS_EXPORT_SO_EVENTS] = {"so_events", PS_SCAN_SO_EVENTS, so_event_columns,
                             sizeof so_event_columns / sizeof *so_event_columns},
};

/* The member columns of events (all but the store's own and raw) sorted by name, so that a
 * member finds its column by binary search: one pass over the event's members instead of a
 * lookup per column (which was a fifth of an export's time). */
static size_t member_columns[NEVENT];
static size_t nmember_columns;
static pthread_once_t member_columns_once = PTHREAD_ONCE_INIT;

static int by_column_name(const void *a, const void *b) {
  return strcmp(event_columns[*(const size_t *)a].name, event_columns[*(const size_t *)b].name);
}

static void sort_member_columns(void) {
  for (size_t c = EVENT_STORE_COLUMNS; c < NEVENT - 1; c++) member_columns[nmember_columns++] = c;
  qsort(member_columns, nmember_columns, sizeof *member_columns, by_column_name);
}

/* The column of member name (len bytes), or -1 when no column takes it. */
static long member_column(const char *name, size_t len) {
  size_t lo = 0, hi = nmember_columns;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const char *c = event_columns[member_columns[mid]].name;
    int cmp = strncmp(c, name, len);
    if (cmp == 0) cmp = c[len] ? 1 : 0; /* c longer than name: after it */
    if (cmp == 0) return (long)member_columns[mid];
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

const char *ps_export_kind_name(ps_export_kind kind) { return kinds[kind].name; }

int ps_export_kind_from_name(const char *name) {
  for (int k = 0; k < PS_EXPORT_NKINDS; k++)
    if (strcmp(kinds[k].name, name) == 0) return k;
  return -1;
}

ps_scan_kind ps_export_kind_scan(ps_export_kind kind) { return kinds[kind].scan; }

const ps_pq_column *ps_export_columns(ps_export_kind kind, size_t *n) {
  *n = kinds[kind].ncolumns;
  return kinds[kind].columns;
}

void ps_export_row_maker_init(ps_export_row_maker *m, ps_export_kind kind) {
  pthread_once(&member_columns_once, sort_member_columns);
  memset(m, 0, sizeof *m);
  m->kind = kind;
  ps_json_doc_init(&m->doc, PS_JSON_DOC_ALLOW_NUL);
}

void ps_export_row_maker_free(ps_export_row_maker *m) { ps_json_doc_free(&m->doc); }

static ps_pq_value text(const char *s, size_t len) {
  return (ps_pq_value){.s = s ? s : "", .len = s ? len : 0};
}
static ps_pq_value cstr(const char *s) { return text(s, s ? strlen(s) : 0); }
static ps_pq_value int64(int64_t i) { return (ps_pq_value){.i = i}; }
static const ps_pq_value null_value = {.is_null = 1};

/* The member's value as the column's type; null when absent or of another JSON type. */
static ps_pq_value member_value(const ps_json_doc *doc, ps_json_ref v, ps_pq_type type) {
  if (v == PS_JSON_NONE) return null_value;
  ps_json_type t = ps_json_type_of(doc, v);
  switch (type) {
    case PS_PQ_STRING:
      if (t == PS_JSON_STRING) {
        size_t len;
        const char *s = ps_json_string(doc, v, &len);
        return text(s, len);
      }
      break;
    case PS_PQ_INT64:
      if (t == PS_JSON_INTEGER) return int64(ps_json_integer(doc, v));
      break;
    case PS_PQ_TIMESTAMP_MS: /* client_ts: unix seconds */
      if (t == PS_JSON_INTEGER && ps_json_integer(doc, v) > INT64_MIN / 1000 &&
          ps_json_integer(doc, v) < INT64_MAX / 1000)
        return int64(ps_json_integer(doc, v) * 1000);
      break;
    case PS_PQ_DOUBLE:
      if (t == PS_JSON_INTEGER || t == PS_JSON_REAL)
        return (ps_pq_value){.d = ps_json_number(doc, v)};
      break;
    case PS_PQ_BOOLEAN:
      if (t == PS_JSON_TRUE || t == PS_JSON_FALSE) return int64(t == PS_JSON_TRUE);
      break;
  }
  return null_value;
}

static int event_row(ps_export_row_maker *m, const ps_stored_event *e, ps_pq_value *values) {
  values[0] = int64(e->received_ms);
  values[1] = cstr(e->category);
  values[2] = e->country ? cstr(e->country) : null_value;
  values[NEVENT - 1] = text(e->body, e->body_len);
  char err[128];
  int rc = ps_json_doc_parse(&m->doc, e->body, e->body_len, err, sizeof err);
  int object = rc == PS_OK && ps_json_type_of(&m->doc, 0) == PS_JSON_OBJECT;
  if (rc == PS_ENOMEM) return rc;
  for (size_t c = EVENT_STORE_COLUMNS; c < NEVENT - 1; c++) values[c] = null_value;
  if (!object) return PS_OK;
  for (ps_json_ref k = ps_json_member_first(&m->doc, 0); k != PS_JSON_NONE;
       k = ps_json_member_next(&m->doc, 0, k)) {
    size_t len;
    const char *name = ps_json_string(&m->doc, k, &len);
    long c = member_column(name, len);
    if (c >= 0)
      values[c] = member_value(&m->doc, ps_json_member_value(&m->doc, k), event_columns[c].type);
  }
  return PS_OK;
}

static int rejected_row(const ps_stored_event *e, ps_pq_value *values) {
  values[0] = int64(e->received_ms);
  values[1] = e->category ? cstr(e->category) : null_value;
  values[2] = int64(e->event_index);
  values[3] = cstr(e->errors_json ? e->errors_json : "[]");
  values[4] = text(e->body, e->body_len);
  return PS_OK;
}

static int msession_row(const ps_playtime_session *m, ps_pq_value *values) {
  values[0] = cstr(m->session_id);
  values[1] = cstr(m->player);
  values[2] = cstr(m->platform);
  values[3] = cstr(m->portal);
  values[4] = cstr(m->mod_ids);
  values[5] = int64(m->started_ms);
  values[6] = int64(m->last_ms);
  values[7] = m->ended_ms >= 0 ? int64(m->ended_ms) : null_value;
  values[8] = int64(m->last_received_ms);
  values[9] = int64((m->ended_ms >= 0 ? m->ended_ms : m->last_ms) - m->started_ms);
  return PS_OK;
}

static int so_event_row(const ps_stored_so_event *e, ps_pq_value *values) {
  values[0] = cstr(e->project_id);
  values[1] = cstr(e->environment_id);
  values[2] = cstr(e->session_id);
  values[3] = cstr(e->event_key);
  values[4] = cstr(e->type);
  values[5] = int64(e->ts_ms);
  values[6] = int64(e->received_ms);
  values[7] = text(e->body, e->body_len);
  return PS_OK;
}

int ps_export_row_make(ps_export_row_maker *m, const ps_scan_item *item, ps_pq_value *values) {
  switch (m->kind) {
    case PS_EXPORT_EVENTS: return event_row(m, item->event, values);
    case PS_EXPORT_REJECTED: return rejected_row(item->event, values);
    case PS_EXPORT_MSESSIONS: return msession_row(item->session, values);
    case PS_EXPORT_SO_EVENTS: return so_event_row(item->so_event, values);
    case PS_EXPORT_NKINDS: break;
  }
  return PS_EINVAL;
}
