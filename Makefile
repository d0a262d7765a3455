# litreview — run `make help` for the targets.
# the review to work on; empty means the only review under data/ (the command refuses and lists them when
# there are several)
REVIEW ?=
REVIEW_FLAG := $(if $(REVIEW),--review $(REVIEW))
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help report test check lab notebooks browser pdf-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

pdf-deps: $(STAMP) ## make sure WeasyPrint finds Pango (installs Debian's libpango where the machine allows it)
	@$(BIN)/python -c "import weasyprint" >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's Pango for the PDF"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	  else echo "WeasyPrint cannot load Pango; install libpango-1.0-0 and libpangoft2-1.0-0"; exit 1; fi; }

report: $(STAMP) pdf-deps ## build reports/<review>/ (REVIEW=name; checks the tables, runs every notebook, exports)
	$(BIN)/litreview build $(REVIEW_FLAG)

browser: ## install Debian's chromium for the browser test, where the machine allows it (root with apt-get)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed and cannot be installed here: the browser test will be skipped"; fi; }

test: $(STAMP) pdf-deps browser ## ruff, then the unit tests plus nbval over the committed notebooks (and the browser tests)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -p no:cacheprovider tests --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg

check: $(STAMP) ## validate the tables of a review (REVIEW=name)
	$(BIN)/litreview check $(REVIEW_FLAG)

lab: $(STAMP) ## open JupyterLab on a review's own notebooks, lab/<review>/ (REVIEW=name), never on notebooks/
	$(BIN)/litreview lab $(REVIEW_FLAG)

notebooks: $(STAMP) ## re-execute the committed notebooks in place (refreshes the outputs nbval compares)
	$(BIN)/litreview run-notebooks

clean: ## remove built reports
	rm -rf reports
