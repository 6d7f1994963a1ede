# survey-deck: `make report` builds the deck from the sample waves; `make test` runs the tests.
# Both set up .venv on first use (Python >= 3.11 is all that is needed).
# SURVEY picks the survey, a folder of config/: `make report SURVEY=hus` builds the patient-feedback example.

SURVEY ?= 1177

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: help setup report report-en test test-fast lint bench golden synth template render validate docs clean

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Error: python3.11 (or python3 >= 3.11) not found on PATH" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "Error: $(PYTHON) is older than Python 3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the project with its test tools

report: $(STAMP) ## Build output/<survey>-<newest wave>.pptx (+ .xlsx, charts, manifest); SURVEY=1177 (default) or hus
	$(BIN)/survey-deck synth --survey $(SURVEY) --missing
	$(BIN)/survey-deck report --survey $(SURVEY)

report-en: $(STAMP) ## Build the English deck output/<survey>-<wave>-en.pptx
	$(BIN)/survey-deck synth --survey $(SURVEY) --missing
	$(BIN)/survey-deck report --survey $(SURVEY) --lang en

test: lint ## Lint, types and layer contracts (make lint), then the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff, mypy --strict (on pipeline/, as pyproject.toml says) and the stage layering contracts
	$(BIN)/ruff check pipeline tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test-fast: $(STAMP) ## Run the tests that do not build a whole deck
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP) ## Benchmarks: deck vs floor, 1,000,000 respondents, raking vs R, charts per kind
	$(BIN)/python bench/run.py

golden: $(STAMP) ## Regenerate the R survey golden values in tests/golden (needs r-base-core, r-cran-survey)
	Rscript tests/r/golden.R tests/golden

synth: $(STAMP) ## Regenerate the survey's sample waves from its population model (files.synth in survey.yaml)
	$(BIN)/survey-deck synth --survey $(SURVEY)

template: $(STAMP) ## Rebuild the brand templates (templates/1177.pptx, templates/hospital.pptx) from templates/make_template.py
	$(BIN)/python templates/make_template.py --brand 1177
	$(BIN)/python templates/make_template.py --brand hospital

validate: $(STAMP) ## Check config and wave files without building anything
	$(BIN)/survey-deck validate --survey $(SURVEY)

docs: $(STAMP) ## Regenerate docs/config.md, the config reference, from the config and kind models
	$(BIN)/python -m pipeline.configdoc docs/config.md

render: ## Convert the newest deck to PNG pages in output/pages (needs LibreOffice and pdftoppm)
	@deck=$$(ls -t output/*.pptx | head -n 1); mkdir -p output/pages; \
	soffice --headless --convert-to pdf --outdir output/pages "$$deck" >/dev/null && \
	pdftoppm -png -r 60 output/pages/$$(basename "$$deck" .pptx).pdf output/pages/page && echo "pages in output/pages/"

clean: ## Remove outputs and caches (keeps .venv)
	rm -rf output/*.pptx output/*.xlsx output/*.json output/*-charts output/.cache output/pages .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
