#!/usr/bin/env python
"""Shows that tests/connectors_config/test_loader_fuzz.py is needed: with each validator of connectors.yaml disabled in turn, does
the fuzz fail?

Each validator (a YAML check, a cross-field check, a rule or constraint of the model, a check of the jobs section,
a Quartz rule, a name rule...) is disabled in a fresh Python process of its own, by a monkeypatch or by patching
its module's source in memory as it is imported (no file is changed), and the fuzz test's own property function
(`fuzz_parse_config`) runs, so Hypothesis derives from it the same derandomized variants the test checks (without
shrinking). "caught" means a variant that the intact code handles correctly now fails the property; the table
shows the first one. Variants that fail with the intact code (real bugs the fuzz found) are listed first and
skipped in the other runs, so each row says what that one validator adds.

    .venv/bin/python scripts/fuzz_without_validators.py [--examples N] [--jobs N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.abc
import importlib.machinery
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scenario:
    """One validator disabled: `source` replaces text in module sources as they are imported ({module: [(old,
    new)]}, every occurrence, at least one); `returns` makes functions return a value at once ([(module,
    function or 'Class.method', value)]); `patch` runs after the project is imported (monkeypatches)."""

    name: str
    what: str
    source: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    returns: tuple[tuple[str, str, str], ...] = ()
    patch: Callable[[], None] | None = None


def returns(module: str, function: str, value: str) -> dict:
    """Scenario arguments that make `function` of `module` return `value` (source text) before doing anything."""
    return {"returns": ((module, function, value),)}


def _no_source_settings_check() -> None:
    from connectors_config.sources import _connector_source  # late: patched in the child process only

    _connector_source().SourceSpec.problems = lambda self, settings: {}


NONE = "None"
EMPTY = "[]"
NO_PROBLEMS = "iter(())"
M, Q, C, J, K, N = ("connectors_config.model", "core.quartz", "connectors_config.checks",
                    "connectors_config.jobs", "core.job_settings", "connectors_config.names")
JL, JS, JC = "connectors_config.jobs_load", "connectors_config.jobs_substitute", "connectors_config.jobs_checks"
JD = "connectors_config.jobs_derived"

SCENARIOS = [
    # --- reading YAML
    Scenario("yaml: duplicate keys", "a key written twice in a mapping (yaml_lines.read)",
             {"connectors_config.yaml_lines": [("        if key in written:", "        if False:")]}),
    # (not the alias bound: without it an alias bomb variant would take all memory)
    *[Scenario(f"yaml: {name}", f"{what} (yaml_lines._check_events), config and job files",
               {"connectors_config.yaml_lines": [(condition, "False")]}) for name, what, condition in [
        ("tags", "!foo, !!python/object... on a value, list or mapping", "tag is not None and tag not in _CORE_TAGS"),
        ("nesting depth", "lists and mappings nested more than 100 deep", "len(open_collections) + extent.depth > "
                                                                          "MAX_DEPTH"),
        ("over-long values", "a key or value over 10,000 characters", "len(event.value) > MAX_VALUE_CHARACTERS"),
        ("second document", "'---' and more after the first document", "documents > 1"),
    ]],
    Scenario("yaml: %YAML directive", "yaml_lines.version_problem, config and job files",
             **returns("connectors_config.yaml_lines", "version_problem", NONE)),
    Scenario("yaml: ambiguous numbers", "yaml_lines.ambiguous_numbers (0755, 1_000, 0o17), config and job files",
             **returns("connectors_config.yaml_lines", "ambiguous_numbers", NO_PROBLEMS)),
    # --- checks.py (cross-field)
    Scenario("checks.cross_field_problems", "every cross-field rule", **returns(C, "cross_field_problems", EMPTY)),
    *[Scenario(f"checks.{name}", what, **returns(C, name, NO_PROBLEMS)) for name, what in [
        ("_unique_connector_names", "connector names are unique"),
        ("_known_environments", "per-environment maps name environments of the file"),
        ("_environments_stay_apart", "environments do not share or name each other's catalog, run_as, folder"),
        ("_connections", "every environment has its own connection"),
        ("_unique_destinations", "two ingested objects do not land in one table"),
        ("_sources", "batch connectors run a source of notebooks/, with its settings and secrets"),
        ("_acknowledgements_match", "an acknowledgement names the configured connection"),
        ("_replacements", "the lock's guard of protected pipelines"),
        ("_suppressions", "policy suppressions name known environments, once"),
        ("_credentials_in_settings", "connector settings hold no token, URL password or credential-key literal"),
        ("_renames", "renamed_from names what nothing is named now, not the entry's own name, and is claimed once"),
        ("_personal_targets", "personal_targets only where schedules are paused"),
    ]],
    Scenario("checks._sources: secret names", "declared secrets are exactly '<connector>-<role>'",
             {C: [("            if secret not in declared:", "            if False:"),
                  ("            if secret not in expected:", "            if False:")]}),
    Scenario("sources: SourceSpec.problems", "a source's settings: known, required, of their kind",
             patch=_no_source_settings_check),
    # --- model.py
    Scenario("model: strict types", "strict=True (no '3' for 3, no 'yes' for true)",
             {M: [('extra="forbid", frozen=True, strict=True', 'extra="forbid", frozen=True, strict=False')]}),
    Scenario("model: unknown keys", 'extra="forbid"',
             {M: [('extra="forbid", frozen=True, strict=True', 'extra="ignore", frozen=True, strict=True')]}),
    Scenario("model._one_old_name", "renamed_from is one name, not a list", **returns(M, "_one_old_name", "value")),
    Scenario("model._quartz", "connectors' schedules are Quartz", **returns(M, "_quartz", "value")),
    Scenario("model._timezone", "defaults.timezone is a time zone", **returns(M, "_timezone", "value")),
    Scenario("model._instant", "initial_mark is a point in time with its zone", **returns(M, "_instant", "value")),
    Scenario("model.Workspace._one_way_to_find_it", "a workspace names a host or a profile",
             **returns(M, "Workspace._one_way_to_find_it", "self")),
    Scenario("model.Backend._exactly_one", "exactly one backend kind", **returns(M, "Backend._exactly_one", "self")),
    Scenario("model.TableOptions._one_column_selection", "not both include_columns and exclude_columns",
             **returns(M, "TableOptions._one_column_selection", "self")),
    Scenario("model.IngestedObject._no_destination_catalog", "no destination_catalog on an object",
             **returns(M, "IngestedObject._no_destination_catalog", "data")),
    Scenario("model.IngestedObject._table_or_schema", "an object names exactly one of table and schema",
             **returns(M, "IngestedObject._table_or_schema", "self")),
    Scenario("model: retries bounds", "max_retries 0-10, min_retry_interval_millis >= 0",
             {M: [("Annotated[int, Field(ge=0, le=10)] = 3", "int = 3"),
                  ("Annotated[int, Field(ge=0)] = 2000", "int = 2000")]}),
    Scenario("model: num_workers bounds", "num_workers 0-100",
             {M: [("num_workers: Annotated[int, Field(ge=0, le=100)] = 1", "num_workers: int = 1")]}),
    Scenario("model: timeout_seconds >= 0", "defaults' and connectors' timeout_seconds",
             {M: [("timeout_seconds: Annotated[int, Field(ge=0)] | None = None",
                   "timeout_seconds: int | None = None")]}),
    Scenario("model: non-empty strings", "min_length=1: compute, profile, backend fields",
             {M: [("Field(min_length=1)]", "Field()]")]}),
    Scenario("model: description length", "description at most 1000 characters",
             {M: [("description: Annotated[str, Field(max_length=1000)] | None", "description: str | None")]}),
    Scenario("model: tag value length", "tag values at most 255 characters",
             {M: [("Annotated[str, Field(max_length=255)]]", "str]")]}),
    Scenario("model: acknowledgement reason", "reason in words, 10-1000 characters",
             {M: [("reason: Annotated[str, Field(max_length=1000), AfterValidator(lambda v: _reason(v, 10))]",
                   "reason: str")]}),
    Scenario("suppressions.reason_problem", "reasons in words, no invisible characters, no credential",
             **returns("policy.suppressions", "reason_problem", NONE)),
    Scenario("name_characters.character_problem", "no invisible, look-alike or mixed-script characters in names",
             **returns("core.name_characters", "character_problem", NONE)),
    Scenario("model: non-empty collections", "environments, connection and objects have an entry",
             {M: [("Environment], Field(min_length=1)]", "Environment], Field()]"),
                  ('        min_length=1, description="the Unity Catalog', '        description="the Unity Catalog'),
                  ('        min_length=1, description="the source tables', '        description="the source tables')]}),
    # --- names.py (each rule, wherever it is used)
    *[Scenario(f"names.{name}", what, **returns(N, name, NONE)) for name, what in [
        ("identifier_problem", "catalogs, schemas, connectors, connections, tables, job keys, variables"),
        ("destination_schema_problem", "destination_schema is a schema, not catalog.schema"),
        ("source_object_problem", "tables, schemas and columns of the source"),
        ("environment_name_problem", "environment names, also as keys of per-environment maps"),
        ("secret_scope_problem", "secret scope names"),
        ("secret_name_problem", "secret names, and secret values where a name belongs (never echoed)"),
        ("service_principal_problem", "run_as is an application ID"),
        ("group_problem", "group names without surrounding spaces"),
        ("broad_group_problem", "no users / account users as admins, team or owners"),
        ("workspace_host_problem", "the workspace host is https://<host>"),
        ("email_problem", "e-mail addresses"),
        ("tag_key_problem", "tag keys"),
        ("workspace_dir_problem", "workspace folder: absolute, not under /Shared, /Users, /Repos"),
    ]],
    # --- quartz.py (for the model and the job checks alike)
    Scenario("quartz: field count", "6 or 7 fields (5 is unix cron)",
             {Q: [("    if len(fields) == 5:", "    if False:"),
                  ("    if len(fields) not in (6, 7):", "    if False:")]}),
    Scenario("quartz: value ranges", "each field's values in its range",
             {Q: [("        if not f.lo <= n <= f.hi:", "        if False:")]}),
    Scenario("quartz: days that never come", "'30 FEB' never fires",
             {Q: [("    _reject_days_never_in(day_of_month, months, fields[3])", "    pass")]}),
    Scenario("quartz: one day field", "'?' in exactly one of day-of-month and day-of-week",
             {Q: [("    if not dom_free and not dow_free:", "    if False:"),
                  ("    if dom_free and dow_free:", "    if False:")]}),
    Scenario("quartz: steps", "steps from 1 to the field's maximum",
             {Q: [("    if n < 1:", "    if False:"), ("    if n > f.max_step:", "    if False:")]}),
    Scenario("quartz: backwards ranges", "'50-10' is written as two ranges",
             {Q: [("    if start > end:", "    if False:")]}),
    Scenario("quartz: '?' outside the day fields", "'?' only in day-of-month and day-of-week",
             {Q: [('    if "?" in text:\n        raise _Invalid(f"\'?\' is only allowed',
                   '    if False:\n        raise _Invalid(f"\'?\' is only allowed')]}),
    # --- jobs.py (the jobs section)
    Scenario("jobs.check_jobs", "the whole jobs section (the model still takes each entry)",
             **returns(J, "check_jobs", "({k: {'job_level': v.get('job_level'), 'origin': config_file, 'directory': "
                                        "'', 'settings': {}} if isinstance(v, dict) else v "
                                        "for k, v in data['jobs'].items()}, [])")),
    Scenario("jobs.schema_problems", "Databricks' bundle JSON schema", **returns(JC, "schema_problems", EMPTY)),
    Scenario("jobs.provider_problems", "fields provider 1.99.0 cannot deploy",
             **returns(JC, "provider_problems", EMPTY)),
    Scenario("jobs.permission_problems", "a permission names one principal",
             **returns(JC, "permission_problems", EMPTY)),
    Scenario("jobs.name_problems", "job names and principals without look-alike characters",
             **returns(JC, "name_problems", EMPTY)),
    Scenario("identities.cross_environment_problems", "connectors' run_as, owners, settings name no other "
             "environment's principal, group, catalog", **returns("connectors_config.identities",
                                                                   "cross_environment_problems", EMPTY)),
    Scenario("identities.job_problems", "a job's values name nothing of another environment (any case)",
             **returns("connectors_config.identities", "job_problems", EMPTY)),
    Scenario("job_settings._secret_problem", "{{secrets/<scope>/<key>}} only in a cluster's spark_conf, spark_env_vars",
             **returns(K, "_secret_problem", NONE)),
    Scenario("jobs_checks.secret_reference_problems", "a cluster's secret reference reads the environment's own scope",
             **returns(JC, "secret_reference_problems", EMPTY)),
    Scenario("workspace_paths.normalize_workspace_path", "'..', '//', '/Workspace' read as the workspace does",
             **returns("core.workspace_paths", "normalize_workspace_path", "path")),
    Scenario("jobs: unknown job references", "${resources.jobs.<key>.id} names a job",
             {JS: [('        problems.append((path, f"${{{name}}} names no job',
                   '        (lambda *_: None)((path, f"${{{name}}} names no job')]}),
    Scenario("jobs: unknown substitutions", "${env.x}, ${var.x}, ${x} are known and defined",
             {JS: [('    problems.append((path, f"unknown substitution',
                   '    (lambda *_: None)((path, f"unknown substitution'),
                  ('        problems.append((path, f"${{{name}}} is not defined for environment',
                   '        (lambda *_: None)((path, f"${{{name}}} is not defined for environment')]}),
    Scenario("jobs: partial references", "a ${resources...} reference is a whole value",
             {JS: [('            problems.append((path, f"{match.group(0)} must be the whole value',
                   '            (lambda *_: None)((path, f"{match.group(0)} must be the whole value')]}),
    Scenario("jobs: tables outside a list", "${connectors.sources.<source>.tables.<entity>} is an item of a list",
             {JS: [('            problems.append((path, f"{value} stands for several silver tables',
                   '            (lambda *_: None)((path, f"{value} stands for several silver tables')]}),
    Scenario("jobs_derived: unknown forms", "${connectors.*} is one of the derived forms",
             {JD: [('        return None, f"unknown substitution ${{{name}}}; use {FORMS}"', '        return "", None')]}),
    Scenario("jobs_derived: unknown sources", "${connectors.sources.<source>,...} names sources of notebooks/",
             {JD: [("    if unknown:\n", "    if False:\n")]}),
    Scenario("jobs_derived: unknown entities", "...tables.<entity>,... names entities every listed source produces",
             {JD: [("        if missing:\n", "        if False:\n")]}),
    Scenario("jobs._upload", "relative notebook paths are notebooks of notebooks/",
             {JS: [('    if found is None or found.parent != NOTEBOOKS_DIR or found.suffix != ".py":',
                   '    if found is None:\n        return UploadRef(Path(value).stem, True)\n    if False:'),
                  ("    if notebook and not is_notebook:", "    if False:")]}),
    Scenario("jobs: imported entries", "an imported job's entry holds only file, job and job_level",
             {JL: [("            if others:\n", "            if False:\n")]}),
    Scenario("jobs: job files", "a `file:` that is missing or unreadable",
             {JL: [('        return None, [here.problem(("file",), f"{file} does not exist',
                   '        return None, []\n        return None, [here.problem(("file",), f"{file} does not exist'),
                  ('        return None, [here.problem(("file",), f"{file} cannot be read',
                   '        return None, []\n        return None, [here.problem(("file",), f"{file} cannot be read')]}),
    Scenario("jobs.unique_names", "one job per name, connectors' jobs included",
             **returns(JC, "unique_names", EMPTY)),
    Scenario("jobs.silver_triggers", "table_update on silver watches tables connectors write",
             **returns(JC, "silver_triggers", EMPTY)),
    Scenario("jobs.cycle_problems", "run_job_task cycles", **returns(JC, "cycle_problems", EMPTY)),
    Scenario("jobs.hierarchy_problems", "seed 004's job hierarchy", **returns(JC, "hierarchy_problems", EMPTY)),
    Scenario("jobs._literal_job_ids", "run_job_task.job_id is a reference, not a number",
             **returns(JC, "literal_job_ids", EMPTY)),
    Scenario("jobs: job key = connector name", "no job keyed like a connector",
             {J: [("    for key in sorted(catalogue.jobs & catalogue.connectors):",
                   "    for key in sorted(catalogue.jobs & catalogue.connectors & set()):")]}),
    # --- job_checks.py
    Scenario("job_checks.settings_problems", "every offline check of a job",
             **returns(K, "settings_problems", EMPTY)),
    Scenario("job_checks._trigger_problems", "triggers: one kind, Quartz, time zone, tables, URL",
             **returns(K, "_trigger_problems", NO_PROBLEMS)),
    Scenario("job_checks._graph_problems", "task graph: keys, types, depends_on, clusters, outcome, cycles",
             **returns(K, "_graph_problems", NO_PROBLEMS)),
    Scenario("job_checks._reference_problems", "{{...}} dynamic value references",
             **returns(K, "_reference_problems", NO_PROBLEMS)),
    Scenario("job_checks: Quartz", "quartz_cron_expression of jobs", {K: [("            parse_quartz(cron)\n",
                                                                       "            pass\n")]}),
    Scenario("job_checks: time zone", "timezone_id of jobs", {K: [("and zone not in time_zones():", "and False:")]}),
    Scenario("job_checks._task_type_problems", "exactly one task type per task",
             **returns(K, "_task_type_problems", NO_PROBLEMS)),
    Scenario("job_checks._cycle_problems", "depends_on cycles", **returns(K, "_cycle_problems", NO_PROBLEMS)),
    Scenario("job_checks: unknown depends_on", "depends_on names a task of the job",
             {K: [("            if target not in first or first[target].parent is not None:",
                   "            if False:")]}),
    Scenario("job_checks: duplicate task keys", "task keys are unique",
             {K: [("        if entry.key in first:\n", "        if False:\n")]}),
]


# ---------------------------------------------------------------------------------------------- in the worker


class _PatchedSource(importlib.abc.MetaPathFinder):
    """Imports the named modules from their source with text replaced (and never from cached bytecode)."""

    def __init__(self, patches: dict[str, list[tuple[str, str]]]):
        self.patches = patches

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.patches:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        spec.loader = _PatchedLoader(fullname, spec.origin, self.patches[fullname])
        return spec


class _PatchedLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, patches: list[tuple[str, str]]):
        super().__init__(fullname, path)
        self.patches = patches

    def get_code(self, fullname):
        text = Path(self.path).read_text(encoding="utf-8")
        for old, new in self.patches:
            if old not in text:
                raise SystemExit(f"patch does not apply to {self.path}: {old!r} not found")
            text = text.replace(old, new)
        return compile(text, self.path, "exec")


def _source_patches(scenario: Scenario) -> dict[str, list[tuple[str, str]]]:
    """The scenario's source patches, each of its `returns` as a first statement of its function."""
    patches = {module: list(items) for module, items in scenario.source.items()}
    for module, function, value in scenario.returns:
        text = (PROJECT_DIR / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        name = function.rsplit(".", 1)[-1]
        match = re.search(rf"^( *)def {re.escape(name)}\((?:.|\n)*?\)(?: -> [^\n]+)?:\n", text, re.MULTILINE)
        if match is None:
            raise SystemExit(f"no function {function} in {module}")
        first_line = f"{match.group(1)}    return {value}\n"
        patches.setdefault(module, []).append((match.group(0), match.group(0) + first_line))
    return patches


def digest(variant) -> str:
    return hashlib.sha1("\0".join(text for _, text in variant.texts).encode()).hexdigest()


def worker(name: str, examples: int, skip: set[str]) -> dict:
    """In a process of its own: disables one validator ('baseline': none), then runs the fuzz test's property
    function itself (so Hypothesis derives the same derandomized variants from it) with `examples` examples and
    no shrinking. Failures of variants in `skip` are taken as passes; the first other one ends the run."""
    scenario = next((s for s in SCENARIOS if s.name == name), None)
    if scenario is not None:
        sys.meta_path.insert(0, _PatchedSource(_source_patches(scenario)))
    sys.path.insert(0, str(PROJECT_DIR))
    os.chdir(PROJECT_DIR)
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st

    import tests.connectors_config.test_loader_fuzz as fuzz

    if scenario is not None and scenario.patch is not None:
        scenario.patch()
    failures: list[dict] = []
    check_variant = fuzz.check_variant

    def recording(variant, folder) -> None:
        try:
            check_variant(variant, folder)
        except AssertionError as error:
            key = digest(variant)
            if key in skip:
                return
            failures.append({"key": key, "family": variant.family, "change": variant.change,
                             "error": str(error).split("\n")[0][:300]})
            if scenario is not None:
                raise

    fuzz.check_variant = recording
    run = settings(max_examples=examples, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                   suppress_health_check=list(HealthCheck), report_multiple_bugs=False)(
        # Hypothesis types a @given test as a plain callable, without the `.hypothesis` handle it documents.
        given(st.deferred(fuzz.variants))(fuzz.fuzz_parse_config.hypothesis.inner_test))  # type: ignore[attr-defined]
    try:
        with fuzz.no_hypothesis_files(), fuzz.same_variants_in_any_run():
            run()
    except AssertionError:
        pass
    return {"name": name, "examples": len(fuzz.CHECKED), "failures": failures}


# ---------------------------------------------------------------------------------------------- the driver


def run_worker(name: str, examples: int, skip_file: Path) -> dict:
    started = time.time()
    result = subprocess.run([sys.executable, __file__, "--worker", name, "--examples", str(examples),
                             "--skip", str(skip_file)], capture_output=True, text=True, cwd=PROJECT_DIR)
    if result.returncode != 0 or not result.stdout.strip():
        return {"name": name, "examples": 0, "failures": [], "error": (result.stderr or result.stdout)[-600:],
                "seconds": time.time() - started}
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "seconds": time.time() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=None, help="variants per run (default: the test's)")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once")
    parser.add_argument("--only", nargs="*", help="scenario names (substrings) to run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--skip", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        skip = set(json.loads(Path(args.skip).read_text())) if args.skip else set()
        print(json.dumps(worker(args.worker, args.examples, skip)))
        return 0
    if args.examples is None:
        text = (PROJECT_DIR / "tests" / "connectors_config" / "test_loader_fuzz.py").read_text(encoding="utf-8")
        declared = re.search(r"^EXAMPLES = (\d+)", text, re.MULTILINE)
        if declared is None:
            raise SystemExit("tests/connectors_config/test_loader_fuzz.py declares no EXAMPLES = <n>; pass --examples")
        args.examples = int(declared.group(1))
    scenarios = [s for s in SCENARIOS if not args.only or any(o in s.name for o in args.only)]
    with tempfile.TemporaryDirectory() as folder:
        skip_file = Path(folder) / "skip.json"
        skip_file.write_text("[]")
        baseline = run_worker("baseline", args.examples, skip_file)
        if baseline.get("error"):
            print(baseline["error"])
            return 2
        bugs = list({f["key"]: f for f in baseline["failures"]}.values())
        skip_file.write_text(json.dumps([f["key"] for f in bugs]))
        print(f"Fuzz of {args.examples} variants per run (derandomized: those tests/connectors_config/test_loader_fuzz.py checks).\n")
        print(f"Intact code: {len(bugs)} variant(s) fail the property (real bugs; skipped below):")
        for failure in bugs:
            print(f"  - [{failure['family']}] {failure['change']}: {failure['error']}")
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(lambda s: run_worker(s.name, args.examples, skip_file), scenarios))
    print("\n| validator disabled | what it checks | fuzz | first variant that shows it |")
    print("| --- | --- | --- | --- |")
    for scenario, result in zip(scenarios, results, strict=True):
        if result.get("error"):
            verdict, example = "error", result["error"].strip().splitlines()[-1][:200]
        elif result["failures"]:
            failure = result["failures"][0]
            verdict = f"caught (variant {result['examples']})"
            example = f"[{failure['family']}] {failure['change']} -> {failure['error'][:140]}"
        else:
            verdict, example = f"NOT caught ({result['examples']} variants)", ""
        print(f"| {scenario.name} | {scenario.what} | {verdict} | {example.replace('|', '/')} |")
    caught = [s.name for s, r in zip(scenarios, results, strict=True) if r["failures"]]
    missed = [s.name for s, r in zip(scenarios, results, strict=True) if not r["failures"]]
    print(f"\n{len(caught)} of {len(scenarios)} caught" + (f"; not caught: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
