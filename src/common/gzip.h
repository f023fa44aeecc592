/* gzip.h: gzip coding (zlib) shared by the server and its clients: the protocols inflate request
 * bodies (Content-Encoding: gzip), clients (playstat simulate, libplaystat, bench/loadgen)
 * compress them. Knows nothing of HTTP. */
#ifndef PS_COMMON_GZIP_H
#define PS_COMMON_GZIP_H

#include <stddef.h>

#include "common/buf.h"

/* Inflates a gzip (or zlib) stream into out, stopping with PS_ETOOBIG as soon as the output
 * would exceed limit bytes (so a "zip bomb" costs at most limit bytes of memory). PS_EPARSE
 * for a corrupt or truncated stream; PS_ENOMEM. out is reset first. */
int ps_gunzip(const void *in, size_t len, size_t limit, ps_buf *out);

/* Compresses in[0..len) into a gzip stream (RFC 1952) in out, which is reset first.
 * Returns 0 or PS_ENOMEM. */
int ps_gzip(const void *in, size_t len, ps_buf *out);

#endif
