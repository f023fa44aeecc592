/*
 * log.h: the library's log lines, delivered to the game's callback (playstat_config.log).
 *
 * The callback is never called with the handle's lock held (it may call back into the
 * library). Code that holds the lock writes its lines into a ps_sdk_notes on its stack and
 * hands them over with ps_sdk_notes_emit once it has unlocked.
 */
#ifndef PS_SDK_LOG_H
#define PS_SDK_LOG_H

#include "playstat.h"

#define PS_SDK_NOTES_MAX 8
#define PS_SDK_NOTE_LEN 400

/* 3 KiB: start one with `ps_sdk_notes notes; notes.count = 0;`, not an initializer, which
 * zeroes it whole (a store to 51 cache lines that showed in the cost of every event call). */
typedef struct ps_sdk_notes {
  playstat_log_level level[PS_SDK_NOTES_MAX];
  char text[PS_SDK_NOTES_MAX][PS_SDK_NOTE_LEN];
  int count; /* lines past PS_SDK_NOTES_MAX are dropped */
} ps_sdk_notes;

/* Logs one line now (the caller must not hold the handle's lock). */
void ps_sdk_log(const playstat_config *cfg, playstat_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps one line for later. */
void ps_sdk_note(const playstat_config *cfg, ps_sdk_notes *notes, playstat_log_level level,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Logs the kept lines and empties notes. */
void ps_sdk_notes_emit(const playstat_config *cfg, ps_sdk_notes *notes);

#endif
