# Every target sets up what it needs: a .venv with the project and its dev tools.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench soak golden clean browser

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

# the bundled sample articles, with the store in this checkout's .data
run: $(STAMP)
	FEEDSVC_DATA_DIR=.data $(BIN)/feedsvc serve

# PYTHONDONTWRITEBYTECODE: the tests write nothing into the checkout (but .venv)
test: $(STAMP) browser
	PYTHONDONTWRITEBYTECODE=1 $(BIN)/pytest -q

# The page tests drive Debian's chromium (Playwright's own browser download
# is not used); installing it needs root, as CI and these machines have.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: $(STAMP)
	$(BIN)/ruff check feedsvc tests bench
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

# wrk and nginx (Debian) are the serve benchmark's load and baseline.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx; }
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/latency.py

# the served service under load while its tree changes (bench/soak.py); MINUTES=30 for a long one
MINUTES ?= 10
soak: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(BIN)/python bench/soak.py --minutes $(MINUTES)

# tests/output/: what `feedsvc export` writes for the bundled samples, written
# anew on purpose (review the diff in the commit that changes it)
golden: $(STAMP)
	rm -rf tests/output
	data=$$(mktemp -d) && export FEEDSVC_SOURCE_DIR=feedsvc/defaults/samples FEEDSVC_DATA_DIR=$$data \
	  FEEDSVC_BASE_URL=http://127.0.0.1:8000/ && $(BIN)/feedsvc scan >/dev/null && $(BIN)/feedsvc export tests/output \
	  && rm -rf $$data

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
