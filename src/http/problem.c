/*
 * problem.c: RFC 7807 problem-details answers (see request.h), built on the one answer path of
 * server.c (ps_request_respond_owned) plus ps_request_add_header for WWW-Authenticate.
 *
 * Every string member is JSON-escaped; "instance" is the request path as routed (no query
 * string, which may carry secrets of other protocols). When memory runs out the answer is
 * still a problem document: a static 503.
 */
#include <microhttpd.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "http/request.h"

#define CONTENT_TYPE "application/problem+json"

/* Appends ,"name":<text as a JSON string>. */
static int append_member(ps_buf *b, const char *name, const char *text) {
  int rc = ps_buf_printf(b, ",\"%s\":", name);
  return rc == PS_OK ? ps_buf_append_json_string(b, text, strlen(text)) : rc;
}

void ps_request_respond_problem_with(ps_request *req, const ps_problem *p) {
  static const char out_of_memory[] =
      "{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503}";
  const char *title = p->title ? p->title : MHD_get_reason_phrase_for(p->status);
  const char *path = ps_request_path(req);
  ps_buf b = {0};
  int rc = ps_buf_append_str(&b, "{\"type\":");
  if (rc == PS_OK) {
    const char *type = p->type ? p->type : "about:blank";
    rc = ps_buf_append_json_string(&b, type, strlen(type));
  }
  if (rc == PS_OK) rc = append_member(&b, "title", title);
  if (rc == PS_OK) rc = ps_buf_printf(&b, ",\"status\":%u", p->status);
  if (rc == PS_OK && p->detail) rc = append_member(&b, "detail", p->detail);
  if (rc == PS_OK) rc = append_member(&b, "instance", path ? path : "");
  if (rc == PS_OK && p->details_json) rc = ps_buf_printf(&b, ",\"details\":%s", p->details_json);
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "}");
  if (rc == PS_OK && p->status == 401)
    rc = ps_request_add_header(req, "WWW-Authenticate", "Basic realm=\"playstat\"");
  if (rc != PS_OK) {
    ps_buf_free(&b);
    ps_request_respond(req, 503, CONTENT_TYPE, out_of_memory, sizeof out_of_memory - 1, 1);
    return;
  }
  size_t len = b.len;
  ps_request_respond_owned(req, p->status, CONTENT_TYPE, ps_buf_steal(&b), len,
                           p->status == 503 || p->status == 429 ? 1 : 0);
}

void ps_request_respond_problem(ps_request *req, unsigned status, const char *title,
                                const char *detail) {
  ps_problem p = {.status = status, .title = title, .detail = detail};
  ps_request_respond_problem_with(req, &p);
}
