/* test_problem.c: RFC 7807 answers (http/request.h) and the service-account guard of route
 * handlers (auth/service_auth.h), through the real HTTP server on an ephemeral port: content
 * type, members, JSON escaping, WWW-Authenticate on 401, Retry-After on 503, CORS kept. And the
 * API-token guard (auth/api_token_auth.h), which answers in the read API's {"error",
 * "message"} format: 401 with WWW-Authenticate: Bearer, 403 for a viewer where admin is
 * needed, through for the role or admin. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "auth/api_token_auth.h"
#include "auth/service_auth.h"
#include "common/errors.h"
#include "store/store.h"
#include "app/app.h"
#include "http/server.h"

#define PROJECT "11111111-1111-4111-8111-111111111111"
#define KEY_ID "aaaaaaaa-0000-4000-8000-000000000001"
#define SECRET "s3cr3t:with:colons"

/* ---- the server under test ---- */

static void problem_handler(ps_request *req, ps_app *app) {
  const char *kind = ps_request_param(req, 0);
  if (strcmp(kind, "plain") == 0) {
    ps_request_respond_problem(req, 404, NULL, "no session has that id");
  } else if (strcmp(kind, "titled") == 0) {
    ps_request_respond_problem(req, 400, "Invalid event", "say \"hi\"\n\\ \xc3\xa9 \x01");
  } else if (strcmp(kind, "unauthorized") == 0) {
    ps_request_respond_problem(req, 401, NULL, NULL); /* no detail */
  } else if (strcmp(kind, "unavailable") == 0) {
    ps_request_respond_problem(req, 503, NULL, "busy");
  } else {
    ps_problem p = {.status = 422,
                    .type = "https://playstat.dev/problems/invalid-event",
                    .title = "Invalid event",
                    .detail = "2 events are invalid",
                    .details_json = "[{\"field\":\"type\",\"message\":\"unknown\"}]"};
    ps_request_add_header(req, "X-Extra", "one");
    ps_request_respond_problem_with(req, &p);
  }
}

static void guarded_handler(ps_request *req, ps_app *app) {
  ps_service_account account;
  if (ps_service_auth_require(req, app->state, ps_request_param(req, 0),
                              PS_SERVICE_ROLE_VIEWER, &account) != 0)
    return;
  char body[128];
  snprintf(body, sizeof body, "{\"key_id\":\"%s\"}", account.key_id);
  ps_request_respond_json(req, 200, body);
}

/* Answers 200 to an API token with the role named by the path, else what the guard says. */
static void token_guarded_handler(ps_request *req, ps_app *app) {
  if (ps_api_token_auth_require(req, app->state, ps_request_param(req, 0)) != 0) return;
  ps_request_respond_json(req, 200, "{\"ok\":true}");
}

static const ps_route routes[] = {
    {"problem", "GET", "/problem/{}", problem_handler},
    {"guarded", "GET", "/projects/{}/sessions", guarded_handler},
    {"token_guarded", "GET", "/needs/{}", token_guarded_handler},
};

#define VIEWER_TOKEN "pst_viewer_token"
#define ADMIN_TOKEN "pst_admin_token"

static char dir[256];
static ps_app app;
static ps_stores stores;
static ps_server *server;

static int setup(void **state) {
  snprintf(dir, sizeof dir, "/tmp/playstat-problem-XXXXXX");
  assert_non_null(mkdtemp(dir));
  memset(&app, 0, sizeof app);
  const char *why;
  assert_int_equal(ps_stores_open(dir, NULL, NULL, &stores, &why), PS_OK);
  app.state = stores.state;
  app.events = stores.events;
  ps_service_account a = {.key_id = KEY_ID, .project_id = PROJECT, .role = "viewer"};
  ps_service_secret_hash(SECRET, strlen(SECRET), a.secret_sha256);
  assert_int_equal(app.state->ops->service_account_create(app.state, &a), PS_OK);
  char hash[65];
  ps_api_token_hash(VIEWER_TOKEN, hash);
  assert_int_equal(app.state->ops->api_token_create(app.state, hash, "v", PS_API_ROLE_VIEWER),
                   PS_OK);
  ps_api_token_hash(ADMIN_TOKEN, hash);
  assert_int_equal(app.state->ops->api_token_create(app.state, hash, "a", PS_API_ROLE_ADMIN),
                   PS_OK);
  ps_server_config config = {.listen = "127.0.0.1:0", .threads = 2};
  assert_int_equal(ps_server_start(&config, routes, sizeof routes / sizeof *routes, &app, NULL,
                                   &server),
                   PS_OK);
  return 0;
}

