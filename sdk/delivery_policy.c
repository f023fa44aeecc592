/* delivery_policy.c: see delivery_policy.h. */
#include "sdk/delivery_policy.h"


size_t ps_sdk_batch_fit(const size_t *lens, size_t n, size_t max_events, size_t max_bytes) {
  size_t bytes = 2; /* "[" and "]" */
  size_t k = 0;
  while (k < n && k < max_events) {
    size_t add = lens[k] + (k ? 1 : 0); /* "," between events */
    if (bytes + add > max_bytes) break;
    bytes += add;
    k++;
  }
  return k;
}

ps_sdk_answer ps_sdk_classify_answer(long status, size_t body_len) {
  if (body_len == 0) return PS_SDK_ANSWER_RETRY; /* no body: as if no answer came */
  if (status == 200) return PS_SDK_ANSWER_DELIVERED;
  if (status == 400) return PS_SDK_ANSWER_REJECTED;
  if (status == 413) return PS_SDK_ANSWER_TOO_LARGE;
  return PS_SDK_ANSWER_RETRY;
}

uint64_t ps_sdk_backoff_ms(unsigned attempt, uint64_t initial_ms, uint64_t cap_ms,
                           double random, uint64_t retry_after_s) {
  if (initial_ms == 0) initial_ms = 1;
  if (cap_ms < initial_ms) cap_ms = initial_ms;
  uint64_t delay = initial_ms;
  for (unsigned i = 1; i < attempt && delay < cap_ms; i++) delay *= 2;
  if (delay > cap_ms) delay = cap_ms;
  if (random < 0) random = 0;
  if (random >= 1) random = 0.999999;
  uint64_t wait = delay / 2 + (uint64_t)((double)(delay - delay / 2) * random);
  if (wait < retry_after_s * 1000) wait = retry_after_s * 1000;
  return wait;
}
