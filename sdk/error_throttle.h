/*
 * error_throttle.h: the limits on error events that keep a crashing loop from flooding the
 * collector (the seed's "more advanced" rule): at most PS_SDK_ERROR_TYPES_MAX error events per
 * launch, and at most one per message type. A type is the severity and the message's first
 * line (an exception's name and text, without its stack trace). Pure logic; the caller locks.
 */
#ifndef PS_SDK_ERROR_THROTTLE_H
#define PS_SDK_ERROR_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define PS_SDK_ERROR_TYPES_MAX 10

typedef struct ps_sdk_error_throttle {
  uint64_t seen[PS_SDK_ERROR_TYPES_MAX]; /* hashes of the admitted types */
  size_t count;
} ps_sdk_error_throttle;

/* 1 when an error event of this severity (0..4) and message may be recorded (and remembers its
 * type), 0 when it must be dropped. Call ps_sdk_error_throttle_forget when the event that was
 * admitted could not be stored after all, so that a later one of its type may go. */
int ps_sdk_error_throttle_admit(ps_sdk_error_throttle *t, int severity, const char *message);
void ps_sdk_error_throttle_forget(ps_sdk_error_throttle *t, int severity, const char *message);

#endif
