VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION := 2.13.0
STAMP := $(VENV)/.installed

.PHONY: setup ocaml demo test test-tools bench bench-peers-setup reproduce lint clean

setup: $(STAMP) ocaml

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch goes in first and pinned: pip then keeps the local CPU build instead of pulling CUDA wheels.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet "torch==$(TORCH_VERSION)"
	$(PIP) install --quiet -e ".[dev,dask]"
	touch $(STAMP)

# The program-search engine (ocaml/). Debian's OCaml packages come in when dune is missing
# and we are root; otherwise one line says what to install and setup goes on without it.
OCAML_PACKAGES := ocaml-nox ocaml-dune libyojson-ocaml-dev

ocaml:
	@if ! command -v dune >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && apt-get install -y $(OCAML_PACKAGES); \
	fi
	@if command -v dune >/dev/null 2>&1; then \
		dune build --root ocaml; \
	else \
		echo "nslab: program search not built: install $(OCAML_PACKAGES) (apt-get, as root), then run make ocaml"; \
	fi

demo: setup
	$(VENV)/bin/nslab demo

# The tests drive the dashboard in tmux and in a headless Chromium (Debian's packages).
TEST_PACKAGES := tmux chromium
test-tools:
	@if ! command -v tmux >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update && apt-get install -y $(TEST_PACKAGES); \
		else \
			echo "nslab: install $(TEST_PACKAGES) (apt-get, as root) to run the terminal and browser tests"; \
		fi; \
	fi

test: setup test-tools
	$(PY) -m pytest -n 2 -q

# Speed and memory figures (printed, never asserted).
BENCH_SCRIPTS := bench/foundation.py bench/tracking.py bench/scale.py bench/dashboard.py bench/dask_executor.py bench/program_search.py bench/symbolic_distillation.py bench/peers.py
bench: setup
	@for script in $(BENCH_SCRIPTS); do echo "== $$script"; $(PY) $$script || exit 1; done

# Guild AI and MLflow, each in a venv of its own (never nslab's), for bench/peers.py to measure
# beside nslab; it skips one that is absent. NSLAB_PEERS moves them elsewhere.
PEERS_DIR := $(or $(NSLAB_PEERS),bench/.peers)
bench-peers-setup:
	python3 -m venv $(PEERS_DIR)/guild
	$(PEERS_DIR)/guild/bin/python -m pip install --quiet "guildai>=0.9,<0.10" pandas
	python3 -m venv $(PEERS_DIR)/mlflow
	$(PEERS_DIR)/mlflow/bin/python -m pip install --quiet "mlflow>=3,<4"

# Each family's reproduction (`nslab reproduce`): its published table at the `default` preset over
# five seeds, one sweep per family through the engine, reported as k/n seeds meeting each bar.
# Options pass through, e.g. make reproduce-deep_distilling REPRODUCE_OPTIONS="--seeds 3 --detach".
REPRODUCE_OPTIONS ?=
reproduce: setup
	$(VENV)/bin/nslab reproduce $(REPRODUCE_OPTIONS)
reproduce-%: setup
	$(PY) reproduce/$*.py $(REPRODUCE_OPTIONS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pyright
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) .nslab build *.egg-info
