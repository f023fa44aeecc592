/* gzip.c: see gzip.h. */
#include "common/gzip.h"

#include <zlib.h>

#include "common/errors.h"

int ps_gunzip(const void *in, size_t len, size_t limit, ps_buf *out) {
  z_stream zs = {0};
  int rc = PS_EPARSE;
  ps_buf_reset(out);
  if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return PS_ENOMEM; /* 32: gzip or zlib */
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)len;
  for (;;) {
    if (ps_buf_reserve(out, 64 * 1024) != PS_OK) {
      rc = PS_ENOMEM;
      goto out;
    }
    size_t room = out->cap - out->len - 1;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = (uInt)room;
    int z = inflate(&zs, Z_NO_FLUSH);
    out->len += room - zs.avail_out;
    out->data[out->len] = '\0';
    if (out->len > limit) {
      rc = PS_ETOOBIG;
      goto out;
    }
    if (z == Z_STREAM_END) {
      rc = zs.avail_in == 0 ? PS_OK : PS_EPARSE; /* trailing garbage */
      goto out;
    }
    if (z != Z_OK && z != Z_BUF_ERROR) goto out;
    if (z == Z_BUF_ERROR && zs.avail_in == 0) goto out; /* truncated */
  }
out:
  inflateEnd(&zs);
  return rc;
}

int ps_gzip(const void *in, size_t len, ps_buf *out) {
  z_stream zs = {0};
  int rc = PS_ENOMEM;
  ps_buf_reset(out);
  /* 16 + MAX_WBITS: a gzip header and trailer around the deflate stream. */
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    return PS_ENOMEM;
  size_t bound = deflateBound(&zs, (uLong)len);
  if (ps_buf_reserve(out, bound + 1) != PS_OK) goto out;
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)len;
  zs.next_out = (Bytef *)out->data;
  zs.avail_out = (uInt)bound;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) goto out;
  out->len = bound - zs.avail_out;
  out->data[out->len] = '\0';
  rc = PS_OK;
out:
  deflateEnd(&zs);
  return rc;
}
