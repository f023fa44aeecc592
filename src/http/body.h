/* body.h: request body coding shared by the protocols (Content-Encoding): the server inflates,
 * clients (playstat simulate) compress. */
#ifndef PS_HTTP_BODY_H
#define PS_HTTP_BODY_H

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
