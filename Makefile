# kcrawl — a Kafka-staged web-scraping pipeline.
#
#   make            build build/fetcher, build/cleaner, build/devbroker
#   make deps       install missing Debian packages (root), else print the apt line
#   make test       deps + build + unit tests + structured-data cases +
#                   integration tests on a real broker
#   make structured the structured-data cases (extruct's samples, products)
#   make test-sanitize  the same on an ASan+UBSan build
#   make test-cluster   the pipeline on a three-broker cluster while brokers fail
#   make demo       the pipeline end to end on the embedded broker and a local site
#   make install    PREFIX=/usr/local DESTDIR=
#   make lint       formatting (.clang-format), banned functions, cppcheck,
#                   prototypes (tools/lint.sh)
#   make eval       extraction quality, side by side with trafilatura:
#                   writes docs/quality.md (EVAL_DIR=<folder> for another set)
#   make eval-speed  make eval's speed figures alone (both tools timed, printed)
#   make sitemap-eval  sitemap and feed URLs against ultimate-sitemap-parser
#                   and feedparser (SITEMAP_EVAL_DIR=<folder> for a held-out set)
#   make docs       regenerate docs/configuration.md and man/*.1 from the
#                   option tables (a test fails when they are stale)

PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
# Debian's python3 owns the python3-* packages the tests use; the pyenv
# python3 on PATH does not see them.
PYTHON   ?= /usr/bin/python3

PKGS      = rdkafka libcurl yajl libxml-2.0 libidn2 libpsl libcrypto \
            libmicrohttpd zlib
TEST_PKGS = cmocka

DEB_BUILD = build-essential pkg-config librdkafka-dev libcurl4-openssl-dev \
            libyajl-dev libxml2-dev libidn2-dev libpsl-dev libssl-dev \
            libmicrohttpd-dev zlib1g-dev
DEB_TEST  = libcmocka-dev valgrind python3 python3-pytest python3-jsonschema python3-yaml \
            python3-confluent-kafka kcat maven default-jre-headless \
            openjdk-17-jdk-headless iproute2 \
            docker-compose prometheus cppcheck clang-format-14

VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ishared \
             -DKCRAWL_VERSION='"$(VERSION)"' \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
TEST_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

