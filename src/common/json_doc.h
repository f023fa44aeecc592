/*
 * json_doc.h: the hot path's JSON reader. Parses one text into a flat array of nodes, with no
 * allocation per value: a document owns two growing buffers (the nodes, and the decoded bytes
 * of the strings that have escapes) that one request reuses for every event it parses.
 *
 * Why not jansson here: json_loadb builds a tree of separately allocated values (one malloc
 * per value and per key, a hashtable per object) and copies every string; at batch 100 the
 * collector's threads spent 13.3 us per event in it, and 18 us per request in malloc/memmove.
 * cJSON has the same shape (a malloc'd node per value, every string copied); simdjson is C++.
 * This reader keeps strings as slices of the text (decoded at parse time only when they hold
 * an escape) and numbers as their value; a node is 24 bytes in one array. Measured with
 * bench/json_parse.c (best of 5 runs of 0.2 s, on a shared 2-core machine at load ~3.4, so
 * ratios more than absolutes), per event:
 *                               100 realistic events (456 B)   fuzz/corpus/events (53 B)
 *   jansson json_loadb                 11.7 us                        1.59 us
 *   cJSON_ParseWithLength               2.9 us                        0.43 us
 *   json_doc, reused document           1.3 us                        0.16 us
 * and no allocation once a request's document has grown to its largest event.
 *
 * What it accepts is exactly what json_loadb(text, len, JSON_DECODE_ANY | flags) accepts, with
 * flags JSON_ALLOW_NUL when PS_JSON_DOC_ALLOW_NUL is given (tests/unit/test_json_doc_diff.c
 * checks it against jansson over the events corpus and generated edge cases):
 *  - one value of any type, blanks (space, tab, CR, LF) around it, nothing else after it;
 *  - strings of valid UTF-8 (shortest form, no surrogates), no raw control characters,
 *    escapes " \ / b f n r t uXXXX with surrogate pairs; \u0000 only with ALLOW_NUL, and never
 *    in an object key (jansson: "NUL byte in object key not supported");
 *  - integers (no fraction, no exponent) that fit json_int_t, else an error; other numbers are
 *    reals (strtod), an error when they overflow to +-HUGE_VAL (underflow is accepted);
 *  - nesting at most PS_JSON_DOC_MAX_DEPTH (jansson's 2048);
 *  - one deliberate difference: a raw NUL byte outside a string is always refused, where
 *    jansson sometimes takes it for the end of its input ("1\0", even "[null,null\0").
 * Duplicate object keys behave as in jansson by default: the member keeps the position of the
 * key's first occurrence and the value of its last; size counts distinct keys.
 *
 * Lifetimes: a document borrows the text (which must outlive every use of its nodes) and owns
 * its buffers; ps_json_doc_parse reuses them, ps_json_doc_free releases them. Pointers returned
 * by the accessors stay valid until the next parse or free. A document is not thread-safe;
 * readers of a parsed document may share it.
 */
#ifndef PS_COMMON_JSON_DOC_H
#define PS_COMMON_JSON_DOC_H

#include <stddef.h>
#include <stdint.h>

#define PS_JSON_DOC_MAX_DEPTH 2048

/* Flags of ps_json_doc_init. */
#define PS_JSON_DOC_ALLOW_NUL 1u /* \u0000 in string values, as JSON_ALLOW_NUL */

typedef enum {
  PS_JSON_NULL,
  PS_JSON_FALSE,
  PS_JSON_TRUE,
  PS_JSON_INTEGER,
  PS_JSON_REAL,
  PS_JSON_STRING,
  PS_JSON_ARRAY,
  PS_JSON_OBJECT,
} ps_json_type;

/* A node index; 0 is the root, so as a member or element index 0 means "none". */
typedef uint32_t ps_json_ref;
#define PS_JSON_NONE 0u

/* Node flags (internal to json_doc.c and the inline accessors). */
#define PS_JSON_F_DECODED 1u  /* a string's bytes are in doc->strings, not in the text */
#define PS_JSON_F_SHADOWED 2u /* a key named again later in its object: skipped */

typedef struct ps_json_node {
  uint8_t type;  /* ps_json_type; an object's keys are PS_JSON_STRING nodes */
  uint8_t flags; /* PS_JSON_F_* */
  uint32_t end;  /* index one past this node's subtree: its next sibling */
  uint32_t off, len; /* strings: the decoded bytes (text or strings buffer); others: the
                        token's span in the text */
  union {
    int64_t i;     /* PS_JSON_INTEGER */
    double d;      /* PS_JSON_REAL */
    uint32_t size; /* arrays: elements; objects: distinct keys */
    struct {
      uint32_t value; /* an object key: index of its value (the last one given for the key) */
      uint32_t hash;  /* of its decoded bytes (finding duplicates) */
    } key;
  } u;
} ps_json_node;

