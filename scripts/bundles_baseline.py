#!/usr/bin/env python
"""Baseline for scripts/benchmark.py: the same connector jobs built with Databricks' own Python job model.

    bundles_baseline.py --connectors N --out DIR [--check CDKTF_OUT]

For each environment (dev, prod) and each of the N connectors that benchmark.py generates, it builds one
`databricks.bundles.jobs.Job` from the library's dataclasses, with the content our synth writes for that
connector: the `databricks_job` (name, description, ingest -> transform notebook tasks with their parameters,
retries and time limit, the shared job cluster, job parameters, schedule, run_as, failure e-mails, tags, queue,
max_concurrent_runs) and its `databricks_permissions`, which the bundle model holds on the job itself
(`permissions`: IS_OWNER, CAN_MANAGE, CAN_MANAGE_RUN). Each job goes through `as_dict()` and
`json.dumps(..., sort_keys=True)` into DIR/<environment>/jobs.json, shaped like a bundle's
`resources.jobs`, and must come back equal through `Job.from_dict` (else exit 1).

Inputs are hard-coded: the sample connectors.yaml's environments and defaults, and the shape of
benchmark.config_text's generated connectors (only name, description, schedule, secrets and settings vary).
--check compares every job with the synth's output for the same N (unmeasured), so a change to either side
fails loudly instead of the two quietly building different jobs. Stdlib + databricks-bundles only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from databricks.bundles.jobs import (
    ClusterSpec,
    CronSchedule,
    DataSecurityMode,
    Job,
    JobCluster,
    JobEmailNotifications,
    JobParameterDefinition,
    JobPermission,
    JobPermissionLevel,
    JobRunAs,
    JobsHealthMetric,
    JobsHealthOperator,
    JobsHealthRule,
    JobsHealthRules,
    NotebookTask,
    PauseStatus,
    QueueSettings,
    Source,
    Task,
    TaskDependency,
)

# As in connectors.yaml (`environments`, `defaults`) and the connector job template; --check notices drift.
ENVIRONMENTS: dict[str, dict[str, Any]] = {
    "dev": dict(catalog="appsec_dev", run_as="3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",
                workspace_dir="/Applications/appsec-connectors/dev", admin_group="appsec-platform-admins",
                team_group="appsec-data-engineers", on_failure=["appsec-data-dev@example.com"], paused=True),
    "prod": dict(catalog="appsec_prod", run_as="9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03",
                 workspace_dir="/Applications/appsec-connectors/prod", admin_group="appsec-platform-admins",
                 team_group="appsec-data-engineers", on_failure=["appsec-data-oncall@example.com"], paused=False),
}
RETRIES = dict(max_retries=3, min_retry_interval_millis=2000, retry_on_timeout=True)
CLUSTER = dict(spark_version="14.3.x-scala2.12", node_type_id="Standard_DS3_v2", num_workers=1)
SECRET_SCOPE, TIMEZONE, TIMEOUT_SECONDS = "mvp-connectors", "UTC", 3600
DURATION_WARNING_SECONDS = 1800  # defaults.duration_warning_seconds
# As benchmark.config_text generates them.
SCHEDULES = ("0 */15 * * * ?", "0 0 */3 * * ?", "0 0 2 * * ?")
SOURCE, SETTINGS = "github", {"organisation": "acme"}


def connector_job(env_name: str, i: int) -> Job:
    """Generated connector i's job in one environment, as the synth writes it."""
    env = ENVIRONMENTS[env_name]
    name = f"conn_{i:04d}"
    base_parameters = {
        "bronze_schema": "bronze",
        "initial_mark": "",
        "job_run_id": "{{job.run_id}}",
        "secret_names": ",".join([f"{name}-token"]),
        "secret_scope": SECRET_SCOPE,
        "settings": json.dumps(SETTINGS, sort_keys=True, separators=(",", ":")),
        "silver_schema": "silver",
        "source": SOURCE,
    }

    def task(key: str, notebook: str, depends_on: str | None) -> Task:
        return Task(
            task_key=key,
            depends_on=[TaskDependency(task_key=depends_on)] if depends_on else [],
            # The synth refers to the notebook resource; this is the path that reference resolves to.
            notebook_task=NotebookTask(notebook_path=f"{env['workspace_dir']}/{notebook}", source=Source.WORKSPACE,
                                       base_parameters=dict(base_parameters)),
            job_cluster_key="shared",
            timeout_seconds=TIMEOUT_SECONDS,
            **RETRIES,
        )

    return Job(
        name=f"{name}-connector",
        description=f"Generated benchmark connector {i}.",
        tasks=[task("ingest", "ingest_entry", None), task("transform", "transform_entry", "ingest")],
        job_clusters=[JobCluster(job_cluster_key="shared", new_cluster=ClusterSpec(
            data_security_mode=DataSecurityMode.SINGLE_USER, **CLUSTER))],
        parameters=[JobParameterDefinition(name="source_name", default=name),
                    JobParameterDefinition(name="target_catalog", default=env["catalog"]),
                    JobParameterDefinition(name="hwm_reset", default="false")],
        schedule=CronSchedule(quartz_cron_expression=SCHEDULES[(i - 1) % len(SCHEDULES)], timezone_id=TIMEZONE,
                              pause_status=PauseStatus.PAUSED if env["paused"] else PauseStatus.UNPAUSED),
        run_as=JobRunAs(service_principal_name=env["run_as"]),
        email_notifications=JobEmailNotifications(on_failure=list(env["on_failure"]),
                                                  on_duration_warning_threshold_exceeded=list(env["on_failure"])),
        health=JobsHealthRules(rules=[JobsHealthRule(metric=JobsHealthMetric.RUN_DURATION_SECONDS,
                                                     op=JobsHealthOperator.GREATER_THAN,
                                                     value=DURATION_WARNING_SECONDS)]),
        tags={"environment": env_name, "managed_by": "connector-platform", "source": name},
        queue=QueueSettings(enabled=True),
        max_concurrent_runs=1,
        permissions=[
            JobPermission(level=JobPermissionLevel.IS_OWNER, service_principal_name=env["run_as"]),
            JobPermission(level=JobPermissionLevel.CAN_MANAGE, group_name=env["admin_group"]),
            JobPermission(level=JobPermissionLevel.CAN_MANAGE_RUN, group_name=env["team_group"]),
        ],
    )


