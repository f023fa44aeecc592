/*
 * matcher.c: see matcher.h. The arena is a bump allocator: PCRE2 frees only when the match
 * data and the context are freed, so arena blocks are never reused, only dropped at release.
 */
#include "schema/matcher.h"

#include <stdlib.h>

#define ARENA_ALIGN 16

static void *arena_malloc(PCRE2_SIZE size, void *data) {
  ps_matcher *m = data;
  size_t start = (m->used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (size <= sizeof m->arena && start <= sizeof m->arena - size) {
    m->used = start + size;
    return m->arena + start;
  }
  m->spills++;
  return malloc(size);
}

static void arena_free(void *block, void *data) {
  ps_matcher *m = data;
  unsigned char *p = block;
  if (p >= m->arena && p < m->arena + sizeof m->arena) return;
  free(block);
}

void ps_matcher_init(ps_matcher *m) {
  m->gctx = NULL;
  m->md = NULL;
  m->used = 0;
  m->spills = 0;
}

int ps_matcher_match(ps_matcher *m, const pcre2_code *re, const char *subject, size_t len) {
  if (!m->md) {
    if (!m->gctx) m->gctx = pcre2_general_context_create(arena_malloc, arena_free, m);
    if (!m->gctx) return PCRE2_ERROR_NOMEMORY;
    /* One pair: the validator asks only whether the pattern matches. */
    m->md = pcre2_match_data_create(1, m->gctx);
    if (!m->md) return PCRE2_ERROR_NOMEMORY;
  }
  int rc = pcre2_match(re, (PCRE2_SPTR)subject, len, 0, 0, m->md, NULL);
  if (rc >= 0) return 1;
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  return rc;
}

void ps_matcher_release(ps_matcher *m) {
  if (m->md) pcre2_match_data_free(m->md);
  if (m->gctx) pcre2_general_context_free(m->gctx);
  ps_matcher_init(m);
}
