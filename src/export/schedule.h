/*
 * schedule.h: the raw export of `playstat serve --export-url URL`: a thread that, every
 * minute, writes every game's closed periods (an hour or a day, closed delay_ms after its
 * end) that the export log (state.h) does not hold yet for that target, oldest first. So each
 * closed period is written once, a server that was down catches up from where the log ends
 * (from each game's creation the first time), and several nodes sharing one state store
 * write the same objects (a period written twice is replaced by identical bytes).
 */
#ifndef PS_EXPORT_SCHEDULE_H
#define PS_EXPORT_SCHEDULE_H

#include <stdint.h>

#include "store/store.h"

typedef struct ps_export_schedule_options {
  const char *url;   /* export/target.h */
  int64_t period_ms; /* PS_EXPORT_HOUR_MS or PS_EXPORT_DAY_MS */
  unsigned formats;  /* bits of ps_export_format */
  int64_t delay_ms;  /* a period is exported this long after its end */
  int64_t check_ms;  /* how often to look (0: one minute) */
} ps_export_schedule_options;

typedef struct ps_export_schedule ps_export_schedule;

/* Opens the target (a bad URL or missing credentials: PS_EINVAL with why) and starts the
 * thread, whose first run is at once. */
int ps_export_schedule_start(ps_stores stores, const ps_export_schedule_options *options,
                             ps_export_schedule **out, char *why, size_t why_cap);
/* Stops the thread (an object being written is finished first) and frees s; NULL: no-op. */
void ps_export_schedule_stop(ps_export_schedule *s);

#endif
