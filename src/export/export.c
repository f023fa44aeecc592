/* export.c: see export.h. */
#include "export/export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/errors.h"

static void utc_date(int64_t ms, struct tm *out) {
  time_t t = (time_t)(ms / 1000);
  gmtime_r(&t, out);
}

/* The start of the period holding t (a floor, also before 1970). */
static int64_t period_start(int64_t t, int64_t period_ms) {
  return t - ((t % period_ms) + period_ms) % period_ms;
}

int64_t ps_export_closed_before(int64_t now_ms, int64_t period_ms, int64_t delay_ms) {
  return period_start(now_ms - delay_ms, period_ms);
}

int ps_export_object_key(int64_t game_id, ps_export_kind kind, ps_export_format format,
                         int64_t period_start_ms, int64_t period_ms, char *out, size_t cap) {
  struct tm tm;
  utc_date(period_start_ms, &tm);
  const char *name = ps_export_kind_name(kind);
  char hour[16] = "";
  if (period_ms < PS_EXPORT_DAY_MS) snprintf(hour, sizeof hour, "hour=%02d/", tm.tm_hour);
  int n = snprintf(out, cap, "%s/game_id=%lld/date=%04d-%02d-%02d/%s%s%s", name,
                   (long long)game_id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, hour, name,
                   ps_export_format_extension(format));
  return n > 0 && (size_t)n < cap ? PS_OK : PS_ETOOBIG;
}

typedef struct period_rows {
  ps_export_row_maker maker;
  ps_export_writer *writer;
  ps_pq_value *values;
} period_rows;

static int write_item(const ps_scan_item *item, void *ctx) {
  period_rows *p = ctx;
  int rc = ps_export_row_make(&p->maker, item, p->values);
  return rc == PS_OK ? ps_export_writer_row(p->writer, p->values) : rc;
}

/* Scans the period into the object; the writer is closed (or aborted) here. */
static int write_rows(const ps_export_job *job, ps_export_kind kind, ps_export_format format,
                      int64_t start_ms, ps_target_object *object, int64_t *rows) {
  size_t ncolumns;
  const ps_pq_column *columns = ps_export_columns(kind, &ncolumns);
  period_rows p = {.values = calloc(ncolumns, sizeof *p.values)};
  if (!p.values) return PS_ENOMEM;
  ps_export_row_maker_init(&p.maker, kind);
  int rc = ps_export_writer_open(format, columns, ncolumns, object, &p.writer);
  if (rc == PS_OK) {
    ps_scan_query q = {.kind = ps_export_kind_scan(kind), .game_id = job->game->id,
                       .from_ms = start_ms, .to_ms = start_ms + job->period_ms,
                       .project_id = job->game->project_id};
    ps_event_store *events = job->stores->events;
    rc = events->ops->scan(events, &q, write_item, &p);
    if (rc == PS_OK) {
      rc = ps_export_writer_close(p.writer, rows);
    } else {
      ps_export_writer_abort(p.writer);
    }
  }
  ps_export_row_maker_free(&p.maker);
  free(p.values);
  return rc;
}

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src); }

int ps_export_period(const ps_export_job *job, ps_export_kind kind, ps_export_format format,
                     int64_t period_start_ms, ps_export_object *written, char *why,
                     size_t cap) {
  ps_export_object o = {.game_id = job->game->id, .period_start_ms = period_start_ms,
                        .period_ms = job->period_ms};
  copy(o.target, sizeof o.target, ps_target_display(job->target));
  copy(o.kind, sizeof o.kind, ps_export_kind_name(kind));
  copy(o.format, sizeof o.format, ps_export_format_name(format));
  int rc = ps_export_object_key(job->game->id, kind, format, period_start_ms, job->period_ms,
                                o.key, sizeof o.key);
  if (rc != PS_OK) {
    snprintf(why, cap, "the object's key is too long");
    return rc;
  }
  ps_target_object *object = NULL;
  if ((rc = ps_target_begin(job->target, o.key, ps_export_format_content_type(format),
                            &object)) != PS_OK) {
    snprintf(why, cap, "cannot start %s: %s", o.key, ps_strerror(rc));
    return rc;
  }
  if ((rc = write_rows(job, kind, format, period_start_ms, object, &o.rows)) != PS_OK) {
    ps_target_abort(object);
    snprintf(why, cap, "cannot read or write the rows of %s: %s", o.key, ps_strerror(rc));
    return rc;
  }
  if ((rc = ps_target_commit(object, &o.bytes, why, cap)) != PS_OK) return rc;
  o.written_ms = ps_now_ms();
  ps_state_store *state = job->stores->state;
  if ((rc = state->ops->export_record(state, &o)) != PS_OK) {
    snprintf(why, cap, "%s was written but the export log could not record it: %s", o.key,
             ps_strerror(rc));
    return rc;
  }
  if (written) *written = o;
  return PS_OK;
}

int ps_export_range(const ps_export_job *job, int64_t from_ms, int64_t to_ms, int again,
                    ps_export_progress progress, void *ctx, char *why, size_t cap) {
  int64_t p = job->period_ms;
  if (from_ms < job->game->created_ms) from_ms = job->game->created_ms; /* nothing before */
  int64_t start = period_start(from_ms, p);
  ps_state_store *state = job->stores->state;
  const char *target = ps_target_display(job->target);
  for (; start < to_ms; start += p) {
    for (int k = 0; k < PS_EXPORT_NKINDS; k++) {
      if (!(job->kinds & (1u << k))) continue;
      for (int f = 0; f < PS_EXPORT_NFORMATS; f++) {
        if (!(job->formats & (1u << f))) continue;
        if (job->stop && *job->stop) {
          snprintf(why, cap, "stopped");
          return PS_ESHUTDOWN;
        }
        ps_export_object o;
        if (!again) {
          int found = state->ops->export_find(state, target, job->game->id,
                                              ps_export_kind_name(k), ps_export_format_name(f),
                                              start, &o);
          if (found == PS_OK && o.period_ms == p) {
            if (progress) progress(&o, 1, ctx);
            continue;
          }
          if (found != PS_OK && found != PS_ENOTFOUND) {
            snprintf(why, cap, "cannot read the export log: %s", ps_strerror(found));
            return found;
          }
        }
        int rc = ps_export_period(job, k, f, start, &o, why, cap);
        if (rc != PS_OK) return rc;
        if (progress) progress(&o, 0, ctx);
      }
    }
  }
  return PS_OK;
}
