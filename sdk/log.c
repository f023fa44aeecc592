/* log.c: see log.h. */
#include "sdk/log.h"

#include <stdarg.h>
#include <stdio.h>

void ps_sdk_log(const playstat_config *cfg, playstat_log_level level, const char *fmt, ...) {
  if (!cfg->log || level < cfg->log_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  cfg->log(cfg->log_ctx, level, line);
}

void ps_sdk_note(const playstat_config *cfg, ps_sdk_notes *notes, playstat_log_level level,
                 const char *fmt, ...) {
  if (!cfg->log || level < cfg->log_level || notes->count >= PS_SDK_NOTES_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(notes->text[notes->count], PS_SDK_NOTE_LEN, fmt, ap);
  va_end(ap);
  notes->level[notes->count++] = level;
}

void ps_sdk_notes_emit(const playstat_config *cfg, ps_sdk_notes *notes) {
  for (int i = 0; i < notes->count; i++) cfg->log(cfg->log_ctx, notes->level[i], notes->text[i]);
  notes->count = 0;
}
