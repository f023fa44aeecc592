/*
 * matcher.h: runs the validator's PCRE2 patterns without touching the heap.
 *
 * PCRE2 needs a pcre2_match_data to match, and a match data is not safe to share between
 * threads. A ps_matcher lives on the caller's stack for one validation and builds its match
 * data (and the general context that allocates it) inside its own small arena, so matching
 * costs no malloc and needs no per-thread state. Should PCRE2 ask for more than the arena
 * holds (it does not with JIT-compiled patterns), the matcher falls back to malloc and frees
 * that memory in ps_matcher_release.
 */
#ifndef PS_SCHEMA_MATCHER_H
#define PS_SCHEMA_MATCHER_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

#define PS_MATCHER_ARENA 512

typedef struct ps_matcher {
  pcre2_general_context *gctx; /* NULL until the first match */
  pcre2_match_data *md;
  size_t used;   /* bytes of arena handed out */
  size_t spills; /* allocations the arena could not hold (served by malloc) */
  _Alignas(16) unsigned char arena[PS_MATCHER_ARENA];
} ps_matcher;

/* Prepares m for use; cannot fail. */
void ps_matcher_init(ps_matcher *m);

/*
 * Returns 1 when re matches the len bytes at subject (UTF-8, NUL bytes allowed), 0 when it
 * does not, or a negative PCRE2 error code (no memory, invalid UTF-8, a match limit).
 */
int ps_matcher_match(ps_matcher *m, const pcre2_code *re, const char *subject, size_t len);

/* Frees whatever m spilled to the heap; m may be initialised again afterwards. */
void ps_matcher_release(ps_matcher *m);

#endif
