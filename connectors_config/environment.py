"""One environment's values, resolved in one place: what `${env.<name>}` means in the jobs section and what a
stack's ResolvedEnvironment holds are both read from `environment_values`, so a value added here is there in
both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors_config import names
from connectors_config.model import Defaults


def environment_values(name: str, env: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """`environments.<name>` with `defaults` applied, as plain values; None where the environment has none.

    Works on the raw config (the jobs section is substituted before the model has checked the rest) and on
    the model's dump alike."""

    def default(field: str) -> Any:
        value = defaults.get(field)
        return Defaults.model_fields[field].default if value is None else value

    return {
        "name": name,
        "catalog": env.get("catalog"),
        "bronze_schema": default("bronze_schema"),
        "silver_schema": default("silver_schema"),
        "gold_schema": default("gold_schema"),
        "secret_scope": env.get("secret_scope") or default("secret_scope"),
        "workspace_dir": names.normal_workspace_dir(env.get("workspace_dir")),
        "run_as": env.get("run_as"),
        "admin_group": env.get("admin_group"),
        "team_group": env.get("team_group"),
        "readers_group": env.get("readers_group"),
    }


# `${env.<name>}`: every value above, in this order (messages list them so).
ENV_VALUES: tuple[str, ...] = tuple(environment_values("", {}, {}))
