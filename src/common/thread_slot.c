/* thread_slot.c: see thread_slot.h. The key is made once under the slot's lock; the state is
 * read with acquire ordering so that a thread seeing 1 also sees the key. */
#include "common/thread_slot.h"

#include <stddef.h>

void *ps_thread_slot_get(ps_thread_slot *slot) {
  int state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
  if (state == 0) {
    pthread_mutex_lock(&slot->lock);
    state = slot->state;
    if (state == 0) {
      state = pthread_key_create(&slot->key, slot->destroy) == 0 ? 1 : -1;
      __atomic_store_n(&slot->state, state, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&slot->lock);
  }
  if (state < 0) return NULL;
  void *object = pthread_getspecific(slot->key);
  if (object) return object;
  if (!(object = slot->make())) return NULL;
  if (pthread_setspecific(slot->key, object) != 0) {
    slot->destroy(object);
    return NULL;
  }
  return object;
}
