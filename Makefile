# ccd: two commands matter.
#   make run    start ccd (with a private PostgreSQL when no database is configured)
#   make demo   ccd against a simulated Asterisk with simulated callers (web interface)
#   make test   vet, staticcheck and every test with the race detector, against a
#               throwaway PostgreSQL cluster
GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VERSION     := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)

.PHONY: run demo test asterisk-suite-note build vet lint bench bench-acd fuzz e2e integration postgres-server clean

# Ctrl-C reaches every process of the terminal's foreground group, make too, and
# make then reports "Interrupt" although ccd shuts down cleanly and exits 0. With
# job control (set -m) bash runs ccd as a job of its own that holds the terminal:
# Ctrl-C goes to ccd alone and make sees it exit 0. Without a terminal there is
# no Ctrl-C, and no job control to set up. The binary is built first because
# `go run` exits 1 after an interrupt whatever its program did.
run: postgres-server build
	@echo bin/ccd serve
	@bash -c 'if [ -t 0 ]; then set -m; fi; bin/ccd serve; exit $$?'

# ccd with no PBX: a simulated Asterisk, simulated callers and agents and a
# throwaway PostgreSQL; it prints the web interface's address and logins.
demo: postgres-server build
	@bash -c 'if [ -t 0 ]; then set -m; fi; bin/ccd demo; exit $$?'

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ccd ./cmd/ccd

test: postgres-server vet lint
	$(GO) run ./internal/tools/withpg -- $(GO) test -race -count=1 ./...
	@$(ASTERISK_SUITE_NOTE)

# go test shows no skip message of a package that passes, so the skip of the
# real-Asterisk suite (e2e/) is said here.
ASTERISK_SUITE_NOTE = [ "$$CCD_ASTERISK_TEST" = 1 ] || echo "real-Asterisk suite skipped: CCD_ASTERISK_TEST is not 1; set it and the CCD_ARI_*/CCD_AMI_* credentials of an Asterisk configured as the README says, or run make e2e (see README)"

asterisk-suite-note:
	@$(ASTERISK_SUITE_NOTE)

vet:
	@out=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint:
	$(GO) run $(STATICCHECK) ./...

# Benchmarks behind the numbers in the README (a real PostgreSQL is started for the
# event-log one).
bench: postgres-server
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./ami ./ari
	$(GO) test -run '^$$' -bench . -benchmem ./acd
	$(GO) run ./internal/tools/withpg -- $(GO) test -run '^$$' -bench Append -benchtime 200000x ./store
	$(GO) run ./internal/tools/withpg -- $(GO) test -run '^$$' -bench FanoutLatency -benchtime 20000x ./store
	$(GO) run ./internal/tools/withpg -- $(GO) test -run '^$$' -bench Consumer -benchtime 200000x ./eventlog/consume
	$(GO) test -run '^$$' -bench ConfigChangeToOffer -benchtime 500x ./dialplan/queue
	$(GO) run ./internal/tools/withpg -- $(GO) test -run '^$$' -bench AdminChangeToOffer -benchtime 500x ./daemon
	$(GO) run ./internal/tools/withpg -- $(GO) run ./bench/livesessions

# ccd against app_queue on a real Asterisk (bench/acdlatency/README.md): agent
# ready -> agent rung, call queued -> agent rung, p50/p99 over 200 calls each.
bench-acd: postgres-server
	$(GO) run ./internal/tools/withpg -- $(GO) run ./bench/acdlatency -n 200

# Short fuzzing of the protocol parsers; the corpus lives in */testdata/fuzz.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 30s ./ami
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./ari
	$(GO) test -run '^$$' -fuzz FuzzTranslate -fuzztime 30s ./integrations/crmdb

# The end-to-end suite (e2e/) against a real Asterisk configured as in the README
# (CCD_ASTERISK_TEST=1). `make integration` is its former name, kept as an alias.
e2e: postgres-server
	CCD_ASTERISK_TEST=1 $(GO) run ./internal/tools/withpg -- $(GO) test -count=1 -v ./e2e/...

integration: e2e

# PostgreSQL's server binaries: ccd starts its own cluster from them when no
# database is configured, and the tests start a throwaway one.
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  echo "PostgreSQL server not found: installing it with apt-get"; \
	  $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; }

clean:
	rm -rf bin