def write_environment(env_name: str, n: int, out: Path) -> dict[str, dict[str, Any]]:
    """Builds, serialises and writes one environment's N jobs; exits 1 if one does not round-trip."""
    jobs = {f"conn_{i:04d}": connector_job(env_name, i) for i in range(1, n + 1)}
    texts = {key: json.dumps(job.as_dict(), sort_keys=True) for key, job in jobs.items()}
    for key, text in texts.items():
        if Job.from_dict(json.loads(text)) != jobs[key]:
            sys.exit(f"bundles_baseline: job {key} in {env_name} does not round-trip through as_dict/from_dict")
    folder = out / env_name
    folder.mkdir(parents=True, exist_ok=True)
    body = ",\n".join(f"{json.dumps(key)}: {text}" for key, text in texts.items())
    (folder / "jobs.json").write_text(f'{{"resources": {{"jobs": {{\n{body}\n}}}}}}\n', encoding="utf-8")
    return {key: json.loads(text) for key, text in texts.items()}


def resolved(value: Any, resources: dict[str, dict[str, Any]]) -> Any:
    """value with every `${<type>.<name>.path}` replaced by that resource's path, recursively."""
    def path_of(match: re.Match[str]) -> str:
        return resolved(resources[match.group(1)][match.group(2)]["path"], resources)

    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\.(\w+)\.path\}", path_of, value)
    if isinstance(value, list):
        return [resolved(item, resources) for item in value]
    if isinstance(value, dict):
        return {key: resolved(item, resources) for key, item in value.items()}
    return value


def synthesized_jobs(stack: Path) -> dict[str, dict[str, Any]]:
    """The synth's connector jobs of one stack in the bundle model's shape, by job name."""
    resources = json.loads(stack.read_text(encoding="utf-8"))["resource"]
    permissions = {entry["job_id"]: entry["access_control"]
                   for entry in resources.get("databricks_permissions", {}).values() if "job_id" in entry}
    renamed = {"task": "tasks", "job_cluster": "job_clusters", "parameter": "parameters"}
    jobs = {}
    for key, job in resources.get("databricks_job", {}).items():
        settings = {renamed.get(field, field): value for field, value in job.items() if field != "//"}
        access = permissions.get(f"${{databricks_job.{key}.id}}", [])
        settings["permissions"] = [{("level" if field == "permission_level" else field): value
                                    for field, value in entry.items()} for entry in access]
        jobs[settings["name"]] = resolved(settings, resources)
    return jobs


def check(built: dict[str, dict[str, dict[str, Any]]], outdir: Path) -> list[str]:
    """Differences between the built jobs and the synth's jobs of the same names in outdir/stacks/<env>."""
    problems = []
    for env_name, jobs in built.items():
        stack = outdir / "stacks" / env_name / "cdk.tf.json"
        if not stack.is_file():
            problems.append(f"{stack}: missing")
            continue
        theirs = synthesized_jobs(stack)
        for job in jobs.values():
            other = theirs.get(job["name"])
            if other is None:
                problems.append(f"{env_name}: the synth has no job {job['name']}")
            elif other != job:
                fields = sorted(f for f in job.keys() | other.keys() if job.get(f) != other.get(f))
                problems.append(f"{env_name}: {job['name']} differs in {', '.join(fields)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connectors", type=int, required=True, help="number of generated connectors")
    parser.add_argument("--out", type=Path, required=True, help="folder for <environment>/jobs.json")
    parser.add_argument("--check", type=Path, metavar="CDKTF_OUT",
                        help="compare every job with the synth's output (cdktf.out) for the same N")
    args = parser.parse_args()
    if args.connectors < 1:
        parser.error("--connectors must be at least 1")
    built = {env_name: write_environment(env_name, args.connectors, args.out) for env_name in sorted(ENVIRONMENTS)}
    if args.check:
        if problems := check(built, args.check):
            sys.exit("bundles_baseline: the baseline's jobs are not the synth's:\n  " + "\n  ".join(problems[:20]))
        print(f"bundles_baseline: {sum(map(len, built.values()))} jobs equal the synth's in {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
