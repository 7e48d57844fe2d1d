# Two commands: `make run` (set up and start) and `make test` (set up and run the suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
HOST   ?= 127.0.0.1

.PHONY: setup run test bench db demo clean fuzz screenshots

$(STAMP): requirements.txt requirements-test.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Se necesita Python 3.11 o más nuevo")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	@touch $(STAMP)

setup: $(STAMP)

db: setup
	@$(PY) -m reconcile init-db

# sige.base_url follows the emulator's port on the demo's database (never a real SIGE's
# address: see reconcile/demo_setup.py follow_emulator).
demo: db
	@$(PY) -m reconcile demo --if-empty --sige-url http://127.0.0.1:$(SIGE_PORT)

# The local SIGE emulator stands in for SIGE with the demo school's nómina and convenio
# (reconcile/demo_setup.py DEMO_CREDENTIALS); the worker sends what `sync` queued and follows
# each ticket. Both stop with the panel (Ctrl-C), and make waits until they are gone.
SIGE_PORT ?= 8765
DEMO_NOMINA = $(firstword $(wildcard data/demo/nomina_sige_sostenedor.xlsx) data/demo/nomina_sige.xlsx)

run: demo
	@emulator=""; \
	if [ -f $(DEMO_NOMINA) ]; then \
	  $(PY) -m reconcile emulator --port $(SIGE_PORT) --nomina $(DEMO_NOMINA) \
	    --credentials demo-cliente:demo-convenio:demo-token --delay 20 \
	    > data/emulator.log 2>&1 & emulator=$$!; \
	  echo "SIGE de prueba: http://127.0.0.1:$(SIGE_PORT) (registro en data/emulator.log)"; \
	fi; \
	$(PY) -m reconcile worker > data/worker.log 2>&1 & worker=$$!; \
	echo "Trabajador de envíos a SIGE (registro en data/worker.log)"; \
	trap 'kill $$worker $$emulator 2>/dev/null; wait' EXIT INT TERM; \
	echo "Panel: http://$(HOST):$(PORT)  (Ctrl-C para detener; registro en data/panel.log)"; \
	$(PY) -m streamlit run dashboard.py --server.headless true --server.address $(HOST) \
		--server.port $(PORT) --browser.gatherUsageStats false > data/panel.log 2>&1 \
		|| { echo "El panel se detuvo con un error (data/panel.log):"; tail -n 20 data/panel.log; }

# The layers first (.importlinter: it names the arrow that breaks them), then the suite.
test: setup
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

# The importers against many more hostile files than `make test` tries (500, always the
# same): a fresh random seed each run; a failure is kept in .hypothesis/ and replayed first
# next time. E.g. FUZZ_EXAMPLES=20000 make fuzz
FUZZ_EXAMPLES ?= 20000

fuzz: setup
	IMPORT_FUZZ_PROFILE=importers-long FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q \
		--hypothesis-show-statistics tests/test_import_fuzz.py -k hostile_file_is

# PostgreSQL too, beside SQLite, in the benchmarks that take --database-url, when
# BENCH_DATABASE_URL is given (by default the test suite's TEST_DATABASE_URL), e.g.
# make bench BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
BENCH_DATABASE_URL ?= $(TEST_DATABASE_URL)

bench: setup
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r bench/requirements.txt
	@for script in bench/bench_*.py; do echo "== $$script"; extra=""; \
	  if [ -n "$(BENCH_DATABASE_URL)" ] && grep -q -- "--database-url" $$script; then \
	    extra="--database-url $(BENCH_DATABASE_URL)"; fi; \
	  $(PY) $$script $$extra || exit 1; done

# The guide's pictures (docs/img/): the demo on a database of its own, sent to a local SIGE
# emulator, each page opened in Chromium as each role (docs/screenshots.py).
screenshots: setup
	$(PY) docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
