# litreview — run `make help` for the targets.
REVIEW ?= calf-massage
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help report test check lab notebooks clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

report: $(STAMP) ## build reports/$(REVIEW)/ (checks the tables, runs every notebook, exports)
	$(BIN)/litreview build --review $(REVIEW)

test: $(STAMP) ## unit tests plus nbval over the committed notebooks
	$(BIN)/python -m pytest -p no:cacheprovider tests --nbval notebooks --nbval-sanitize-with tests/nbval_sanitize.cfg

check: $(STAMP) ## validate the tables of $(REVIEW)
	$(BIN)/litreview check --review $(REVIEW)

lab: $(STAMP) ## open JupyterLab in the environment
	$(BIN)/jupyter lab notebooks

notebooks: $(STAMP) ## re-execute the committed notebooks in place (refreshes the outputs nbval compares)
	$(BIN)/litreview run-notebooks

clean: ## remove built reports
	rm -rf reports
