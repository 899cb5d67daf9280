"""Rules that relate several fields of connectors.yaml.

They run on the raw (plain dict) data, before and independently of the typed model, so that a duplicate
connector name is reported in the same run as a typo elsewhere. Malformed parts are skipped here: the model
reports those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from connectors_config.errors import Path, format_path

Problem = tuple[Path, str]


def cross_field_problems(data: dict[str, Any]) -> list[Problem]:
    environments = data.get("environments")
    environments = environments if isinstance(environments, dict) else {}
    connectors = data.get("connectors")
    connectors = connectors if isinstance(connectors, tuple) else ()
    return [
        *_unique_connector_names(connectors),
        *_known_environments_in_run_as(connectors, environments),
        *_environments_stay_apart(environments),
    ]


def _unique_connector_names(connectors: tuple[Any, ...]) -> Iterator[Problem]:
    first_use: dict[str, int] = {}
    for index, connector in enumerate(connectors):
        name = connector.get("name") if isinstance(connector, dict) else None
        if not isinstance(name, str):
            continue
        if name in first_use:
            yield (("connectors", index, "name"),
                   f"'{name}' is already the name of connectors[{first_use[name]}]; connector names must be "
                   "unique (they name the job, its tables and its secrets)")
        else:
            first_use[name] = index


def _known_environments_in_run_as(connectors: tuple[Any, ...], environments: dict[str, Any]) -> Iterator[Problem]:
    for index, connector in enumerate(connectors):
        run_as = connector.get("run_as") if isinstance(connector, dict) else None
        if not isinstance(run_as, dict):
            continue
        for env in run_as:
            if env not in environments:
                known = ", ".join(sorted(environments)) or "none"
                yield (("connectors", index, "run_as", env),
                       f"'{env}' is not an environment; use one of: {known}")


# Settings that belong to exactly one environment: sharing one, or naming another environment in it, lets a
# dev deploy read or write prod.
_OWN_SETTINGS = ("catalog", "workspace_dir", "secret_scope", "run_as")


def _environments_stay_apart(environments: dict[str, Any]) -> Iterator[Problem]:
    envs = {name: env for name, env in environments.items() if isinstance(env, dict)}
    for setting in _OWN_SETTINGS:
        values = {name: env[setting] for name, env in envs.items() if isinstance(env.get(setting), str)}
        # A workspace folder or scope name is only shared if both stacks deploy to the same workspace.
        keys = {name: ("" if setting in ("catalog", "run_as") else _workspace_key(envs[name]), value.lower())
                for name, value in values.items()}
        sharing: dict[tuple[str, str], list[str]] = {}
        for name, key in keys.items():
            sharing.setdefault(key, []).append(name)
        what = setting.replace("_", " ")
        for name, value in values.items():
            group = sharing[keys[name]]
            others = [other for other in envs if other != name]
            named = _names_other_environment(value, name, others)
            if len(group) > 1 and (named is not None or (not _names(value, name) and name != group[0])):
                owner = named if named in group else next(other for other in group if other != name)
                yield (("environments", name, setting),
                       f"'{value}' is also {format_path(('environments', owner, setting))}; each environment "
                       f"must use its own {what}")
            elif len(group) == 1 and named is not None:
                yield (("environments", name, setting),
                       f"'{value}' names environment '{named}'; each environment must use its own {what} "
                       f"(e.g. one that names '{name}')")


def _names(value: str, env: str) -> bool:
    return env.lower() in set(re.split(r"[^a-z0-9]+", value.lower()))


def _names_other_environment(value: str, own: str, others: list[str]) -> str | None:
    if _names(value, own):
        return None
    return next((other for other in sorted(others) if _names(value, other)), None)


def _workspace_key(env: dict[str, Any]) -> str:
    workspace = env.get("workspace")
    if not isinstance(workspace, dict):
        return ""
    return str(workspace.get("host") or "").rstrip("/").lower() + "|" + str(workspace.get("profile") or "")
