# tpwallet — top-level driver around CMake.
#
# The two commands a new user needs are `make demo` and `make check`; everything
# else here is for developers. Build trees live under build/<type>/ so the release,
# debug and sanitizer builds never share object files.

# One list of Debian packages, one place. Later modules append to it.
DEBIAN_PACKAGES := build-essential cmake pkg-config \
	libcmocka-dev libgmp-dev libjansson-dev libsodium-dev liblmdb-dev liblapacke-dev \
	libwebsockets-dev libcurl4-openssl-dev libmicrohttpd-dev libxml2-dev libzip-dev \
	curl clang-format clang-tidy cppcheck

# The web dashboard (web/, docs/web.md) is built with npm and tested in Debian's
# chromium (tests/browser). Debian's nodejs and npm only when the machine has no npm: a
# NodeSource nodejs carries its own npm and conflicts with Debian's.
WEB_PACKAGES := chromium $(if $(shell command -v npm 2>/dev/null),,nodejs npm)

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CTEST ?= ctest
BUILD_ROOT ?= build

RELEASE_DIR := $(BUILD_ROOT)/release
DEBUG_DIR := $(BUILD_ROOT)/debug
ASAN_DIR := $(BUILD_ROOT)/asan

.PHONY: all deps build release debug asan check test test-asan demo tour bench bench-deps torture lint \
	format clean help web test-browser

all: build

help:
	@echo "make demo    install what is missing, build, run the live wallet and its dashboard"
	@echo "make tour    a command-line walkthrough of the engine"
	@echo "make check   install what is missing, build, run every test (release + sanitizers)"
	@echo "make deps    install missing Debian packages (root) or print the apt-get line"
	@echo "make build   release build in $(RELEASE_DIR)"
	@echo "make debug   debug build in $(DEBUG_DIR)"
	@echo "make asan    ASan+UBSan build in $(ASAN_DIR)"
	@echo "make web     build the dashboard alone into $(RELEASE_DIR)/web (make build does too)"
	@echo "make test-browser  the dashboard's browser tests (chromium, ctest -L browser)"
	@echo "make bench   run the benchmarks (release build)"
	@echo "make torture long randomized and crash runs kept out of make check"
	@echo "make lint    clang-tidy, cppcheck, clang-format check, tools/tidy"
	@echo "make format  rewrite sources with clang-format"

# install_missing PACKAGES: installs the Debian packages not yet installed (as root),
# or prints the apt-get line to run.
define install_missing
	@missing=""; \
	for p in $(1); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
		echo "missing Debian packages; run as root:" >&2; \
		echo "  apt-get install -y --no-install-recommends$$missing" >&2; \
		exit 1; \
	fi; \
	echo "installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing
endef

deps:
	$(call install_missing,$(DEBIAN_PACKAGES) $(WEB_PACKAGES))

# configure DIR TYPE EXTRA-ARGS
define configure
	$(CMAKE) -S . -B $(1) -DCMAKE_BUILD_TYPE=$(2) $(3) \
		> $(1).configure.log 2>&1 || { cat $(1).configure.log; exit 1; }
endef

build release: deps
	@mkdir -p $(BUILD_ROOT)
	$(call configure,$(RELEASE_DIR),Release,)
	$(CMAKE) --build $(RELEASE_DIR) -j $(JOBS)

debug: deps
	@mkdir -p $(BUILD_ROOT)
	$(call configure,$(DEBUG_DIR),Debug,)
	$(CMAKE) --build $(DEBUG_DIR) -j $(JOBS)

asan: deps
	@mkdir -p $(BUILD_ROOT)
	$(call configure,$(ASAN_DIR),Debug,-DTPW_SANITIZE=ON)
	$(CMAKE) --build $(ASAN_DIR) -j $(JOBS)

test: build
	cd $(RELEASE_DIR) && $(CTEST) --output-on-failure -j $(JOBS)

test-asan: asan
	cd $(ASAN_DIR) && $(CTEST) --output-on-failure -j $(JOBS)

