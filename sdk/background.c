/* background.c: see background.h. */
#define _GNU_SOURCE
#include "sdk/background.h"

#include <pthread.h>
#include <sched.h>

int ps_sdk_background_thread(void) {
#ifdef SCHED_BATCH
  struct sched_param param = {.sched_priority = 0};
  return pthread_setschedparam(pthread_self(), SCHED_BATCH, &param) == 0 ? 0 : -1;
#else
  return -1;
#endif
}
