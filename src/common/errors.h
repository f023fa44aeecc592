/*
 * errors.h: the one error-code table of playstat (server and tools).
 *
 * Every internal function that can fail returns 0 (PS_OK) on success or one of the negative
 * codes below; ps_strerror() names them. Codes are stable within a process only: they are
 * never written to disk or sent over the wire.
 */
#ifndef PS_COMMON_ERRORS_H
#define PS_COMMON_ERRORS_H

#define PS_ERRNO_MAP(X)                                                     \
  X(OK, 0, "success")                                                       \
  X(ENOMEM, -1, "out of memory")                                            \
  X(EINVAL, -2, "invalid argument")                                         \
  X(EIO, -3, "storage or input/output error")                               \
  X(ENOTFOUND, -4, "not found")                                             \
  X(EFULL, -5, "queue full, try again later")                               \
  X(ESHUTDOWN, -6, "shutting down")                                         \
  X(ETOOBIG, -7, "too large")                                               \
  X(EAUTH, -8, "authentication failed")                                     \
  X(EPARSE, -9, "malformed input")                                          \
  X(EEXIST, -10, "already exists")                                          \
  X(EUNSUPPORTED, -11, "unsupported")                                       \
  X(EEXPIRED, -12, "expired")

typedef enum {
#define PS_ERRNO_ENUM(name, value, text) PS_##name = value,
  PS_ERRNO_MAP(PS_ERRNO_ENUM)
#undef PS_ERRNO_ENUM
} ps_error;

/* Returns a static, human-readable description of code (never NULL). */
const char *ps_strerror(int code);

#endif
