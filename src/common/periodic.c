/* periodic.c: see periodic.h. The wait is a timed condition wait, so stop wakes it at once. */
#include "common/periodic.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/errors.h"

struct ps_periodic {
  int64_t period_ms;
  void (*run)(void *ctx);
  void *ctx;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int stopping;
};

static void *periodic_main(void *arg) {
  ps_periodic *p = arg;
  pthread_mutex_lock(&p->lock);
  while (!p->stopping) {
    pthread_mutex_unlock(&p->lock);
    p->run(p->ctx);
    pthread_mutex_lock(&p->lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(p->period_ms / 1000);
    until.tv_nsec += (long)(p->period_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0) {
    }
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

int ps_periodic_start(int64_t period_ms, void (*run)(void *ctx), void *ctx, ps_periodic **out) {
  ps_periodic *p = calloc(1, sizeof *p);
  if (!p) return PS_ENOMEM;
  p->period_ms = period_ms;
  p->run = run;
  p->ctx = ctx;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  if (pthread_create(&p->thread, NULL, periodic_main, p) != 0) {
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
    return PS_ENOMEM;
  }
  *out = p;
  return PS_OK;
}

void ps_periodic_stop(ps_periodic *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  pthread_join(p->thread, NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  free(p);
}
