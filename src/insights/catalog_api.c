/*
 * catalog_api.c: the metric catalogue as the read API shows it, so that a dashboard (or a
 * studio's script) knows which filters each metric takes before it asks.
 *
 *   GET /api/v1/metrics
 *     -> {"metrics": [{"name", "source": "events" | "sessions" | "matchmaking",
 *                      "filters": [...], "combine": true | false, "group_by": [...],
 *                      "filters_with_group_by": true | false, "combine_per_user": true | false}]}
 *
 * filters: the dimensions and user attributes the metric takes as filters (ps_catalog_takes);
 * combine: whether it takes several of them at once (an analytics-event segment; metrics
 * sessions' platform and portal always combine); group_by: the dimensions it groups by ([]
 * for metrics that answer with groups of their own); filters_with_group_by: whether it takes
 * its filters (all of them at once when combine) and a group_by in one request, each group
 * then the filters and the group's value (ps_catalog_filters_with_group_by);
 * combine_per_user: whether its per-user form (funnel with window= or kind:id steps) takes
 * several event dimensions at once where combine says one. Any API token reads it.
 */
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "insights/catalog.h"
#include "insights/module.h"

static const char *source_name(ps_metric_source source) {
  switch (source) {
    case PS_SOURCE_EVENTS: return "events";
    case PS_SOURCE_PLAYTIME: return "sessions";
    case PS_SOURCE_MATCHMAKING: return "matchmaking";
  }
  return "";
}

/* Appends the names of list m takes (filters: takes) as a JSON array. */
static int put_names(ps_buf *b, const ps_catalog_metric *m, const char *const *const *lists,
                     size_t nlists, int filters) {
  int rc = ps_buf_append_str(b, "["), first = 1;
  for (size_t l = 0; rc == PS_OK && l < nlists; l++)
    for (const char *const *d = lists[l]; rc == PS_OK && *d; d++) {
      if (filters ? !ps_catalog_takes(m, *d) : !(m->flags & PS_METRIC_GROUPABLE)) continue;
      rc = ps_buf_append_str(b, first ? "" : ",");
      if (rc == PS_OK) rc = ps_buf_append_json_string(b, *d, strlen(*d));
      first = 0;
    }
  return rc == PS_OK ? ps_buf_append_str(b, "]") : rc;
}

void ps_insights_catalog_handler(ps_request *req, ps_app *app) {
  if (ps_insights_authorize(req, app)) return;
  size_t n;
  const ps_catalog_metric *all = ps_catalog_all(&n);
  ps_buf b = {0};
  int rc = ps_buf_append_str(&b, "{\"metrics\":[");
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    const ps_catalog_metric *m = &all[i];
    const char *const *dims = ps_catalog_dimensions(m->source);
    const char *const *filters[] = {dims, ps_catalog_user_attributes()};
    int combine = m->source == PS_SOURCE_PLAYTIME || (m->flags & PS_METRIC_SEGMENTS);
    rc = ps_buf_printf(&b, "%s{\"name\":\"%s\",\"source\":\"%s\",\"filters\":", i ? "," : "",
                       m->name, source_name(m->source));
    if (rc == PS_OK) rc = put_names(&b, m, filters, 2, 1); /* ps_catalog_takes says which */
    if (rc == PS_OK)
      rc = ps_buf_printf(&b, ",\"combine\":%s,\"group_by\":",
                         combine && m->source != PS_SOURCE_MATCHMAKING ? "true" : "false");
    if (rc == PS_OK) rc = put_names(&b, m, &dims, 1, 0);
    if (rc == PS_OK)
      rc = ps_buf_printf(&b, ",\"filters_with_group_by\":%s,\"combine_per_user\":%s}",
                         ps_catalog_filters_with_group_by(m) ? "true" : "false",
                         m->flags & PS_METRIC_SEGMENTS_PER_USER ? "true" : "false");
  }
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "]}");
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  ps_request_respond_error(req, 503, "unavailable", "out of memory, retry later");
}
