/* embedded.h: the JSON files of schemas/ compiled into the binary (cmake/embed_schemas.cmake). */
#ifndef PS_SCHEMA_EMBEDDED_H
#define PS_SCHEMA_EMBEDDED_H

#include <stddef.h>

typedef struct ps_embedded_schema {
  const char *name; /* file name without ".json", e.g. "business" */
  const char *text; /* the file's bytes */
  size_t len;
} ps_embedded_schema;

extern const ps_embedded_schema ps_embedded_schemas[];
extern const size_t ps_embedded_schema_count;

#endif
