/* clock.h: wall-clock and monotonic time in the units the rest of playstat uses. */
#ifndef PS_COMMON_CLOCK_H
#define PS_COMMON_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (wall clock). */
int64_t ps_now_ms(void);
/* Monotonic nanoseconds, for measuring durations only. */
int64_t ps_monotonic_ns(void);

#endif
