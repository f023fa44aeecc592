/* body.h: request body decoding shared by the protocols (Content-Encoding). */
#ifndef PS_HTTP_BODY_H
#define PS_HTTP_BODY_H

#include <stddef.h>

#include "common/buf.h"

/* Inflates a gzip (or zlib) stream into out, stopping with PS_ETOOBIG as soon as the output
 * would exceed limit bytes (so a "zip bomb" costs at most limit bytes of memory). PS_EPARSE
 * for a corrupt or truncated stream; PS_ENOMEM. out is reset first. */
int ps_gunzip(const void *in, size_t len, size_t limit, ps_buf *out);

#endif
