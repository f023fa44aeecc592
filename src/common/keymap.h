/*
 * keymap.h: an intrusive chained hash map keyed by (scope, name): a number and a string, such
 * as (game id, session id) or (0, game key). The caller's struct embeds a ps_keymap_entry and
 * owns its memory; the map only links entries. Not thread-safe: callers hold their own lock.
 */
#ifndef PS_COMMON_KEYMAP_H
#define PS_COMMON_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_keymap_entry {
  int64_t scope;
  const char *name; /* points into the caller's struct; must not change while linked */
  struct ps_keymap_entry *next;
} ps_keymap_entry;

typedef struct ps_keymap {
  ps_keymap_entry **buckets;
  size_t nbuckets;
  size_t count; /* entries linked; the buckets double when it passes twice their number */
} ps_keymap;

/* Returns 0 or PS_ENOMEM. */
int ps_keymap_init(ps_keymap *map, size_t nbuckets);
/* Unlinks every entry, passing each to release (may be NULL), and frees the buckets. */
void ps_keymap_destroy(ps_keymap *map, void (*release)(ps_keymap_entry *entry));

ps_keymap_entry *ps_keymap_find(const ps_keymap *map, int64_t scope, const char *name);
/* Links entry (its scope and name set); the caller makes sure the key is not present. The map
 * grows as entries come (if that allocation fails it just stays at its size). */
void ps_keymap_insert(ps_keymap *map, ps_keymap_entry *entry);
/* Unlinks and returns the entry with that key, or NULL. */
ps_keymap_entry *ps_keymap_remove(ps_keymap *map, int64_t scope, const char *name);
/* Visits every entry; those for which visit returns nonzero are unlinked and given to release. */
void ps_keymap_sweep(ps_keymap *map, int (*visit)(ps_keymap_entry *entry, void *ctx), void *ctx,
                     void (*release)(ps_keymap_entry *entry));

/* The entry's enclosing struct (the entry must be its member `field`). */
#define ps_keymap_owner(entry, type, field) ((type *)(void *)((char *)(entry)-offsetof(type, field)))

#endif
