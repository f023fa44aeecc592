#!/usr/bin/env bash
# bench/ga_sdk_build.sh OUT_DIR: builds the official GameAnalytics C++ SDK (5.x,
# github.com/GameAnalytics/gameanalytics-sdk-cpp, which the archived GA-SDK-CPP points to)
# from its public source, and bench/ga_event_call.cpp against it, as OUT_DIR/ga_event_call.
# bench/sdk_event_call.sh runs it beside libplaystat.
#
# Where the source comes from, first that is set:
#   GA_SDK_CPP_DIR   a checkout (a work tree) of the SDK
#   GA_SDK_CPP_GIT   a git directory holding it (e.g. a mirror without a work tree): HEAD is
#                    exported file by file; a blob that is not there is skipped (the bundled
#                    SQLite amalgamation is not needed: Debian's libsqlite3 is used)
#   otherwise        git clone --depth 1 from GitHub (60 s at most)
# Exits 3 with a message on stderr when the source cannot be had or does not build (CI, which
# reaches only the Debian and npm registries): the caller skips the comparison.
#
# Two changes to the SDK's source, both to point it at a local collector: the HTTP protocol
# and host constants (GAHTTPApi.h) read $GA_BENCH_PROTOCOL and $GA_BENCH_HOST when set.
# Nothing else is touched; it is built with -O2 like libplaystat (RelWithDebInfo).
set -euo pipefail

OUT=${1:?usage: ga_sdk_build.sh OUT_DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SRC=$OUT/ga-src
skip() { echo "ga_sdk_build: skipped: $*" >&2; exit 3; }

if [ -x "$OUT/ga_event_call" ] && [ "$OUT/ga_event_call" -nt "$ROOT/bench/ga_event_call.cpp" ]; then
  exit 0 # built already
fi
rm -rf "$SRC"
if [ -n "${GA_SDK_CPP_DIR:-}" ]; then
  [ -f "$GA_SDK_CPP_DIR/include/GameAnalytics/GameAnalytics.h" ] || skip "GA_SDK_CPP_DIR=$GA_SDK_CPP_DIR is not a checkout of gameanalytics-sdk-cpp"
  cp -r "$GA_SDK_CPP_DIR" "$SRC"
elif [ -n "${GA_SDK_CPP_GIT:-}" ]; then
  git -C "$GA_SDK_CPP_GIT" rev-parse HEAD >/dev/null 2>&1 || skip "GA_SDK_CPP_GIT=$GA_SDK_CPP_GIT is not a git directory"
  git -C "$GA_SDK_CPP_GIT" ls-tree -r --name-only HEAD -- include source | while IFS= read -r f; do
    mkdir -p "$SRC/$(dirname "$f")"
    git -C "$GA_SDK_CPP_GIT" show "HEAD:$f" >"$SRC/$f" 2>/dev/null || rm -f "$SRC/$f"
  done
else
  command -v git >/dev/null || skip "git is not installed"
  timeout 60 git clone -q --depth 1 https://github.com/GameAnalytics/gameanalytics-sdk-cpp "$SRC" 2>/dev/null \
    || skip "cannot fetch github.com/GameAnalytics/gameanalytics-sdk-cpp (offline?); set GA_SDK_CPP_DIR to a checkout"
fi
[ -f "$SRC/source/gameanalytics/GAHTTPApi.h" ] || skip "the SDK's source is incomplete in $SRC"
VERSION=$(sed -n 's/.*GA_VERSION_STR = "cpp \([0-9.]*\)".*/\1/p' "$SRC"/source/gameanalytics/GACommon.h 2>/dev/null | head -1)

H=$SRC/source/gameanalytics/GAHTTPApi.h
sed -i 's|std::string protocol *= PROTOCOL;|std::string protocol = std::getenv("GA_BENCH_PROTOCOL") ? std::getenv("GA_BENCH_PROTOCOL") : PROTOCOL;|;
        s|std::string hostName *= HOST_NAME;|std::string hostName = std::getenv("GA_BENCH_HOST") ? std::getenv("GA_BENCH_HOST") : HOST_NAME;|' "$H"
grep -q GA_BENCH_HOST "$H" || skip "GAHTTPApi.h changed upstream: cannot point the SDK at a local collector"
sed -i '0,/#include/s//#include <cstdlib>\n#include/' "$H"
rm -f "$SRC"/source/dependencies/sqlite/sqlite3.[ch] "$SRC"/source/dependencies/sqlite/sqlite3ext.h

D=$SRC/source/dependencies
CXXSRC=$(ls "$SRC"/source/gameanalytics/*.cpp "$SRC"/source/gameanalytics/Http/GAHttpCurl.cpp \
  "$SRC"/source/gameanalytics/Platform/GAPlatform.cpp "$SRC"/source/gameanalytics/Platform/GALinux.cpp \
  "$D"/crossguid/*.cpp "$D"/crypto/*.cpp "$D"/miniz/*.cpp "$D"/stacktrace/stacktrace/call_stack_gcc.cpp 2>/dev/null)
CSRC=$(ls "$D"/crypto/*.c "$D"/zf_log/*.c 2>/dev/null)
INC="-I$SRC/source/gameanalytics -I$SRC/include -I$D -I$D/crossguid -I$D/nlohmann -I$D/stacktrace -I$D/stacktrace/stacktrace -I$D/zf_log -I$D/crypto -I$D/miniz"
mkdir -p "$OUT/obj"
echo "ga_sdk_build: building GameAnalytics C++ SDK ${VERSION:-?} from $SRC (a minute or two)" >&2
objs=()
for f in $CSRC; do
  o=$OUT/obj/$(basename "$f").o
  cc -O2 -w $INC -c "$f" -o "$o" || skip "the SDK does not build here ($f)"
  objs+=("$o")
done
for f in $CXXSRC; do
  o=$OUT/obj/$(basename "$f").o
  [ -s "$o" ] && [ "$o" -nt "$f" ] && { objs+=("$o"); continue; }
  c++ -O2 -w -std=c++17 -DGUID_STDLIB -DGA_HTTP_CURL -DNDEBUG $INC -c "$f" -o "$o" || skip "the SDK does not build here ($f)"
  objs+=("$o")
done
c++ -O2 -std=c++17 $INC "$ROOT/bench/ga_event_call.cpp" "${objs[@]}" -o "$OUT/ga_event_call" \
  -lcurl -lssl -lcrypto -lsqlite3 -lz -lpthread || skip "ga_event_call does not link"
echo "ga_sdk_build: $OUT/ga_event_call" >&2