SHARED_SRC  = $(wildcard shared/*.c)
FETCHER_SRC = $(filter-out fetcher/main.c,$(wildcard fetcher/*.c))
CLEANER_SRC = $(filter-out cleaner/main.c,$(wildcard cleaner/*.c))
UNIT_SRC    = $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

BINS  = $(BUILD)/fetcher $(BUILD)/cleaner $(BUILD)/devbroker
UNITS = $(patsubst tests/unit/%.c,$(BUILD)/%,$(UNIT_SRC))

.PHONY: all deps test unit integration demo install clean lint test-sanitize sitemap-eval \
        test-cluster structured
.DEFAULT_GOAL := all
# Keep objects make considers intermediate (test objects).
.SECONDARY:

all: $(BINS)

$(BUILD)/obj/tests/%.o: tests/%.c $(wildcard shared/*.h fetcher/*.h cleaner/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Icleaner -Ifetcher -c -o $@ $<

$(BUILD)/obj/%.o: %.c $(wildcard shared/*.h fetcher/*.h cleaner/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libshared.a: $(call obj,$(SHARED_SRC))
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libfetcher.a: $(call obj,$(FETCHER_SRC))
	@rm -f $@
	$(AR) rcs $@ $^
$(BUILD)/libcleaner.a: $(call obj,$(CLEANER_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/fetcher: $(call obj,fetcher/main.c) $(BUILD)/libfetcher.a $(BUILD)/libshared.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/cleaner: $(call obj,cleaner/main.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/devbroker: $(call obj,tools/devbroker.c) $(BUILD)/libshared.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The cleaner's extraction alone, in memory (make bench compares it with
# libxml2 and lxml on the same pages).
$(BUILD)/bench/extract_bench: $(call obj,tests/bench/extract_bench.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The crawl state of 1,000,000 URLs (figure 9 of make bench): the
# fetcher's table in process, and the state messages produced for a load.
$(BUILD)/bench/state_bench: $(call obj,tests/bench/state_bench.c) $(BUILD)/libfetcher.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The sitemap reader alone: URLs per CPU second on a 50 MiB sitemap read
# from a file in 64 KiB pieces, and the peak memory it took.
$(BUILD)/bench/sitemap_bench: $(call obj,tests/bench/sitemap_bench.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# What the sitemap reader finds in files (make sitemap-eval compares it
# with reference parsers).
$(BUILD)/bench/sitemap_dump: $(call obj,tests/bench/sitemap_dump.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

# The main-content, Markdown and metadata modules alone, on files.
$(BUILD)/bench/maincontent_driver: $(call obj,tests/bench/maincontent_driver.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Icleaner -o $@ $^ $(LIBS)

# The structured-data modules on one file (tests/structured: the
# comparison with extruct's samples).
$(BUILD)/structured_dump: $(call obj,tests/structured/structured_dump.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	$(CC) $(ALL_CFLAGS) -Icleaner -o $@ $^ $(LIBS)

# Every record and followed link of a set of pages, one per line: two
# builds' outputs are compared with diff (docs/cleaner.md).
$(BUILD)/bench/extract_dump: $(call obj,tests/bench/extract_dump.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) -lz

# The cleaner's extraction over an evaluation set, one thread, CPU time
# counted (make eval and the quality test score what it writes).
$(BUILD)/bench/eval_extract: $(call obj,tests/bench/eval_extract.c) $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) -lz

# Unit tests link every module; each test uses what it needs.
$(BUILD)/test_%: $(call obj,tests/unit/test_%.c) $(BUILD)/libfetcher.a $(BUILD)/libcleaner.a $(BUILD)/libshared.a
	$(CC) $(ALL_CFLAGS) -Icleaner -Ifetcher -o $@ $^ $(LIBS) $(TEST_LIBS)

deps:
	@tools/deps.sh $(DEB_BUILD) $(DEB_TEST)

unit: $(UNITS)
	@tools/run-unit.sh $(UNITS)

integration: $(BINS) $(BUILD)/bench/eval_extract
	PYTHON=$(PYTHON) tools/run-integration.sh

test: deps
	$(MAKE) all unit structured integration

# Structured data against extruct's own test samples and a dozen product
# pages (tests/structured/; docs/structured-data.md); prints the pass
# counts per syntax.
structured: $(BUILD)/structured_dump
	KCRAWL_BUILD=$(CURDIR)/$(BUILD) $(PYTHON) -m pytest -q -p no:cacheprovider tests/structured
	@KCRAWL_BUILD=$(CURDIR)/$(BUILD) $(PYTHON) tests/structured/test_extruct_samples.py

# The pipeline on a three-node KRaft cluster (tests/cluster/) while brokers
# are killed, paused, cut off: one cluster for the run, 400 MB heaps.
test-cluster: deps
	$(MAKE) all
	tools/kafka.sh fetch
	KCRAWL_BUILD=$(CURDIR)/$(BUILD) $(PYTHON) -m pytest tests/cluster -v -p no:cacheprovider \
	  --durations=0 -o faulthandler_timeout=420

# The same tests on an AddressSanitizer + UndefinedBehaviorSanitizer build
# in build-asan/: any invalid access, UB or leak fails the run.
SAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=all
test-sanitize: deps
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN_CFLAGS)" all unit \
	  build-asan/bench/eval_extract
	KCRAWL_BUILD=$(CURDIR)/build-asan PYTHON=$(PYTHON) \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 tools/run-integration.sh

demo:
	@tools/deps.sh $(DEB_BUILD) python3 kcat >&2
	@$(MAKE) -s all >&2
	@PYTHON=$(PYTHON) tools/demo.sh

install: $(BUILD)/fetcher $(BUILD)/cleaner $(BUILD)/devbroker
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/fetcher $(BUILD)/cleaner $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/devbroker $(DESTDIR)$(PREFIX)/bin/kcrawl-devbroker
	install -d $(DESTDIR)$(PREFIX)/share/kcrawl/schemas
	install -m 0644 schemas/*.json $(DESTDIR)$(PREFIX)/share/kcrawl/schemas/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 man/fetcher.1 man/cleaner.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf $(BUILD) build-asan build-lint

# The house style, kept by tools (tools/lint.sh says what each check is).
lint:
	@tools/deps.sh cppcheck clang-format-14 $(DEB_BUILD)
	@tools/lint.sh

# Generated documentation: the option tables are the source.
.PHONY: docs man
docs: man
	tools/gen-config-doc.sh $(BUILD) >docs/configuration.md.tmp
	mv docs/configuration.md.tmp docs/configuration.md
man: $(BUILD)/fetcher $(BUILD)/cleaner
	for b in fetcher cleaner; do \
		tools/gen-man.sh $$b $(BUILD) >man/$$b.1.tmp && \
		mv man/$$b.1.tmp man/$$b.1 || exit 1; \
	done

# libFuzzer targets (tests/fuzz/): clang, -fsanitize=fuzzer,address,undefined,
# linking the project's sources; replays tests/fuzz/regressions/, then fuzzes
# each target for FUZZ_SECONDS from its seed corpus. CI: make fuzz FUZZ_SECONDS=10
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	@tools/deps.sh clang-14 libclang-rt-14-dev $(DEB_BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

# Extraction quality: the cleaner's extraction and trafilatura's (pinned,
# from PyPI, in a virtual environment of its own) on the development sets
# in EVAL_TESTDATA, each benchmark's own metric; writes docs/quality.md.
# EVAL_DIR=<folder in the wcxb-dev layout> scores that folder instead and
# writes $(BUILD)/eval/quality.md. Not part of `make test` (the quality
# test, tests/integration/test_quality.py, runs our side alone).
EVAL_TESTDATA ?= $(CURDIR)/../shared/testdata
EVAL_VENV     = $(BUILD)/eval-venv
EVAL_DIRS     = $(if $(EVAL_DIR),$(EVAL_DIR),$(EVAL_TESTDATA)/article-benchmark $(EVAL_TESTDATA)/wcxb-dev)
EVAL_OUT      = $(if $(EVAL_DIR),$(BUILD)/eval/quality.md,docs/quality.md)
$(EVAL_VENV)/.installed: tests/bench/eval-requirements.txt
	rm -rf $(EVAL_VENV)
	$(PYTHON) -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/pip install --disable-pip-version-check -q --no-deps \
	  -r tests/bench/eval-requirements.txt
	$(EVAL_VENV)/bin/pip check
	touch $@
.PHONY: eval
eval:
	@tools/deps.sh python3-venv $(DEB_BUILD) >&2
	@$(MAKE) -s $(BUILD)/bench/eval_extract $(EVAL_VENV)/.installed
	$(EVAL_VENV)/bin/python tests/bench/eval.py --build $(BUILD) \
	  --out $(EVAL_OUT) $(EVAL_DIRS)

# The speed figures of make eval alone (its sample of each set, both tools
# timed in this run), printed: a few minutes instead of a full run.
.PHONY: eval-speed
eval-speed:
	@tools/deps.sh python3-venv $(DEB_BUILD) >&2
	@$(MAKE) -s $(BUILD)/bench/eval_extract $(EVAL_VENV)/.installed
	$(EVAL_VENV)/bin/python tests/bench/eval.py --build $(BUILD) \
	  --out /dev/null --speed-only $(EVAL_DIRS)

# Sitemap and feed parsing against reference parsers: the URLs the
# cleaner's reader finds in each file of SITEMAP_EVAL_DIR (default
# tests/data/sitemaps, written for this) against ultimate-sitemap-parser's
# and feedparser's (pinned, from PyPI, in a virtual environment of its
# own). Fails when a file of the default folder agrees with no reference;
# for another folder (a held-out set) it reports. Writes
# $(BUILD)/eval/sitemaps.md.
SITEMAP_EVAL_VENV = $(BUILD)/sitemap-eval-venv
$(SITEMAP_EVAL_VENV)/.installed: tests/bench/sitemap-eval-requirements.txt
	rm -rf $(SITEMAP_EVAL_VENV)
	$(PYTHON) -m venv $(SITEMAP_EVAL_VENV)
	$(SITEMAP_EVAL_VENV)/bin/pip install --disable-pip-version-check -q --no-deps \
	  -r tests/bench/sitemap-eval-requirements.txt
	$(SITEMAP_EVAL_VENV)/bin/pip check
	touch $@
.PHONY: sitemap-eval
sitemap-eval:
	@tools/deps.sh python3-venv $(DEB_BUILD) >&2
	@$(MAKE) -s $(BUILD)/bench/sitemap_dump $(SITEMAP_EVAL_VENV)/.installed
	$(SITEMAP_EVAL_VENV)/bin/python tests/bench/sitemap_eval.py \
	  --dump $(BUILD)/bench/sitemap_dump --out $(BUILD)/eval/sitemaps.md \
	  $(SITEMAP_EVAL_DIR)

# Benchmarks side by side: fetcher and cleaner against a bare
# libcurl loop, wrk, Scrapy, lxml, BeautifulSoup and libxml2, on a local
# nginx and a broker of its own. Not part of `make test`; writes
# docs/benchmarks.md. BENCH_QUICK=1 for a smoke run.
.PHONY: bench bench-state
bench: all $(BUILD)/bench/extract_bench $(BUILD)/bench/sitemap_bench $(BUILD)/bench/state_bench
	PYTHON=$(PYTHON) KCRAWL_BUILD=$(CURDIR)/$(BUILD) tests/bench/run.sh
# Figure 9 alone (crawl state of 1,000,000 URLs: memory and load time);
# its rows replace figure 9's in docs/benchmarks.md, the others are kept.
bench-state: all $(BUILD)/bench/state_bench
	BENCH_ONLY=state PYTHON=$(PYTHON) KCRAWL_BUILD=$(CURDIR)/$(BUILD) tests/bench/run.sh
