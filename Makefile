# Two commands on a fresh machine (Python 3.11+ and make):
#   make demo   classify the shipped example tickets (creates .venv on first use)
#   make test   run the whole test suite (creates .venv on first use)

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: demo test clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/scopecheck classify examples/harbor-vale/agreement.yaml examples/harbor-vale/tickets.csv --format table
	$(BIN)/scopecheck classify examples/riverside/agreement.yaml examples/riverside/tickets.json --format table

test: $(BIN)/.installed
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist
