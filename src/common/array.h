/*
 * array.h: growing a malloc'd array by doubling, for the many "append one more" loops.
 *
 *   if (PS_ARRAY_RESERVE(items, n, cap) != PS_OK) return PS_ENOMEM;
 *   items[n++] = value;
 *
 * On failure nothing changes (the old array stays valid and owned by the caller).
 */
#ifndef PS_COMMON_ARRAY_H
#define PS_COMMON_ARRAY_H

#include <stddef.h>

/* Room for at least n + 1 items of size bytes in *items (capacity *cap, first 8, then
 * doubling). Returns 0 or PS_ENOMEM. */
int ps_array_reserve(void **items, size_t *cap, size_t n, size_t size);

#define PS_ARRAY_RESERVE(items, n, cap) \
  ps_array_reserve((void **)&(items), &(cap), (n), sizeof *(items))

#endif
