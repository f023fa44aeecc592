/* modio_error.c: see modio_error.h. */
#include "ingest/metrics/modio_error.h"

#include <string.h>

#include "common/buf.h"
#include "common/errors.h"

void ps_modio_respond_error(ps_request *req, unsigned status, int error_ref, const char *message,
                            const ps_field_errors *errors, unsigned retry_after_s) {
  ps_buf b = {0};
  int rc = ps_buf_printf(&b, "{\"error\":{\"code\":%u,\"error_ref\":%d,\"message\":", status,
                         error_ref);
  if (rc == PS_OK) rc = ps_buf_append_json_string(&b, message, strlen(message));
  if (rc == PS_OK && errors && errors->count) {
    rc = ps_buf_append_str(&b, ",\"errors\":{");
    for (size_t i = 0; rc == PS_OK && i < errors->count; i++) {
      if (i) rc = ps_buf_append_str(&b, ",");
      if (rc == PS_OK)
        rc = ps_buf_append_json_string(&b, errors->items[i].field, strlen(errors->items[i].field));
      if (rc == PS_OK) rc = ps_buf_append_str(&b, ":");
      if (rc == PS_OK)
        rc = ps_buf_append_json_string(&b, errors->items[i].message,
                                       strlen(errors->items[i].message));
    }
    if (rc == PS_OK) rc = ps_buf_append_str(&b, "}");
  }
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "}}");
  if (rc != PS_OK) {
    ps_buf_free(&b);
    ps_request_respond_json(req, 503, "{\"error\":{\"code\":503,\"error_ref\":29100,"
                                      "\"message\":\"out of memory\"}}");
    return;
  }
  size_t len = b.len;
  ps_request_respond_owned(req, status, "application/json", ps_buf_steal(&b), len, retry_after_s);
}
