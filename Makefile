# playstat: the two commands a newcomer needs are `make run` and `make test`.
# Every target installs what it needs (Debian packages, npm packages) before it builds.

BUILD      ?= build
ASAN_BUILD ?= build-asan
DATA       ?= var
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)

# Debian packages the build, the tests and the benchmarks need.
APT_PACKAGES = build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libpcre2-dev \
               libssl-dev zlib1g-dev libsqlite3-dev sqlite3 libcurl4-openssl-dev libcmocka-dev libroaring-dev libzstd-dev openssl \
               libpq-dev postgresql clickhouse-server clickhouse-client \
               nodejs npm nginx-light wrk chromium valgrind zstd time \
               libmaxminddb-dev libmaxmind-db-writer-perl

.PHONY: all deps build run test test-asan bench bench-clickhouse bench-clickhouse-metrics bench-ingest bench-insights bench-events bench-sdk bench-growth bench-slowloris bench-export \
        install fuzz fuzz-hardening clean node-deps

FUZZ_SECONDS ?= 60
PREFIX       ?= /usr/local

all: build

# Installs only the packages that are missing, so a prepared machine pays nothing.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	    missing=$$(echo $$missing | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' '); \
	  fi; \
	fi; \
	if [ -n "$$(echo $$missing | tr -d ' ')" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

node-deps: deps
	@[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build node-deps
	mkdir -p $(DATA)
	@if ! $(BUILD)/playstat game list --data $(DATA) | grep -q '"id"'; then \
	  echo "creating a first game (keys below; 'playstat game list --data $(DATA)' shows them again):"; \
	  $(BUILD)/playstat game create --data $(DATA) --name "My Game"; \
	fi
	@sh scripts/first-run.sh $(BUILD)/playstat $(DATA) http://$(LISTEN)
	exec $(BUILD)/playstat serve --data $(DATA) --listen $(LISTEN)

test: build node-deps
	cd $(BUILD) && ctest --output-on-failure -j 2

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps node-deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPLAYSTAT_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 2

# Load tests of the ingest endpoints beside nginx, then insights query latency (bench/*.sh).
bench: bench-ingest bench-insights bench-events

bench-ingest: build
	bench/run.sh

bench-insights: build
	bench/insights.sh

bench-events: build
	bench/event_insights.sh

# Durable ingest rate per million events stored, up to BENCH_GROWTH_EVENTS (default 20M), and
# the store-off ceiling (bench/ingest_growth.sh; docs/PERFORMANCE.md). Takes a while.
# A healthy client's latency under a slowloris flood of 10,000 connections (bench/slowloris.sh).
# Export (Parquet, NDJSON.gz) and deletion of a player at BENCH_EXPORT_EVENTS (default 1M)
# events, beside sqlite3/gzip/zstd over the same bodies (bench/export.sh; docs/PERFORMANCE.md).
bench-export: build
	bench/export.sh

bench-clickhouse-metrics: build
	bench/clickhouse_metrics.sh

bench-clickhouse: build
	bench/clickhouse.sh

bench-slowloris: build node-deps
	bench/slowloris.sh

bench-growth: build
	bench/ingest_growth.sh

# The cost of one libplaystat event call on the game thread (median, p99; docs/PERFORMANCE.md).
bench-sdk: build
	bench/sdk_event_call.sh

# Installs libplaystat (static and shared library, include/playstat.h, playstat.pc) under
# PREFIX (default /usr/local; DESTDIR is honoured): `pkg-config --cflags --libs playstat`.
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# libFuzzer over the ingest path's untrusted-input code (fuzz/), with ASan and UBSan; new
# inputs that reach new code are added to fuzz/corpus/events; then the OOM-safe JSON reader
# against jansson's (fuzz/corpus/json); then the collector's reader (json_doc) against jansson,
# seeded with both corpora (new inputs go to build-fuzz/corpus-json-doc).
fuzz: deps
	@command -v clang >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq clang; }
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPLAYSTAT_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_events fuzz_json_parse fuzz_json_doc
	build-fuzz/fuzz/fuzz_events -max_total_time=$(FUZZ_SECONDS) -max_len=65536 fuzz/corpus/events
	mkdir -p fuzz/corpus/json && cp -n schemas/*.json fuzz/corpus/json/
	build-fuzz/fuzz/fuzz_json_parse -max_total_time=$(FUZZ_SECONDS) -max_len=4096 fuzz/corpus/json
	mkdir -p build-fuzz/corpus-json-doc
	build-fuzz/fuzz/fuzz_json_doc -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus-json-doc fuzz/corpus/json fuzz/corpus/events
	$(MAKE) fuzz-hardening

# The hardening targets (issue 12): what they find new goes to build-fuzz/corpus/<name>, so the
# checked-in seeds of fuzz/corpus/<name> stay small.
FUZZ_HARDENING = metrics_request so_event jwt static http_framing clickhouse_spool parquet forwarded ecb_rates \
                 ga_chunk_codec
fuzz-hardening:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DPLAYSTAT_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_HARDENING:%=fuzz_%)
	@for t in $(FUZZ_HARDENING); do mkdir -p build-fuzz/corpus/$$t && \
	  build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    build-fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
