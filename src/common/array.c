/* array.c: see array.h. */
#include "common/array.h"

#include <stdlib.h>

#include "common/errors.h"

int ps_array_reserve(void **items, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return PS_OK;
  size_t next = *cap ? *cap * 2 : 8;
  void *grown = realloc(*items, next * size);
  if (!grown) return PS_ENOMEM;
  *items = grown;
  *cap = next;
  return PS_OK;
}