static int teardown(void **state) {
  ps_server_quiesce(server);
  ps_server_stop(server, 1000);
  ps_stores_close(&stores);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

/* ---- a minimal HTTP/1.1 client ---- */

typedef struct answer {
  int status;
  char head[4096]; /* status line and headers */
  json_t *body;    /* NULL when not JSON */
} answer;

static answer get(const char *path, const char *authorization) {
  answer a;
  memset(&a, 0, sizeof a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(ps_server_port(server))};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  char request[2048];
  int n = snprintf(request, sizeof request,
                   "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%s\r\n", path,
                   authorization ? "Authorization: " : "", authorization ? authorization : "",
                   authorization ? "\r\n" : "");
  assert_int_equal(write(fd, request, (size_t)n), n);
  static char raw[65536];
  size_t len = 0;
  ssize_t got;
  while ((got = read(fd, raw + len, sizeof raw - 1 - len)) > 0) len += (size_t)got;
  close(fd);
  raw[len] = '\0';
  char *end = strstr(raw, "\r\n\r\n");
  assert_non_null(end);
  size_t head_len = (size_t)(end - raw);
  assert_true(head_len < sizeof a.head);
  memcpy(a.head, raw, head_len);
  a.status = atoi(raw + 9);
  a.body = json_loads(end + 4, 0, NULL);
  return a;
}

/* The value of header name in a (case-insensitive), copied into out; NULL if absent. */
static const char *header(const answer *a, const char *name, char *out, size_t cap) {
  size_t n = strlen(name);
  for (const char *line = strstr(a->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    const char *h = line + 2;
    if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
      h += n + 1;
      while (*h == ' ') h++;
      const char *eol = strstr(h, "\r\n");
      size_t len = eol ? (size_t)(eol - h) : strlen(h);
      snprintf(out, cap, "%.*s", (int)len, h);
      return out;
    }
  }
  return NULL;
}

static const char *member(const answer *a, const char *name) {
  return json_string_value(json_object_get(a->body, name));
}

static void assert_problem(const answer *a, int status, const char *title, const char *instance) {
  char v[256];
  assert_int_equal(a->status, status);
  assert_non_null(header(a, "Content-Type", v, sizeof v));
  assert_string_equal(v, "application/problem+json");
  assert_non_null(header(a, "Access-Control-Allow-Origin", v, sizeof v));
  assert_non_null(a->body);
  assert_int_equal(json_integer_value(json_object_get(a->body, "status")), status);
  assert_string_equal(member(a, "title"), title);
  assert_string_equal(member(a, "instance"), instance);
}

/* ---- tests ---- */

static void a_problem_names_its_status_and_path(void **state) {
  char v[256];
  answer a = get("/problem/plain?secret=no", NULL);
  assert_problem(&a, 404, "Not Found", "/problem/plain");
  assert_string_equal(member(&a, "type"), "about:blank");
  assert_string_equal(member(&a, "detail"), "no session has that id");
  assert_null(json_object_get(a.body, "details"));
  assert_null(header(&a, "WWW-Authenticate", v, sizeof v));
  assert_null(header(&a, "Retry-After", v, sizeof v));
  assert_int_equal(json_object_size(a.body), 5);
  json_decref(a.body);
}

static void strings_are_json_escaped(void **state) {
  answer a = get("/problem/titled", NULL);
  assert_problem(&a, 400, "Invalid event", "/problem/titled");
  assert_string_equal(member(&a, "detail"), "say \"hi\"\n\\ \xc3\xa9 \x01");
  json_decref(a.body);
}

/* 401 asks for Basic credentials, 503 says when to retry, and nothing else gets either. */
static void status_headers(void **state) {
  static const struct {
    const char *path, *title, *header, *value;
    int status;
  } cases[] = {
      {"/problem/unauthorized", "Unauthorized", "WWW-Authenticate", "Basic realm=\"playstat\"",
       401},
      {"/problem/unavailable", "Service Unavailable", "Retry-After", "1", 503},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char v[256];
    answer a = get(cases[i].path, NULL);
    assert_problem(&a, cases[i].status, cases[i].title, cases[i].path);
    assert_non_null(header(&a, cases[i].header, v, sizeof v));
    assert_string_equal(v, cases[i].value);
    assert_null(header(&a, cases[1 - i].header, v, sizeof v));
    /* "detail" only when given (the 401 handler gives none) */
    assert_int_equal(json_object_get(a.body, "detail") != NULL, cases[i].status == 503);
    json_decref(a.body);
  }
}

static void type_details_and_extra_headers(void **state) {
  char v[256];
  answer a = get("/problem/full", NULL);
  assert_problem(&a, 422, "Invalid event", "/problem/full");
  assert_string_equal(member(&a, "type"), "https://playstat.dev/problems/invalid-event");
  json_t *details = json_object_get(a.body, "details");
  assert_true(json_is_array(details) && json_array_size(details) == 1);
  assert_string_equal(json_string_value(json_object_get(json_array_get(details, 0), "field")),
                      "type");
  assert_non_null(header(&a, "X-Extra", v, sizeof v));
  assert_string_equal(v, "one");
  json_decref(a.body);
}

static void the_guard_answers_401_403_or_lets_through(void **state) {
  char v[256], auth[256];
  strcpy(auth, "Basic ");
  EVP_EncodeBlock((unsigned char *)auth + 6, (const unsigned char *)KEY_ID ":" SECRET,
                  (int)strlen(KEY_ID ":" SECRET));

  answer a = get("/projects/" PROJECT "/sessions", NULL);
  assert_problem(&a, 401, "Unauthorized", "/projects/" PROJECT "/sessions");
  assert_non_null(header(&a, "WWW-Authenticate", v, sizeof v));
  assert_non_null(strstr(member(&a, "detail"), "Basic"));
  json_decref(a.body);

  a = get("/projects/" PROJECT "/sessions", "Basic bm9wZTpub3Bl"); /* nope:nope */
  assert_problem(&a, 401, "Unauthorized", "/projects/" PROJECT "/sessions");
  json_decref(a.body);

  a = get("/projects/other/sessions", auth);
  assert_problem(&a, 403, "Forbidden", "/projects/other/sessions");
  assert_null(header(&a, "WWW-Authenticate", v, sizeof v));
  assert_non_null(strstr(member(&a, "detail"), "viewer"));
  char *text = json_dumps(a.body, 0);
  assert_null(strstr(text, "s3cr3t"));
  free(text);
  json_decref(a.body);

  a = get("/projects/" PROJECT "/sessions", auth);
  assert_int_equal(a.status, 200);
  assert_string_equal(member(&a, "key_id"), KEY_ID);
  json_decref(a.body);
}

/* The read API's error format: {"error": code, "message": ...} as application/json. */
static void assert_api_error(const answer *a, int status, const char *code) {
  char v[256];
  assert_int_equal(a->status, status);
  assert_non_null(header(a, "Content-Type", v, sizeof v));
  assert_string_equal(v, "application/json");
  assert_non_null(a->body);
  assert_string_equal(member(a, "error"), code);
  assert_non_null(member(a, "message"));
}

static void the_token_guard_answers_401_403_or_lets_through(void **state) {
  char v[256];
  const char *const paths[] = {"/needs/viewer", "/needs/admin"};
  for (size_t i = 0; i < 2; i++) {
    const char *const unauthenticated[] = {NULL, "Bearer pst_unknown", "Basic " VIEWER_TOKEN};
    for (size_t k = 0; k < 3; k++) {
      answer a = get(paths[i], unauthenticated[k]);
      assert_api_error(&a, 401, "unauthorized");
      assert_non_null(header(&a, "WWW-Authenticate", v, sizeof v));
      assert_string_equal(v, "Bearer realm=\"playstat\"");
      json_decref(a.body);
    }
    answer a = get(paths[i], "Bearer " ADMIN_TOKEN);
    assert_int_equal(a.status, 200); /* admin implies viewer */
    json_decref(a.body);
  }
  answer a = get("/needs/viewer", "Bearer " VIEWER_TOKEN);
  assert_int_equal(a.status, 200);
  json_decref(a.body);

  a = get("/needs/admin", "Bearer " VIEWER_TOKEN);
  assert_api_error(&a, 403, "forbidden");
  assert_null(header(&a, "WWW-Authenticate", v, sizeof v));
  assert_non_null(strstr(member(&a, "message"), "admin"));
  json_decref(a.body);

  a = get("/needs/writer", "Bearer " ADMIN_TOKEN); /* no such role: nobody has it */
  assert_api_error(&a, 403, "forbidden");
  json_decref(a.body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_problem_names_its_status_and_path),
      cmocka_unit_test(strings_are_json_escaped),
      cmocka_unit_test(status_headers),
      cmocka_unit_test(type_details_and_extra_headers),
      cmocka_unit_test(the_guard_answers_401_403_or_lets_through),
      cmocka_unit_test(the_token_guard_answers_401_403_or_lets_through),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
