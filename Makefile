# Every target bootstraps its own virtual environment: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= demo.db
DEMO_FROM := 2026-01-05# the first of the 180 simulated days
DEMO_AS_OF := 2026-07-03# the last of the 180 simulated days from 2026-01-05
O2C_DEMO = $(BIN)/o2c -d sqlite:///$(DEMO_DB)

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/o2c --database sqlite:///$(DEMO_DB) simulate --days 180 --customers 300 --seed 1
	$(BIN)/o2c --database sqlite:///$(DEMO_DB) report service --period month --as-of $(DEMO_AS_OF)
	$(BIN)/o2c --database sqlite:///$(DEMO_DB) report service --period all --by segment --as-of $(DEMO_AS_OF)
	@echo "Try next (tests/e2e/test_hints.py runs each of these):"
	@echo "  $(O2C_DEMO) report stockouts --by sku --as-of $(DEMO_AS_OF)"
	@echo "  $(O2C_DEMO) report suppliers --period all"
	@echo "  $(O2C_DEMO) report carriers --period all"
	@echo "  $(O2C_DEMO) report customers --from $(DEMO_FROM) --to $(DEMO_AS_OF)"
	@echo "  $(O2C_DEMO) order show SO-00000001"
	@echo "  $(O2C_DEMO) backorders"

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/order_entry.py
	$(BIN)/python bench/http_orders.py
	$(BIN)/python bench/promise.py
	$(BIN)/python bench/backorder_allocation.py
	$(BIN)/python bench/clv_fit.py
	$(BIN)/python bench/scorecard.py
	$(BIN)/python bench/customer_report.py
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DEMO_DB)*
