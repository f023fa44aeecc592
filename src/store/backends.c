/* backends.c: the table of store backends, chosen by name (`--store`). */
#include <string.h>

#include "store/store.h"

extern const ps_store_ops ps_sqlite_store_ops;

static const ps_store_ops *const backends[] = {
    &ps_sqlite_store_ops,
};

const ps_store_ops *ps_store_backend(const char *name) {
  for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
    if (strcmp(backends[i]->name, name) == 0) return backends[i];
  return NULL;
}
