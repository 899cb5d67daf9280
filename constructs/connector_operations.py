"""How every connector's job is scheduled, retried, alerted and operated, whatever the kind of connector.

A batch connector's job runs notebooks; a managed connector's job triggers its pipeline. Both take these
settings from one props base and one builder, so the people who operate them see the same behaviour: the
schedule written out PAUSED unless asked, run as a service principal, one run at a time with queueing,
failure e-mails, tags, admins manage and operators run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from typing import Any

from constructs.lakeflow_job import JobAccess, LakeflowJobProps
from core.principals import Principal


# The Jobs API health metric of a run's duration: what a duration warning and the monitoring alert compare.
DURATION_METRIC = "RUN_DURATION_SECONDS"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    min_retry_interval_millis: int
    retry_on_timeout: bool


@dataclass(frozen=True, kw_only=True)
class ConnectorOperationsProps:
    """The operating settings every connector's props extend."""

    source_name: str
    quartz_cron_expression: str
    timezone_id: str
    run_as_service_principal: str  # application ID
    retries: RetryPolicy
    notify_on_failure: tuple[str, ...]
    admin_group: str  # may manage the job
    operator_groups: tuple[str, ...]  # may view, run and cancel the job, not change it
    # Safe by default: the schedule is written out PAUSED unless asked otherwise (the provider's default
    # when pause_status is left out is UNPAUSED).
    schedule_paused: bool = True
    # Default: no per-task time limit.
    timeout_seconds: int | None = None
    tags: tuple[tuple[str, str], ...] = ()
    description: str | None = None
    # Default: no duration warning. Set: a run longer than this (seconds) breaks the job's health rule, which
    # e-mails the failure recipients and shows in the monitoring alert; the run goes on, up to the timeout.
    duration_warning_seconds: int | None = None
    # Default: none. Before the names of the job (and a managed connector's pipeline), e.g. a personal target's
    # '[dev alice] ', so they read apart from the environment's own in the workspace.
    name_prefix: str = ""

    @property
    def job_name(self) -> str:
        return f"{self.name_prefix}{self.source_name}-connector"

    def validate(self, *required: str, extra: Sequence[str] = ()) -> None:
        """Raises one ValueError naming every problem: `required` adds the subclass's must-not-be-empty fields,
        `extra` its own problems."""
        problems = [
            f"{name} must not be empty" for name in
            ("source_name", *required, "quartz_cron_expression", "timezone_id", "run_as_service_principal",
             "admin_group")
            if not getattr(self, name)
        ]
        if not self.notify_on_failure:
            problems.append("notify_on_failure must name at least one recipient, or failures go unnoticed")
        if self.duration_warning_seconds is not None and self.duration_warning_seconds < 1:
            problems.append(f"duration_warning_seconds must be at least 1, not {self.duration_warning_seconds}")
        if self.admin_group in self.operator_groups:
            problems.append(f"operator_groups must not contain admin_group '{self.admin_group}'")
        problems += extra
        if problems:
            raise ValueError(f"{type(self).__name__} for '{self.source_name}': " + "; ".join(problems))

    def task_retries(self) -> dict[str, Any]:
        """What every task of the job gets (Jobs API fields): the same retries and time limit."""
        return dict(
            max_retries=self.retries.max_retries,
            min_retry_interval_millis=self.retries.min_retry_interval_millis,
            retry_on_timeout=self.retries.retry_on_timeout,
            timeout_seconds=self.timeout_seconds,
        )


def operated_job_props(props: ConnectorOperationsProps, tasks: Sequence[dict[str, Any]],
                       **settings: Any) -> LakeflowJobProps:
    """The connector's job as a LakeflowJob: the connector's operating settings around `tasks` (Jobs API
    dicts) and any further job `settings` (job clusters, parameters)."""
    if props.duration_warning_seconds is not None:
        settings["health"] = {"rules": [{"metric": DURATION_METRIC, "op": "GREATER_THAN",
                                         "value": props.duration_warning_seconds}]}
        settings["email_notifications"] = {"on_duration_warning_threshold_exceeded": sorted(props.notify_on_failure)}
    return LakeflowJobProps(
        settings={
            "name": props.job_name,
            "description": props.description,
            "schedule": {"quartz_cron_expression": props.quartz_cron_expression, "timezone_id": props.timezone_id},
            "tasks": list(tasks),
            "max_concurrent_runs": 1,
            "queue": {"enabled": True},
            "tags": dict(props.tags),
            **settings,
        },
        run_as_service_principal=props.run_as_service_principal,
        access=(JobAccess(Principal.group(props.admin_group), "CAN_MANAGE"),
                *(JobAccess(Principal.group(g), "CAN_MANAGE_RUN") for g in props.operator_groups)),
        paused=props.schedule_paused,
        notify_on_failure=props.notify_on_failure,
    )
