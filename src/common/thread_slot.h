/*
 * thread_slot.h: one object per thread, made on the thread's first use and destroyed when the
 * thread exits (a pthread key with its destructor), for state that a hot path reuses call
 * after call: the kept HMAC keys (auth/hmac.c), the metrics-session decoder's buffers
 * (ingest/metrics/request.c).
 *
 *   static ps_thread_slot slot = PS_THREAD_SLOT_INIT(make, destroy);
 *   thing *t = ps_thread_slot_get(&slot);   (NULL: the caller does without)
 *
 * make returns a new object or NULL; destroy frees one (and is called at thread exit).
 */
#ifndef PS_COMMON_THREAD_SLOT_H
#define PS_COMMON_THREAD_SLOT_H

#include <pthread.h>

typedef struct ps_thread_slot {
  pthread_mutex_t lock; /* guards the key's creation */
  volatile int state;   /* 0: key not made yet; 1: made; -1: cannot be made */
  pthread_key_t key;
  void *(*make)(void);
  void (*destroy)(void *);
} ps_thread_slot;

#define PS_THREAD_SLOT_INIT(make_fn, destroy_fn) \
  {PTHREAD_MUTEX_INITIALIZER, 0, (pthread_key_t)0, (make_fn), (destroy_fn)}

/* The calling thread's object, made on first use; NULL when the key or the object cannot be
 * made (out of keys, out of memory). The object belongs to the thread: never free it. */
void *ps_thread_slot_get(ps_thread_slot *slot);

#endif
