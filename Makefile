# Two commands on a fresh machine (Python 3.11+ and make):
#   make demo   classify the shipped example tickets into a demo ledger (creates .venv on first use)
#   make test   run the whole test suite (creates .venv on first use)

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The demo keeps its own ledger, so it never touches the one in your data folder.
DEMO_LEDGER := build/demo-ledger.sqlite3

demo: $(BIN)/.installed
	rm -f $(DEMO_LEDGER) $(DEMO_LEDGER)-wal $(DEMO_LEDGER)-shm
	$(BIN)/scopecheck classify examples/harbor-vale/agreement.yaml examples/harbor-vale/tickets.csv --format table --ledger $(DEMO_LEDGER)
	$(BIN)/scopecheck classify examples/riverside/agreement.yaml examples/riverside/tickets.json --format table --ledger $(DEMO_LEDGER)
	$(BIN)/scopecheck classify examples/cobalt-dental/agreement.yaml examples/cobalt-dental/tickets.csv --format table --ledger $(DEMO_LEDGER)
	$(BIN)/scopecheck history examples/riverside/agreement.yaml --requester maria@riverside-trust.example --format table --ledger $(DEMO_LEDGER)
	$(BIN)/scopecheck balance examples/cobalt-dental/agreement.yaml --as-of 2026-11-30 --ledger $(DEMO_LEDGER)

test: $(BIN)/.installed
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist
