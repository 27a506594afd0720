# Two commands do all the set-up on a fresh Debian machine: `make demo` and `make test`.
# The first interpreter that really runs and is 3.11 or 3.12 (durable-rules 2.0.28 fails on 3.13).
PY ?= $(shell for p in python3 python3.12 python3.11 /usr/bin/python3.12 /usr/bin/python3.11; do \
	  $$p -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null \
	  && { command -v $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
SAFEGUARD := $(BIN)/safeguard
# The example cohort (examples/cohort.jsonl) is generated as of this Friday, so `make demo`
# reads it as that week's worklist, the same on every machine (see examples/README.md).
AS_OF ?= 2026-12-04
# The synthetic SSD of the demo is made as of today (seeded: the same day gives the same SSD),
# so its worklist is this week's.
TODAY ?= $(shell date +%F)
MEMCHECK_CASES ?= 240
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all setup graphviz chromium postgresql demo test lint architecture docs-ssd schema images bench memcheck clean

all: test

# Recipes print one line per step; the apt-get fallbacks run (and print) only when a tool is
# missing. pip runs with -qq (errors only) and PYTHONWARNINGS=ignore silences setuptools'
# notes about editable installs: a clean set-up prints no warnings.
PIP := PYTHONWARNINGS=ignore $(BIN)/pip install -qq

$(BIN)/python:
	@test -n "$(PY)" || { echo "error: Python 3.11 or 3.12 is needed (apt-get install python3)"; exit 2; }
	@echo "Creating $(VENV) with $(PY)"
	@$(PY) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); echo "Installing python3-venv..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv >/dev/null \
	  && $(PY) -m venv $(VENV); }
	@$(PIP) --upgrade pip

# What running needs (make demo). durable-rules is built from source: a C compiler and the
# Python headers are installed first when missing.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	@echo "Installing safeguard and what it needs to run into $(VENV)"
	@$(PIP) -e . 2>/dev/null || { echo "Installing a C compiler and Python headers..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gcc python3-dev >/dev/null \
	  && $(PIP) -e .; }
	@touch $@

# The development tools on top (make test, make setup): pytest, ruff, mypy, hypothesis, ...
$(VENV)/.installed-dev: $(VENV)/.installed
	@echo "Installing the test tools into $(VENV)"
	@$(PIP) -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed-dev graphviz

graphviz:
	@command -v dot >/dev/null || { echo "Installing Graphviz (dot)..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz >/dev/null; }

chromium:
	@command -v chromium >/dev/null || { echo "Installing Chromium for the pack test..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The SSD tests start a throwaway PostgreSQL server (as the postgres user when run as root).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  echo "Installing PostgreSQL for the SSD tests..."; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

demo: $(VENV)/.installed graphviz
	@mkdir -p out
	$(SAFEGUARD) check
	$(SAFEGUARD) overdue examples/cohort.jsonl --as-of $(AS_OF) --limit 15
	$(SAFEGUARD) status examples/cohort.jsonl --as-of $(AS_OF) --format json > out/statuses.jsonl
	$(SAFEGUARD) draw procedure neglect -o out/neglect.svg
	$(SAFEGUARD) draw procedure neglect --page a4 -o out/neglect-a4.pdf
	$(SAFEGUARD) draw procedure neglect --page slide -o out/neglect-slide.png
	$(SAFEGUARD) draw case visualise/example_case.json --as-of 2022-09-14 --timeline -o out/example-timeline.svg
	$(SAFEGUARD) draw cohort examples/cohort.jsonl --as-of $(AS_OF) -o out/cohort-heatmap.svg
	$(SAFEGUARD) pack neglect -o out/neglect-pack.html
	$(SAFEGUARD) ssd-synth out/ssd.db --children 500 --messy 0.05 --as-of $(TODAY)
	$(SAFEGUARD) overdue --from out/ssd.db --as-of $(TODAY) --team T01 --limit 5
	$(SAFEGUARD) publish --from out/ssd.db --as-of $(TODAY)
	$(SAFEGUARD) ssd-quality --from out/ssd.db --as-of $(TODAY) > out/ssd-quality.txt
	@echo
	@echo "Demo output in $(CURDIR)/out/:"
	@ls -1 out | sed 's/^/  out\//'

# ruff over all the Python (engine, visualise, tests, bench); mypy over the shipped packages.
lint: setup
	$(BIN)/ruff check engine visualise tests bench
	$(BIN)/python -m mypy engine visualise

# pytest runs a worker per core (at most 4), a test file per worker at a time, so a file's
# shared fixtures (a built wheel, a drawn page) are made once; `make test TEST_JOBS=0` runs
# everything in this one process.
TEST_JOBS ?= auto
test: lint chromium postgresql
	$(BIN)/python -m pytest -n $(TEST_JOBS) --maxprocesses 4 --dist loadfile

# The README's pictures, from the bundled procedure and the pack's example case.
images: setup
	@mkdir -p docs/images
	$(SAFEGUARD) draw procedure neglect --page a4 -o docs/images/page-map-a4.png
	$(SAFEGUARD) draw case visualise/example_case.json --as-of 2022-09-14 --timeline -o docs/images/timeline.png

# The case and fact JSON Schemas in docs/schema/, from the bundled procedure (one source:
# engine/inputs/schema.py, which the service's OpenAPI document uses too).
schema: setup
	$(BIN)/python -m engine.inputs.schema

# docs/ssd.md's example outputs, from a synthetic SSD (checked by tests/inputs/test_docs_ssd.py).
docs-ssd: setup
	$(BIN)/python -m tests.docs_ssd

bench: setup postgresql
	$(BIN)/python bench/run.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/ssd.py

memcheck: setup
	@mkdir -p out
	@command -v valgrind >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq valgrind >/dev/null; }
	PYTHONMALLOC=malloc valgrind --errors-for-leak-kinds=none --leak-check=no \
	  --log-file=out/valgrind.log $(BIN)/python bench/memcheck.py $(MEMCHECK_CASES)
	$(BIN)/python bench/valgrind_report.py out/valgrind.log

# The layer picture in docs/architecture.md, drawn from the import graph the architecture
# test reads (tests/layers.py): docs/images/architecture.dot and .svg.
.PHONY: architecture
architecture: setup graphviz
	$(BIN)/python -m tests.layers docs/images/architecture.dot

clean:
	rm -rf $(VENV) out build dist *.egg-info
