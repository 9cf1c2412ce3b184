# Set-up and checks for gft. Every target creates .venv on first use and installs into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Tests and chapters read the UCI files from ../shared/datasets when that folder exists;
# elsewhere the loader's own lookup applies ($GFT_DATA_DIR, then the per-user cache).
ifneq ($(wildcard ../shared/datasets),)
export GFT_DATA_DIR ?= $(abspath ../shared/datasets)
endif
# Threads per process: 2 for a process alone on the 2-core machine. Where several run at once
# (pytest -n 2, papermill kernels), one thread each: two torch processes with two OpenMP
# threads each on two cores spin against each other and run many times slower. A two-thread
# process beside a busy one-thread process (a sweep from `make results`) spins too: run it with
# OMP_WAIT_POLICY=PASSIVE (a chapter that takes a minute alone ran
# over 20 minutes beside a sweep without it, 69 s with it).
export OMP_NUM_THREADS ?= 2
# Extra pip arguments for the torch wheel (e.g. the CPU index, see the venv target).
TORCH_PIP_ARGS ?=

.PHONY: venv test test-fast book notebooks results bench margins clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, so that pyproject's open range is satisfied by it. On Linux, PyPI's wheel is the
	# CUDA build (several GB); where no local index supplies the CPU one, pass
	# TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu".
	$(BIN)/python -m pip install -q torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -q -e ".[test,book,distributed]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

## make test: the book first - every chapter executed at the `book` preset, the preset of the pages,
## with its claims asserted (a failing claim fails the build) - then the unit tests (with the
## notebook pairing test and papermill runs of every chapter at `smoke`) against that build,
## then every built page loaded in headless Chromium, offline (skipped, saying so, without it).
test: $(STAMP)
	$(MAKE) book
	GFT_PRESET=smoke GFT_BOOK_HTML=$(CURDIR)/_build/html OMP_NUM_THREADS=1 \
	  $(BIN)/python -m pytest -n 2 --dist loadfile tests
	$(BIN)/python tests/browser_check.py _build/html

## make test-fast: the unit tests alone.
test-fast: export OMP_NUM_THREADS = 1
test-fast: $(STAMP)
	GFT_PRESET=smoke $(BIN)/python -m pytest -n 2 --dist loadfile tests -m "not slow"

## make notebooks: re-execute every chapter at its default (book) preset into the paired .ipynb.
notebooks: $(STAMP)
	for py in notebooks/[0-9]*.py; do \
	  $(BIN)/jupytext --set-kernel python3 --execute --sync "$$py" || exit 1; \
	done

## make book: execute the chapters (cached) at their default preset and build _build/html.
## A chapter whose claim fails stops the build; its traceback is printed from the build's reports.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going || { \
	  for log in _build/html/reports/*.err.log; do [ -f "$$log" ] && tail -n 30 "$$log"; done; exit 1; }

## make results: continue the full-protocol sweep (resumable), see book/results/README.md.
results: export OMP_NUM_THREADS = 1
results: $(STAMP)
	$(BIN)/python -m gft sweep --plan book/results/plan.txt --out book/results/paper

## make margins: each chapter's claims over seeds 0-4 at the book preset (book/results/claims/).
margins: $(STAMP)
	$(BIN)/python benchmarks/claim_margins.py --seeds 0 1 2 3 4 --out book/results/claims/margins.csv

## make bench: the speed and time-to-accuracy benchmark of the engine.
bench: $(STAMP)
	$(BIN)/python -m gft bench

clean:
	rm -rf _build .jupyter_cache .pytest_cache
