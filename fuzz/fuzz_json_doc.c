/*
 * fuzz_json_doc.c: libFuzzer target for src/common/json_doc.c, differential: on every input it
 * must agree with json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL), the parse the collector used
 * before: both refuse, or both accept and read the same values (types, numbers, strings byte for
 * byte, members in jansson's order with a duplicated key's last value). One allowed difference:
 * jansson takes a raw NUL byte for the end of its input in places ("1\0"); json_doc refuses a
 * NUL byte outside a string always. Each input is parsed into one document reused from the
 * previous input, as the collector reuses one per request, and parsed twice (the second parse
 * must not depend on what the first left behind).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/json_doc.h"
#include "../tests/unit/json_doc_same.h"

static ps_json_doc doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
    ready = 1;
  }
  const char *text = (const char *)data;
  char why[160];
  int rc = ps_json_doc_parse(&doc, text, size, why, sizeof why);
  int again = ps_json_doc_parse(&doc, text, size, why, sizeof why);
  if (rc != again) abort();
  json_t *theirs = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  int agree = theirs ? rc == PS_OK && ps_json_doc_same(&doc, 0, theirs) : rc == PS_EINVAL;
  if (!agree && !(theirs && rc == PS_EINVAL && memchr(data, 0, size))) abort();
  json_decref(theirs);
  return 0;
}
