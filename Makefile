# evaltop: two commands matter: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-peers reliability prices clean venv

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/evaltop demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench

bench-peers: $(STAMP)
	$(BIN)/python -m bench.peers

reliability: $(STAMP)
	EVALTOP_RELIABILITY=long $(BIN)/python -m pytest tests/reliability -p no:xdist --timeout=0

# Rebuild core/data/prices.json from LiteLLM's price file (docs/pricing.md):
#   make prices LITELLM=model_prices_and_context_window_backup.json VERSION=1.110.2 [AS_OF=2026-12-06]
prices: $(STAMP)
	@test -n "$(LITELLM)" -a -n "$(VERSION)" || { echo "usage: make prices LITELLM=path/to/litellm-prices.json VERSION=x.y.z [AS_OF=YYYY-MM-DD]" >&2; exit 2; }
	$(BIN)/python -m evaltop.core.ingest.pricing.refresh "$(LITELLM)" --version "$(VERSION)" $(if $(AS_OF),--as-of "$(AS_OF)")

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
