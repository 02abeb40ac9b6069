# Two commands on a fresh machine: `make demo` (main job on the bundled sample) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/distill-guard: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

.PHONY: install demo test lint sample benchmark benchmark-spark evaluate ui clean
install: $(BIN)/distill-guard

demo: install
	$(BIN)/distill-guard demo

test: install
	$(BIN)/python -m pytest

# Style and architecture: ruff (Python), sqlfluff (SQL in sql/), import rules between the rooms.
lint: install
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint sql
	$(BIN)/lint-imports

# Regenerates data_samples/raw bit-identically (seed 7, 16 days from 2026-03-02, scale 0.03).
sample: install
	rm -rf data_samples/raw
	$(BIN)/distill-guard simulate --out data_samples/raw --quiet

benchmark: install
	$(BIN)/python -m benchmarks.run

# Both engines on the same days, Spark on local[2] (needs Java 17; 10M takes about an hour on 2 cores).
benchmark-spark: install
	$(BIN)/python -m benchmarks.run --sizes 1e6,1e7 --engines embedded,spark --spark-master 'local[2]' --out benchmarks/results_spark.md

evaluate: install
	$(BIN)/distill-guard evaluate

ui: install
	$(BIN)/distill-guard ui

clean:
	rm -rf $(VENV) warehouse
