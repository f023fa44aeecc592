/*
 * fuzz_events.c: libFuzzer target for the analytics ingest path's untrusted-input code: the
 * JSON array splitter (ingest/ga/batch.h) and, for every element it yields, the collector's JSON
 * reader (common/json_doc.h) and the schema validator (schema/validator.h) with the real
 * embedded schemas. It checks the
 * splitter's contract on every input: slices lie inside the body, in order, without overlap,
 * trimmed of blanks. Run with `make fuzz` (builds with clang, runs for FUZZ_SECONDS).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/json_doc.h"
#include "ingest/ga/batch.h"
#include "schema/validator.h"

static ps_schema_set *schemas;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!schemas) {
    char err[256];
    if (ps_schema_set_create_embedded(&schemas, err, sizeof err) != 0) abort();
  }
  const char *body = (const char *)data;
  ps_json_slice *slices = NULL;
  size_t count = 0;
  if (ps_json_array_split(body, size, 0, &slices, &count) != 0) return 0;
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  const char *previous_end = body;
  for (size_t i = 0; i < count; i++) {
    assert(slices[i].text >= previous_end && slices[i].len > 0);
    assert(slices[i].text + slices[i].len <= body + size);
    char first = slices[i].text[0], last = slices[i].text[slices[i].len - 1];
    assert(first != ' ' && first != '\n' && last != ' ' && last != '\n');
    previous_end = slices[i].text + slices[i].len;
    if (ps_json_doc_parse(&doc, slices[i].text, slices[i].len, NULL, 0) != 0) continue;
    ps_violations violations;
    const char *category = NULL;
    size_t n = ps_schema_validate_doc(schemas, &doc, 0, &violations, &category);
    assert(n == violations.count && n <= PS_MAX_VIOLATIONS);
  }
  ps_json_doc_free(&doc);
  free(slices);
  return 0;
}
