/* field_check.c: see field_check.h. Reads the set's compiled rules (src/schema/rules.h)
 * without changing them; what each rule accepts is decided as validator.c decides it. */
#include "sdk/field_check.h"

#include <math.h>
#include <string.h>

#include "common/utf8.h"
#include "schema/rules.h"
#include "sdk/hot.h"

void ps_sdk_field_checker_init(ps_sdk_field_checker *c) {
  ps_matcher_init(&c->matcher);
  memset(c->memo, 0, sizeof c->memo);
}

void ps_sdk_field_checker_release(ps_sdk_field_checker *c) { ps_matcher_release(&c->matcher); }

PS_SDK_HOT static const ps_schema *schema_of(const ps_schema_set *set, const char *category) {
  size_t lo = 0, hi = set->ncategories;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(category, set->categories[mid]->id);
    if (cmp == 0) return set->categories[mid];
    if (cmp < 0) hi = mid;
    else lo = mid + 1;
  }
  return NULL;
}

PS_SDK_HOT static uint32_t hash_of(const void *rule, const char *s, size_t len) {
  uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)rule >> 4);
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int slot_holds(const ps_sdk_memo_slot *slot, const ps_rule *r, uint32_t h, const char *s,
                      size_t len) {
  return slot->rule == r && slot->hash == h && slot->len == len && memcmp(slot->text, s, len) == 0;
}

/* Whether s matches r's pattern, from the memo or by running it (and remembering a match).
 * A string has two slots (two parts of its hash), so that two strings that share one slot
 * do not keep evicting each other: with one slot a game's few dozen event ids did, and ran
 * their pattern on every call (field_check.h). */
PS_SDK_HOT static int pattern_met(ps_sdk_field_checker *c, const ps_rule *r, const char *s, size_t len) {
  int memo = len <= PS_SDK_MEMO_TEXT;
  uint32_t h = memo ? hash_of(r, s, len) : 0;
  ps_sdk_memo_slot *first = &c->memo[h % PS_SDK_MEMO_SLOTS];
  ps_sdk_memo_slot *second = &c->memo[(h / PS_SDK_MEMO_SLOTS) % PS_SDK_MEMO_SLOTS];
  if (memo && (slot_holds(first, r, h, s, len) || slot_holds(second, r, h, s, len))) return 1;
  if (ps_matcher_match(&c->matcher, r->pattern, s, len) != 1) return 0;
  if (memo) {
    ps_sdk_memo_slot *to = !first->rule ? first : !second->rule ? second : first;
    if (to->rule) { /* both taken: the one in the first moves to its own other slot */
      size_t here = (size_t)(to - c->memo), a = to->hash % PS_SDK_MEMO_SLOTS;
      size_t other = here == a ? (to->hash / PS_SDK_MEMO_SLOTS) % PS_SDK_MEMO_SLOTS : a;
      if (other != here) c->memo[other] = *to;
    }
    to->rule = r;
    to->hash = h;
    to->len = (uint8_t)len;
    memcpy(to->text, s, len);
  }
  return 1;
}

/* Code points of s, which a matched pattern (PCRE2_UTF) or valid_utf8 proved valid UTF-8. */
PS_SDK_HOT static size_t code_points(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

/* Whether s is valid UTF-8 as the JSON readers take it (shortest form, no surrogates). */
PS_SDK_HOT static int valid_utf8(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s, *end = p + len;
  while (p < end) {
    size_t n = ps_utf8_sequence(p, end);
    if (!n) return 0;
    p += n;
  }
  return 1;
}

/* Whether the validator accepts string s for r, proved here (0: cannot tell). */
PS_SDK_HOT static int string_ok(ps_sdk_field_checker *c, const ps_rule *r, const char *s, size_t len) {
  if (r->types && !(r->types & PS_T_STRING)) return 0;
  if (r->enum_values) return 0;
  if (r->pattern ? !pattern_met(c, r, s, len) : !valid_utf8(s, len)) return 0;
  return r->max_length < 0 || len <= (size_t)r->max_length ||
         code_points(s, len) <= (size_t)r->max_length;
}

/* Whether d (finite, of size under 2^53, as the text gives it) is below bound b, as the
 * validator compares: an integral d is a JSON integer in the text, compared exactly with an
 * integral bound; anything else by value. above: the same for "maximum". */
PS_SDK_HOT static int below(const ps_bound *b, double d) {
  return b->integral && ps_real_is_integral(d) ? (json_int_t)d < b->i : d < b->d;
}

PS_SDK_HOT static int above(const ps_bound *b, double d) {
  return b->integral && ps_real_is_integral(d) ? (json_int_t)d > b->i : d > b->d;
}

/* Whether the validator accepts the finite number d for r (0: cannot tell). The event text
 * gives an integral d of size under 2^53 as a JSON integer, any other d as a real (or an
 * integer field beyond 2^53 as its exact digits): either way "integer" accepts it exactly when
 * it is integral (rules.h, ps_type_ok). Bounds are decided only under 2^53, where d is the
 * text's value exactly. */
PS_SDK_HOT static int number_ok(const ps_rule *r, double d) {
  if (r->enum_values || r->pattern) return 0;
  if (r->minimum.set || r->maximum.set) {
    if (!(fabs(d) < 9007199254740992.0)) return 0;
    if ((r->minimum.set && below(&r->minimum, d)) || (r->maximum.set && above(&r->maximum, d)))
      return 0;
  }
  return !r->types || (r->types & PS_T_NUMBER) ||
         ((r->types & PS_T_INTEGER) && ps_real_is_integral(d));
}

PS_SDK_HOT int ps_sdk_fields_valid(ps_sdk_field_checker *c, const ps_schema_set *set, const char *category,
                        const ps_sdk_field *fields, size_t n) {
  const ps_schema *schema = set ? schema_of(set, category) : NULL;
  if (!schema) return 0;
  for (size_t i = 0; i < schema->nflat; i++) {
    const ps_rule *r = schema->flat[i];
    const ps_sdk_field *f = NULL;
    for (size_t k = 0; k < n && !f; k++)
      if (fields[k].name[0] == r->name[0] && strcmp(fields[k].name, r->name) == 0) f = &fields[k];
    if (!f) {
      if (r->required) return 0;
      continue;
    }
    if (f->s ? !string_ok(c, r, f->s, f->len) : !number_ok(r, f->d)) return 0;
  }
  return 1;
}
