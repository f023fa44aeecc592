#!/usr/bin/env bash
# bench/profile_split.sh: turns a perf profile of playstat (perf record -g -F HZ -p PID, as
# bench/run.sh BENCH_PERF=1 takes it) into CPU microseconds per event, per thread kind, split by
# where the time went: kernel, libc, parser, crypto, SQLite, the HTTP library, playstat's own
# code, other. It reads the leaf frame of every sample, so a sample counts once.
#
#   bench/profile_split.sh PERF_DATA EVENTS HZ
#     PERF_DATA  the perf.data file
#     EVENTS     events (or requests) the server handled while perf recorded
#     HZ         perf's sampling frequency (-F), samples per CPU-second
#
# Output: a markdown table, one row per thread kind (the thread's name, digits dropped), and a
# total row. A cell is (samples / HZ) seconds * 1e6 / EVENTS.
#
# Classes (by the leaf frame's shared object, then symbol):
#   kernel  [kernel.kallsyms], [unknown] addresses above the user range
#   libc    libc.so*, ld-linux*, libpthread*
#   parser  libjansson*, libcjson*, and playstat's JSON readers (symbols ps_json_*, json_doc*)
#   crypto  libcrypto*, libssl*, libgnutls*, libnettle*, libhogweed*, libgmp*
#   sqlite  libsqlite3*
#   http    libmicrohttpd*, libh2o*
#   zlib    libz.so*
#   own     the playstat binary (everything not counted as parser)
#   other   anything else (libroaring, libpcre2, ...)
set -euo pipefail

[ $# -eq 3 ] || { sed -n '2,22p' "$0" >&2; exit 2; }
DATA=$1 EVENTS=$2 HZ=$3
[ -s "$DATA" ] || { echo "profile_split: $DATA is missing or empty" >&2; exit 1; }

perf script -i "$DATA" -F tid,comm,ip,sym,dso --no-inline -G 2>/dev/null |
awk -v events="$EVENTS" -v hz="$HZ" '
  function class(dso, sym) {
    if (dso ~ /kernel|vmlinux/) return "kernel"
    if (dso ~ /libc\.so|ld-linux|libpthread/) return "libc"
    if (dso ~ /libjansson|libcjson/ || sym ~ /^(ps_json|json_doc)/) return "parser"
    if (dso ~ /libcrypto|libssl|libgnutls|libnettle|libhogweed|libgmp/) return "crypto"
    if (dso ~ /libsqlite3/) return "sqlite"
    if (dso ~ /libmicrohttpd|libh2o/) return "http"
    if (dso ~ /libz\.so/) return "zlib"
    if (dso ~ /playstat/) return "own"
    if (dso ~ /unknown/) return "kernel"
    return "other"
  }
  # A sample line: "COMM TID IP SYM (DSO)" (perf script without callchains).
  {
    line = $0
    if (match(line, /\([^()]*\)[ \t]*$/) == 0) next
    dso = substr(line, RSTART + 1, RLENGTH - 2)
    head = substr(line, 1, RSTART - 1)
    n = split(head, f, /[ \t]+/)
    # comm may hold spaces: the first numeric field is the tid
    comm = ""; t = 0
    for (i = 1; i <= n; i++) { if (f[i] ~ /^[0-9]+$/) { t = i; break } comm = comm (comm == "" ? "" : " ") f[i] }
    sym = (t && t + 1 < n) ? f[t + 2] : ""
    gsub(/[0-9]+$/, "", comm); gsub(/[-_]$/, "", comm)
    c = class(dso, sym)
    count[comm, c]++; total[c]++; rows[comm]++; all++
  }
  END {
    if (!all) { print "profile_split: no samples" > "/dev/stderr"; exit 1 }
    split("kernel libc parser crypto sqlite http zlib own other", cls, " ")
    printf "| thread | µs/event |"; for (i = 1; i <= 9; i++) printf " %s |", cls[i]; printf "\n"
    printf "| --- | ---: |"; for (i = 1; i <= 9; i++) printf " ---: |"; printf "\n"
    us = 1e6 / hz / events
    for (r in rows) {
      printf "| %s | %.2f |", r, rows[r] * us
      for (i = 1; i <= 9; i++) printf " %.2f |", count[r, cls[i]] * us
      printf "\n"
    }
    printf "| all | %.2f |", all * us
    for (i = 1; i <= 9; i++) printf " %.2f |", total[cls[i]] * us
    printf "\n"
  }'
