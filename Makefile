# The two commands (see README.md):  make synth   |   make test
# Both install whatever is missing first: pipenv itself, the locked Python packages (.venv/ in the project)
# and the pinned cdktf CLI (node_modules/), from the package registries only; `make test` also the real Quartz
# scheduler (Debian's libquartz2-java) and a JDK, which the Quartz differential test runs.

SHELL := /bin/bash
PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
PIPENV := $(PYTHON) -m pipenv

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CHECKPOINT_DISABLE := 1
# Wherever pip puts pipenv (the interpreter's scripts folder, or the user base for `--user`), keep it on PATH
# for `cdktf synth`, which runs `pipenv run python -O main.py`; and the pinned cdktf CLI before any other.
PYTHON_SCRIPTS := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
export PATH := $(CURDIR)/node_modules/.bin:$(PYTHON_SCRIPTS):$(shell $(PYTHON) -m site --user-base)/bin:$(PATH)

# The real Quartz scheduler that tests/core/test_quartz_against_real_quartz.py holds core/quartz.py against (with
# javac for its driver).
QUARTZ_JAR := /usr/share/java/quartz2.jar

.PHONY: help synth test lint install cdktf-synth bench bench-quartz snapshot-update describe graphs check-user-edits check-standalone clean

# -O: the synth runs without the provider bindings' runtime type checks (typeguard in `if __debug__:` blocks),
# which cost a third of its Python time; the config validation and the constructs' props checks have proven the
# inputs by then, and the tests (plain `python`) keep every check on.
help: ## List the targets with what each does
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F'\t' '{ printf "  make %-17s %s\n", $$1, $$2 }'

synth: install ## Synthesize one Terraform stack per environment into cdktf.out/
	$(PIPENV) run python -O main.py

test: lint $(QUARTZ_JAR) ## The linter and the type checker, then the unit, validation, snapshot, determinism and CLI tests
	$(PIPENV) run pytest

# Settings in pyproject.toml: ruff (pyflakes, bugbear, pyupgrade, simplify, syntax errors) and mypy (basic: the
# annotated functions), each over every Python file of the repository.
# Both always run, so one pass shows every finding; either failing fails the target.
lint: install ## ruff check and mypy
	$(PIPENV) run ruff check; ruff=$$?; $(PIPENV) run mypy && exit $$ruff

cdktf-synth: install ## The same synth through the pinned cdktf CLI
	cdktf synth

bench-quartz: install $(QUARTZ_JAR) ## How long the differential test against the real Quartz takes, and what it compares
	$(PIPENV) run python scripts/quartz_benchmark.py

bench: install ## Synth wall, CPU and peak memory for 1, 10, 100, 500 generated connectors, beside databricks-bundles
	$(PIPENV) run python scripts/benchmark.py

# After a change to connectors.yaml (or notebooks/, jobs/) you mean: the synth (which writes connectors.lock.json),
# the job pictures of it (docs/review.md), and each stack's reviewed snapshot; commit them and review their diff. Only the
# tests of your own config run here (tests/test_user_config.py): the platform's tests have fixtures of their own.
snapshot-update: install ## Rewrite the stack snapshots, the lock and the job pictures after a change you mean
	$(PIPENV) run python -O main.py
	$(call job_pictures,--from cdktf.out)
	$(PIPENV) run pytest tests/test_user_config.py --snapshot-update

# CI, after `make test`: in a copy of the repository (this checkout's installs linked, nothing installed), the
# docs' example edits to connectors.yaml and notebooks/, then `make snapshot-update` and `make test` must pass.
check-user-edits: install ## A user's edits (new connector, source, schedule, environment) keep the suite green
	$(PIPENV) run python scripts/check_user_edits.py

# CI, after `make check-user-edits`: in a copy of the repository alone in a temporary folder (no ../shared beside
# it; this checkout's installs linked, nothing installed), `make synth` and `make test` must pass, with the
# maintainer-only checks skipped with their message.
check-standalone: install ## A copy of the repository with nothing beside it passes make synth and make test
	$(PIPENV) run python scripts/check_standalone.py

describe: install ## Every job in words, with its next 3 fire times (synthesizes the config first)
	$(PIPENV) run python -m review describe

graphs: install ## Redraw the pictures of the jobs and the describe example in docs/review.md from a fresh synth
	$(call job_pictures)

# The prod stack's job pictures and describe example in docs/review.md; $(1): where from (default: a fresh synth).
define job_pictures
	$(PIPENV) run python -m review graph --env prod --doc docs/review.md $(1)
	$(PIPENV) run python -m review describe --env prod --now 2026-11-21T12:00:00+00:00 --doc docs/review.md $(1)
endef

install: .venv/.synced node_modules/.installed

.venv/.synced: Pipfile.lock
	@$(PIPENV) --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)" || \
		$(PYTHON) -m pip install --quiet --user "pipenv==$(PIPENV_VERSION)"
	$(PIPENV) sync --dev
	@# The optimized bytecode `python -O` reads (pip compiles only the plain one); without it every synth would
	@# compile the bindings anew.
	$(PIPENV) run python -O -m compileall -q -j 0 .venv/lib >/dev/null
	@touch $@

# Debian packages, installed as root or through sudo.
APT_GET = $(if $(filter 0,$(shell id -u)),,sudo) apt-get
$(QUARTZ_JAR):
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq --no-install-recommends libquartz2-java $(if $(shell command -v javac),,default-jdk-headless)

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

clean:
	rm -rf cdktf.out .cdktf.out.* .bench .pytest_cache .ruff_cache .mypy_cache
