/*
 * batch.h: splits the body of POST /v2/{key}/events (a JSON array) into the exact bytes of
 * each element, so that every event can be parsed on its own and stored exactly as received.
 *
 * The scanner checks the array's structure (brackets, strings and escapes, commas); each
 * element's own grammar is left to the JSON parser that reads it.
 */
#ifndef PS_INGEST_GA_BATCH_H
#define PS_INGEST_GA_BATCH_H

#include <stddef.h>

typedef struct ps_json_slice {
  const char *text;
  size_t len;
} ps_json_slice;

/*
 * On success returns 0 and a malloc'd array of count slices (pointing into body; caller frees
 * the array). PS_EPARSE when body is not one JSON array (leading/trailing blanks allowed) or is
 * structurally broken; PS_ETOOBIG as soon as it finds more than max elements (0: no limit),
 * so that an array of many tiny elements costs no more than max slices; PS_ENOMEM. An empty
 * array gives count 0 and *slices NULL.
 */
int ps_json_array_split(const char *body, size_t len, size_t max, ps_json_slice **slices,
                        size_t *count);

#endif