typedef struct ps_json_doc {
  const char *text;
  size_t len;
  unsigned flags;
  size_t max_nodes; /* set by the owner: a text with more values (and keys) than this is
                       PS_ETOOBIG; 0 (ps_json_doc_init's) for no limit */
  ps_json_node *nodes;
  size_t count, cap;
  char *strings; /* decoded strings that had escapes, each NUL-terminated */
  size_t strings_len, strings_cap;
  uint32_t *scratch; /* hash slots for finding duplicate keys in large objects */
  size_t scratch_cap;
} ps_json_doc;

/* Makes doc an empty document (no memory held yet); flags: PS_JSON_DOC_*. Cannot fail. */
void ps_json_doc_init(ps_json_doc *doc, unsigned flags);
/* Releases doc's buffers; doc may be parsed into again (it keeps flags and max_nodes). */
void ps_json_doc_free(ps_json_doc *doc);

/*
 * Parses text[0..len) into doc, replacing what it held (its buffers are reused). Returns PS_OK
 * (the root is node 0), PS_EINVAL when the text is not accepted (err, if errlen > 0, says what
 * and where: "'}' expected at position 17"), PS_ETOOBIG when it holds more than doc->max_nodes
 * values and keys, or PS_ENOMEM; doc holds no nodes after a failure.
 * Texts of 4 GiB or more are PS_EINVAL.
 */
int ps_json_doc_parse(ps_json_doc *doc, const char *text, size_t len, char *err, size_t errlen);

static inline ps_json_type ps_json_type_of(const ps_json_doc *d, ps_json_ref v) {
  return (ps_json_type)d->nodes[v].type;
}
static inline int ps_json_is_number(const ps_json_doc *d, ps_json_ref v) {
  return d->nodes[v].type == PS_JSON_INTEGER || d->nodes[v].type == PS_JSON_REAL;
}
/* A string's decoded bytes (not NUL-terminated unless it had escapes) and their length; NULL
 * when v is not a string. */
static inline const char *ps_json_string(const ps_json_doc *d, ps_json_ref v, size_t *len) {
  const ps_json_node *n = &d->nodes[v];
  *len = n->type == PS_JSON_STRING ? n->len : 0;
  if (n->type != PS_JSON_STRING) return NULL;
  return (n->flags & PS_JSON_F_DECODED ? d->strings : d->text) + n->off;
}
/* An integer's value, 0 for anything else (json_integer_value). */
static inline int64_t ps_json_integer(const ps_json_doc *d, ps_json_ref v) {
  return d->nodes[v].type == PS_JSON_INTEGER ? d->nodes[v].u.i : 0;
}
/* A number's value as a double, 0 for anything else (json_number_value). */
static inline double ps_json_number(const ps_json_doc *d, ps_json_ref v) {
  const ps_json_node *n = &d->nodes[v];
  return n->type == PS_JSON_INTEGER ? (double)n->u.i : n->type == PS_JSON_REAL ? n->u.d : 0;
}
/* Elements of an array, distinct keys of an object, 0 otherwise. */
static inline size_t ps_json_size(const ps_json_doc *d, ps_json_ref v) {
  const ps_json_node *n = &d->nodes[v];
  return n->type == PS_JSON_ARRAY || n->type == PS_JSON_OBJECT ? n->u.size : 0;
}

/* Arrays: the first element, then the next one, PS_JSON_NONE at the end. */
static inline ps_json_ref ps_json_first(const ps_json_doc *d, ps_json_ref array) {
  return d->nodes[array].end > array + 1 ? array + 1 : PS_JSON_NONE;
}
static inline ps_json_ref ps_json_next(const ps_json_doc *d, ps_json_ref parent,
                                       ps_json_ref item) {
  uint32_t next = d->nodes[item].end;
  return next < d->nodes[parent].end ? next : PS_JSON_NONE;
}

/* Objects: iterates the distinct keys in order (a key's value: ps_json_member_value). */
ps_json_ref ps_json_member_first(const ps_json_doc *d, ps_json_ref object);
ps_json_ref ps_json_member_next(const ps_json_doc *d, ps_json_ref object, ps_json_ref key);
static inline ps_json_ref ps_json_member_value(const ps_json_doc *d, ps_json_ref key) {
  return d->nodes[key].u.key.value;
}

/* The value of member key (keylen bytes, compared with the decoded key) of object, or
 * PS_JSON_NONE when object is not an object or has no such member. A linear scan. */
ps_json_ref ps_json_get_n(const ps_json_doc *d, ps_json_ref object, const char *key,
                          size_t keylen);
/* The same for a NUL-terminated key. */
ps_json_ref ps_json_get(const ps_json_doc *d, ps_json_ref object, const char *key);

#endif
