/* json_doc_same.h: whether a json_doc node reads as a jansson value, for the differential
 * tests of json_doc (tests/unit/test_json_doc_diff.c, fuzz/fuzz_json_doc.c). */
#ifndef PS_TESTS_JSON_DOC_SAME_H
#define PS_TESTS_JSON_DOC_SAME_H

#include <jansson.h>
#include <string.h>

#include "common/json_doc.h"

/* Whether node v of d reads as jansson's value j: same type, value, members in the same order. */
static inline int ps_json_doc_same(const ps_json_doc *d, ps_json_ref v, const json_t *j) {
  switch (ps_json_type_of(d, v)) {
  case PS_JSON_NULL: return json_is_null(j);
  case PS_JSON_TRUE: return json_is_true(j);
  case PS_JSON_FALSE: return json_is_false(j);
  case PS_JSON_INTEGER: return json_is_integer(j) && ps_json_integer(d, v) == json_integer_value(j);
  case PS_JSON_REAL: {
    if (!json_is_real(j)) return 0;
    double a = ps_json_number(d, v), b = json_real_value(j);
    return memcmp(&a, &b, sizeof a) == 0; /* bit for bit: -0.0 is not 0.0 */
  }
  case PS_JSON_STRING: {
    size_t len;
    const char *s = ps_json_string(d, v, &len);
    return json_is_string(j) && len == json_string_length(j) &&
           memcmp(s, json_string_value(j), len) == 0;
  }
  case PS_JSON_ARRAY: {
    if (!json_is_array(j) || ps_json_size(d, v) != json_array_size(j)) return 0;
    size_t i = 0;
    for (ps_json_ref x = ps_json_first(d, v); x; x = ps_json_next(d, v, x))
      if (!ps_json_doc_same(d, x, json_array_get(j, i++))) return 0;
    return i == json_array_size(j);
  }
  case PS_JSON_OBJECT: {
    if (!json_is_object(j) || ps_json_size(d, v) != json_object_size(j)) return 0;
    void *it = json_object_iter((json_t *)j);
    size_t n = 0;
    for (ps_json_ref k = ps_json_member_first(d, v); k; k = ps_json_member_next(d, v, k), n++) {
      size_t len;
      const char *key = ps_json_string(d, k, &len);
      if (!it || json_object_iter_key_len(it) != len || memcmp(json_object_iter_key(it), key, len))
        return 0;
      if (!ps_json_doc_same(d, ps_json_member_value(d, k), json_object_iter_value(it))) return 0;
      /* lookup finds the same value as iteration */
      if (ps_json_get_n(d, v, key, len) != ps_json_member_value(d, k)) return 0;
      it = json_object_iter_next((json_t *)j, it);
    }
    return !it && n == json_object_size(j);
  }
  }
  return 0;
}

#endif
