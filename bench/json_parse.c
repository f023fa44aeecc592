/*
 * json_parse.c: the cost of parsing one analytics event, by the readers the collector could
 * use (src/common/json_doc.h says which it uses and why): jansson's json_loadb (what events.c
 * used before), cJSON (when libcjson-dev is installed), and json_doc into one reused document;
 * then json_doc with the schema validation the collector runs on each event.
 *
 *   build/bench/json_parse [DIR_OR_FILE...]   (default: fuzz/corpus/events)
 *
 * Every file is a request body; its elements (ps_json_array_split) that jansson accepts are the
 * events measured. Each reader parses all events repeatedly for about 0.2 s; the best of five
 * such runs is printed as ns per event and MB/s (the machine is shared: best-of, not mean).
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef PS_BENCH_CJSON
#include <cjson/cJSON.h>
#endif

#include "common/json_doc.h"
#include "ingest/ga/batch.h"
#include "schema/validator.h"

typedef struct corpus {
  char **bodies;
  size_t nbodies;
  ps_json_slice *events;
  size_t n, cap, bytes;
} corpus;

static void add_file(corpus *c, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *body = malloc((size_t)size + 1);
  if (!body || fread(body, 1, (size_t)size, f) != (size_t)size) {
    free(body);
    fclose(f);
    return;
  }
  fclose(f);
  ps_json_slice *s = NULL;
  size_t count = 0;
  if (ps_json_array_split(body, (size_t)size, 0, &s, &count) == 0) {
    for (size_t i = 0; i < count; i++) {
      json_t *v = json_loadb(s[i].text, s[i].len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
      if (!v) continue;
      json_decref(v);
      if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->events = realloc(c->events, c->cap * sizeof *c->events);
      }
      c->events[c->n++] = s[i];
      c->bytes += s[i].len;
    }
  }
  free(s);
  c->bodies = realloc(c->bodies, (c->nbodies + 1) * sizeof *c->bodies);
  c->bodies[c->nbodies++] = body;
}

static void add_path(corpus *c, const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    add_file(c, path);
    return;
  }
  DIR *d = opendir(path);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", path, e->d_name);
    add_file(c, full);
  }
  if (d) closedir(d);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef size_t (*pass_fn)(const corpus *c, void *ctx); /* parses every event once */

static volatile size_t sink;

static void measure(const char *name, const corpus *c, pass_fn pass, void *ctx) {
  double best = 1e30;
  for (int run = 0; run < 5; run++) {
    size_t passes = 0;
    double t0 = now_s(), t;
    do {
      sink += pass(c, ctx);
      passes++;
    } while ((t = now_s()) - t0 < 0.2);
    double per_event = (t - t0) / (double)(passes * c->n);
    if (per_event < best) best = per_event;
  }
  printf("%-28s %8.0f ns/event %8.1f MB/s\n", name, best * 1e9,
         (double)c->bytes / c->n / best / 1e6);
}

static size_t jansson_pass(const corpus *c, void *ctx) {
  size_t ok = 0;
  for (size_t i = 0; i < c->n; i++) {
    json_t *v = json_loadb(c->events[i].text, c->events[i].len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    ok += v != NULL;
    json_decref(v);
  }
  return ok;
}

#ifdef PS_BENCH_CJSON
static size_t cjson_pass(const corpus *c, void *ctx) {
  size_t ok = 0;
  for (size_t i = 0; i < c->n; i++) {
    cJSON *v = cJSON_ParseWithLength(c->events[i].text, c->events[i].len);
    ok += v != NULL;
    cJSON_Delete(v);
  }
  return ok;
}
#endif

static size_t doc_pass(const corpus *c, void *ctx) {
  ps_json_doc *doc = ctx;
  size_t ok = 0;
  for (size_t i = 0; i < c->n; i++)
    ok += ps_json_doc_parse(doc, c->events[i].text, c->events[i].len, NULL, 0) == 0;
  return ok;
}

typedef struct validate_ctx {
  ps_json_doc doc;
  ps_schema_set *set;
} validate_ctx;

static size_t doc_validate_pass(const corpus *c, void *ctx) {
  validate_ctx *v = ctx;
  size_t bad = 0;
  ps_violations out;
  for (size_t i = 0; i < c->n; i++) {
    if (ps_json_doc_parse(&v->doc, c->events[i].text, c->events[i].len, NULL, 0) != 0) continue;
    bad += ps_schema_validate_doc(v->set, &v->doc, 0, &out, NULL) != 0;
  }
  return bad;
}

int main(int argc, char **argv) {
  corpus c = {0};
  if (argc < 2) add_path(&c, "fuzz/corpus/events");
  for (int i = 1; i < argc; i++) add_path(&c, argv[i]);
  if (!c.n) {
    fprintf(stderr, "no events found (run from the source directory or name files)\n");
    return 1;
  }
  printf("%zu events, %zu bytes (%.0f bytes/event)\n", c.n, c.bytes, (double)c.bytes / c.n);
  measure("jansson json_loadb", &c, jansson_pass, NULL);
#ifdef PS_BENCH_CJSON
  measure("cJSON_ParseWithLength", &c, cjson_pass, NULL);
#endif
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  measure("json_doc (reused)", &c, doc_pass, &doc);
  ps_json_doc_free(&doc);
  validate_ctx v;
  char err[256];
  ps_json_doc_init(&v.doc, PS_JSON_DOC_ALLOW_NUL);
  if (ps_schema_set_create_embedded(&v.set, err, sizeof err) != 0) {
    fprintf(stderr, "schemas: %s\n", err);
    return 1;
  }
  measure("json_doc + validate", &c, doc_validate_pass, &v);
  ps_json_doc_free(&v.doc);
  ps_schema_set_free(v.set);
  for (size_t i = 0; i < c.nbodies; i++) free(c.bodies[i]);
  free(c.bodies);
  free(c.events);
  return 0;
}
