"""CP-RUN-AS: jobs, pipelines and SQL alerts run as a service principal, never as whoever deploys them."""

from __future__ import annotations

from collections.abc import Iterator

from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import first, principal


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    for item in stack.of("databricks_job", "databricks_pipeline", "databricks_alert_v2"):
        run_as = first(item.body.get("run_as")) or (
            {"user_name": item.body["run_as_user_name"]} if item.body.get("run_as_user_name") else {})
        if run_as.get("service_principal_name"):
            continue
        kind, name = principal(run_as)
        if kind == "group":
            # Provider 1.138's run_as.group_name: a group's members change outside the stack, so who the job acts
            # as (and what it can read) is no longer reviewable here.
            yield item, (f"runs as group '{name}': a group is not a run-as identity the platform allows "
                         "(only a service principal)")
        elif kind == "user":
            yield item, f"runs as user '{name}'"
        else:
            yield item, "runs as whoever deploys it (no run_as)"


RULE = Rule("CP-RUN-AS", "every job, pipeline and SQL alert runs as a service principal, never as whoever deploys it",
            "set run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)", check)
