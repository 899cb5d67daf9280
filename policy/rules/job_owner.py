"""CP-JOB-OWNER: every job has one databricks_permissions naming exactly one owner, a user or service principal
(without one, Databricks makes whoever runs `terraform apply` the owner)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import principal


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    permissions: dict[str, list[Item]] = {}
    for item in stack.of("databricks_permissions"):
        job = item.body.get("job_id")
        if isinstance(job, str):
            permissions.setdefault(job, []).append(item)
    for job in stack.of("databricks_job"):
        name = stack.resolve(job.body.get("name", job.name))
        found = permissions.get(f"${{{job.address}.id}}", [])
        if not found:
            yield job, (f"job '{name}' has no databricks_permissions, so Databricks makes whoever deploys it "
                        "its owner")
            continue
        if len(found) > 1:
            yield found[0], (f"job '{name}' has {len(found)} databricks_permissions resources "
                             f"({', '.join(i.address for i in found)}); each replaces the others' access")
            continue
        owners = [principal(entry) for entry in found[0].body.get("access_control") or []
                  if entry.get("permission_level") == "IS_OWNER"]
        if len(owners) != 1:
            listed = ", ".join(f"{kind} '{who}'" for kind, who in owners) or "nobody"
            yield found[0], f"job '{name}' has {len(owners)} owners (IS_OWNER: {listed}); it needs exactly one"
        elif owners[0][0] == "group":
            yield found[0], f"job '{name}' is owned by group '{owners[0][1]}'; an owner is a user or service principal"


RULE = Rule("CP-JOB-OWNER", "every job has one databricks_permissions with exactly one owner, a user or service "
            "principal", "give the job's permissions exactly one IS_OWNER, the principal it runs as", check)
