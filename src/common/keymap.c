/* keymap.c: see keymap.h. FNV-1a over the scope's bytes and the name. */
#include "common/keymap.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

static size_t bucket_of(const ps_keymap *map, int64_t scope, const char *name) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < 8; i++) h = (h ^ ((uint64_t)scope >> (8 * i) & 0xff)) * 1099511628211ULL;
  for (; *name; name++) h = (h ^ (unsigned char)*name) * 1099511628211ULL;
  return (size_t)(h % map->nbuckets);
}

int ps_keymap_init(ps_keymap *map, size_t nbuckets) {
  map->nbuckets = nbuckets ? nbuckets : 1;
  map->count = 0;
  map->buckets = calloc(map->nbuckets, sizeof *map->buckets);
  return map->buckets ? PS_OK : PS_ENOMEM;
}

static int release_all(ps_keymap_entry *entry, void *ctx) { return 1; }

void ps_keymap_destroy(ps_keymap *map, void (*release)(ps_keymap_entry *entry)) {
  if (!map->buckets) return;
  ps_keymap_sweep(map, release_all, NULL, release);
  free(map->buckets);
  map->buckets = NULL;
}

static ps_keymap_entry **slot_of(const ps_keymap *map, int64_t scope, const char *name) {
  ps_keymap_entry **p = &map->buckets[bucket_of(map, scope, name)];
  while (*p && ((*p)->scope != scope || strcmp((*p)->name, name) != 0)) p = &(*p)->next;
  return p;
}

ps_keymap_entry *ps_keymap_find(const ps_keymap *map, int64_t scope, const char *name) {
  return *slot_of(map, scope, name);
}

/* Doubles the buckets and relinks every entry; keeps the old ones when out of memory. */
static void grow(ps_keymap *map) {
  size_t n = map->nbuckets * 2;
  ps_keymap_entry **buckets = calloc(n, sizeof *buckets);
  if (!buckets) return;
  ps_keymap old = *map;
  map->buckets = buckets;
  map->nbuckets = n;
  for (size_t b = 0; b < old.nbuckets; b++) {
    for (ps_keymap_entry *e = old.buckets[b], *next; e; e = next) {
      next = e->next;
      ps_keymap_entry **head = &map->buckets[bucket_of(map, e->scope, e->name)];
      e->next = *head;
      *head = e;
    }
  }
  free(old.buckets);
}

void ps_keymap_insert(ps_keymap *map, ps_keymap_entry *entry) {
  if (map->count >= 2 * map->nbuckets) grow(map);
  ps_keymap_entry **head = &map->buckets[bucket_of(map, entry->scope, entry->name)];
  entry->next = *head;
  *head = entry;
  map->count++;
}

ps_keymap_entry *ps_keymap_remove(ps_keymap *map, int64_t scope, const char *name) {
  ps_keymap_entry **p = slot_of(map, scope, name), *found = *p;
  if (found) {
    *p = found->next;
    map->count--;
  }
  return found;
}

void ps_keymap_sweep(ps_keymap *map, int (*visit)(ps_keymap_entry *entry, void *ctx), void *ctx,
                     void (*release)(ps_keymap_entry *entry)) {
  for (size_t b = 0; b < map->nbuckets; b++) {
    for (ps_keymap_entry **p = &map->buckets[b]; *p;) {
      ps_keymap_entry *e = *p;
      if (visit(e, ctx)) {
        *p = e->next;
        map->count--;
        if (release) release(e);
      } else {
        p = &e->next;
      }
    }
  }
}
