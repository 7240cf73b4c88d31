# A thin wrapper over tox (tox.ini) and the scripts in ci/.
# `make` or `make help` lists the targets. Every target works on a fresh
# Debian machine that has only python3 and pip: the `tools` step installs
# tox and tox-uv, the `browser` step Debian's chromium and chromium-driver.

.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
# Through the interpreter: a `pip install --user` puts the tox script in a
# folder that may not be on PATH.
TOX = $(PYTHON) -m tox
# `make test` runs tox.ini's env_list, `make matrix` its label `matrix`; a
# new env goes there. TEST_ENVS=core,py313-core runs those envs instead.
TEST_ENVS ?=
TOX_ENVS = $(if $(TEST_ENVS),-e $(TEST_ENVS))
# tox runs through ci/pythons.py, which finds CPython 3.11 to 3.13 for the
# py311/py312/py313 envs without pyenv's shell set-up.
TOX_PYTHONS = $(PYTHON) ci/pythons.py $(TOX)
# Extra arguments for the test runner, e.g. make demo ARGS='-t browser'.
ARGS ?=

.PHONY: help install tools browser grid-tools test matrix demo bench bench-ab bench-inproc stress consumers lint typecheck release-check format docs changelog clean all

help: ## Show this list of targets.
	@echo 'Usage: make <target>  (ARGS=... passes arguments to demo and bench)'
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z_-]*:.*## / {printf "  %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: tools ## Install tox and tox-uv, then create the test envs without running them.
	$(TOX_PYTHONS) run $(TOX_ENVS) --notest

tools: ## Install tox and tox-uv (which brings uv) when missing.
	@$(PYTHON) ci/install-tools.py

browser: ## Install Debian's chromium and chromium-driver when missing (needs root).
	bash ci/install-browser.sh

grid-tools: ## Install Java 17 and the npm packages of the grid env and the serve tests (ci/install-grid.sh).
	bash ci/install-grid.sh

test: tools browser grid-tools ## Run the whole suite (tox.ini's env_list, under 30 minutes).
	$(TOX_PYTHONS) run $(TOX_ENVS)

matrix: tools browser grid-tools ## Run every cell: Python 3.11-3.13, Zope 5 and 6, Plone 6.1 and 6.2 (about an hour).
	@echo 'make matrix: every env of the label `matrix` in tox.ini, about an hour on 2 cores (estimated from the times of make test: docs/support.rst).'
	time $(TOX_PYTHONS) run -m matrix

demo: tools browser ## Run the documented examples under zope.testrunner, with a headless Chromium.
	$(TOX) run -e demo -- $(ARGS)

stress: tools ## Run the stress suite: hostile input, load, soak, faults (about 1 minute).
	$(TOX) run -e stress -- $(ARGS)

consumers: tools browser ## Run gocept.selenium 7.1's own tests on ours and on 4.0 from PyPI, side by side (about 5 minutes).
	$(TOX) run -e consumers,consumers-4x -- $(ARGS)

bench: tools ## Print the benchmark figures (a few minutes).
	bash ci/apt-install.sh wrk=/usr/bin/wrk
	$(TOX) run -e bench -- $(ARGS)

bench-ab: tools ## The server beside git revision BEFORE, paired: make bench-ab BEFORE=rev [ARGS=...].
	@test -n "$(BEFORE)" || { echo 'make bench-ab BEFORE=<git revision> (see benchmarks/ab.py)'; exit 2; }
	bash ci/apt-install.sh wrk=/usr/bin/wrk
	$(TOX) run -e bench-ab -- --before $(BEFORE) $(ARGS)

bench-inproc: tools ## The engine's CPU per request beside revision BEFORE's, in one process: make bench-inproc BEFORE=rev.
	@test -n "$(BEFORE)" || { echo 'make bench-inproc BEFORE=<git revision> (see benchmarks/inproc.py)'; exit 2; }
	$(TOX) run -e bench-inproc -- --before $(BEFORE) $(ARGS)

lint: tools ## Check the code with ruff and the shape of every packages/*/pyproject.toml.
	$(TOX) run -e lint

typecheck: tools ## Check the type hints of packages/*/src with mypy --strict.
	$(TOX) run -e typecheck

release-check: tools ## Build every distribution's sdist and wheel and check them with twine.
	$(TOX) run -e release-check

format: tools ## Format the code and apply ruff's fixes (changes files).
	$(TOX) run -e format

docs: tools browser ## Build the documentation into docs/_build/html (graphviz draws its pictures) and load every page in Chromium.
	$(TOX) run -e docs

changelog: tools ## Print each distribution's next CHANGES.rst section, drafted from its news/ fragments.
	$(TOX) run -e changelog

clean: ## Remove tox envs, builds and caches.
	rm -rf .tox docs/_build .ruff_cache .pytest_cache dist build
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +

all: ## Format the code, then run the whole suite.
	$(MAKE) format
	$(MAKE) test