check: test test-asan

# The dashboard alone (the release build makes it too: the CMake target tpw_web).
web: build
	$(CMAKE) --build $(RELEASE_DIR) --target tpw_web

test-browser: build
	cd $(RELEASE_DIR) && $(CTEST) --output-on-failure -L browser

# The live wallet: the server on build/demo, a simulated venue, seeded accounts and
# background activity, the dashboard when it is built (tools/demo).
demo: build
	./tools/demo $(RELEASE_DIR)

# The command-line walkthrough: the money core, a ledger, the ECB's rates, order books,
# portfolios, then the API by curl (tools/tour).
tour: build
	./tools/tour $(RELEASE_DIR)/app/tpwallet/tpwallet

# The ledger benchmark's PostgreSQL peer (bench/pg/run-pg) needs Debian's server; the
# market benchmark's ccxt peer needs Debian's node and npm, and ccxt itself from the npm
# registry at the version bench/ccxt/package-lock.json pins (into bench/ccxt/node_modules,
# git-ignored; never during `make check`).
BENCH_PACKAGES := postgresql-15 postgresql-client-15 python3-numpy wrk curl
# ccxt's side of the market bench needs node and npm: Debian's, unless the machine has
# them already (a NodeSource nodejs carries its own npm and conflicts with Debian's).
BENCH_NODE_PACKAGES := $(if $(shell command -v npm 2>/dev/null),,nodejs npm)

bench-deps:
	$(call install_missing,$(BENCH_PACKAGES) $(BENCH_NODE_PACKAGES))
	cd bench/ccxt && npm ci --no-audit --no-fund --ignore-scripts

# bench_money, bench_fx_aggregate (the FX aggregator), bench_exchange (conversions through
# the ledger) and bench_fx (route searches across 40 currencies; seconds), the ledger benchmark with its raw limit and PostgreSQL peer
# (bench/run-ledger; a few minutes: 10M transfers), then the portfolio backtest and
# Monte Carlo beside numpy (bench/run-portfolio), the market books beside ccxt
# (bench/run-market), feed message -> SSE event latency through the server
# (bench_market_sse, a local venue on 127.0.0.1; about a minute), the HTTP API under wrk against the same PostgreSQL peer's rate
# (bench/run-api). Results: bench/RESULTS.md.
bench: build bench-deps
	$(RELEASE_DIR)/bench/bench_money
	$(RELEASE_DIR)/bench/bench_fx_aggregate
	$(RELEASE_DIR)/bench/bench_exchange
	$(RELEASE_DIR)/bench/bench_fx
	./bench/run-ledger $(RELEASE_DIR)/bench/bench_ledger | tee $(RELEASE_DIR)/bench/ledger.out
	./bench/run-portfolio $(RELEASE_DIR)/bench/bench_portfolio
	./bench/run-market $(RELEASE_DIR)/bench/bench_market
	$(RELEASE_DIR)/bench/bench_market_sse
	PG_TPS=$$(sed -n 's/^pg_peer accounts=100000 .*tps=\([0-9]*\).*/\1/p' \
		$(RELEASE_DIR)/bench/ledger.out | head -n 1) \
		./bench/run-api $(RELEASE_DIR)/app/tpwallet/tpwallet

# Long runs kept out of `make check`: the ledger model at 20M operations and 10,000
# crash-and-recover iterations (about an hour on 2 cores).
TORTURE_MODEL_OPS ?= 20000000
TORTURE_CRASHES ?= 10000
torture: build
	TPW_LEDGER_MODEL_OPS=$(TORTURE_MODEL_OPS) $(RELEASE_DIR)/tests/test_ledger_model
	./tests/crash/run-crash $(RELEASE_DIR)/app/tpwallet/tpwallet $(TORTURE_CRASHES)
	./tests/api/run-kill9 $(RELEASE_DIR)/app/tpwallet/tpwallet 200

lint: build
	./tools/tidy
	./tools/format-check
	./tools/analyze $(RELEASE_DIR)

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_ROOT)
