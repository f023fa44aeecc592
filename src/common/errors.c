/* errors.c: names of the codes of errors.h. */
#include "common/errors.h"

const char *ps_strerror(int code) {
  switch (code) {
#define PS_ERRNO_CASE(name, value, text) \
  case value:                            \
    return text;
    PS_ERRNO_MAP(PS_ERRNO_CASE)
#undef PS_ERRNO_CASE
  }
  return "unknown error";
}
