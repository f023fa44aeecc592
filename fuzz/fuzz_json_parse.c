/*
 * fuzz_json_parse.c: libFuzzer target for src/common/json_parse.c, differential: on every input
 * it must agree with jansson's json_loadb (JSON_DECODE_ANY): both refuse, or both accept and
 * build equal values. Allowed differences: nesting beyond PS_JSON_MAX_DEPTH, and a NUL byte
 * after a top-level number or literal, which jansson takes for the end of its input ("1\0" is
 * accepted, "[1]\0" refused) and which this reader always refuses.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/json_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *ours = NULL;
  char why[160];
  int rc = ps_json_parse((const char *)data, size, 0, &ours, why, sizeof why);
  json_t *theirs = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
  if (rc == PS_OK ? !theirs || !json_equal(ours, theirs) : theirs != NULL) {
    size_t depth = 0, max = 0;
    for (size_t i = 0; i < size; i++) { /* brackets, roughly: enough to excuse deep inputs */
      if (data[i] == '[' || data[i] == '{') max = ++depth > max ? depth : max;
      else if ((data[i] == ']' || data[i] == '}') && depth) depth--;
    }
    int jansson_took_nul = theirs && rc != PS_OK && memchr(data, 0, size) != NULL;
    if (max <= PS_JSON_MAX_DEPTH && !jansson_took_nul) abort();
  }
  json_decref(ours);
  json_decref(theirs);
  return 0;
}
