"""What belongs to one environment, and where the config names it in another.

An environment's catalog, secret scope, workspace folder, workspace host, the connections its managed
connectors read through, the service principals it runs as (`environments.<env>.run_as` and connectors'
`run_as.<env>`) and its admin and team groups belong to it. Named in another environment (a connector's
per-environment override, the `jobs` section after substitution, an imported job file), they would let that
environment's jobs act as, or on, this one: a config error at the place that names them. Names are compared as
Databricks compares them (core.uc_names): `APPSEC_DEV` is `appsec_dev`. What two environments share on purpose
(the sample's admin group, a scope name in two workspaces) belongs to neither alone and is not refused here.
The policy pack's CP-CROSS-ENV checks the synthesized stacks again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors_config.environment import environment_values
from connectors_config.errors import Path, format_path
from core.uc_names import name_key, same_name, whole_name

Problem = tuple[Path, str]


@dataclass(frozen=True)
class Owned:
    """A name that belongs to environment `env`, declared at `where`; `instead`: what to write in its place."""

    env: str
    value: str
    what: str  # e.g. 'catalog', 'service principal'
    where: Path
    instead: str

    def describe(self) -> str:
        return f"{self.env}'s {self.what} '{self.value}' ({format_path(self.where)})"


_PER_ENVIRONMENT_VALUE = "a ${var.<name>} each environment sets"


def owned_names(data: dict[str, Any]) -> dict[str, list[Owned]]:
    """Per environment of the raw config, every name that identifies it (malformed parts skipped: the model
    reports them)."""
    environments = _mapping(data.get("environments"))
    defaults = _mapping(data.get("defaults"))
    connectors = data.get("connectors")
    connectors = connectors if isinstance(connectors, tuple) else ()
    result: dict[str, list[Owned]] = {}
    for env, settings in environments.items():
        if not isinstance(settings, dict):
            continue
        values = environment_values(env, settings, defaults)
        here = ("environments", env)
        names = [(("catalog",), "catalog", "${env.catalog}"), (("run_as",), "service principal", "${env.run_as}"),
                 (("admin_group",), "admin group", "${env.admin_group}"),
                 (("team_group",), "team group", "${env.team_group}"),
                 (("workspace_dir",), "workspace folder", "${env.workspace_dir}")]
        owned = [Owned(env, settings[key[0]], what, here + key, instead) for key, what, instead in names
                 if isinstance(settings.get(key[0]), str)]
        scope = values.get("secret_scope")
        if isinstance(scope, str):
            where = here + ("secret_scope",) if "secret_scope" in settings else ("defaults", "secret_scope")
            owned.append(Owned(env, scope, "secret scope", where, "${env.secret_scope}"))
        workspace = _mapping(settings.get("workspace"))
        if isinstance(workspace.get("host"), str) and workspace["host"].rstrip("/"):
            owned.append(Owned(env, workspace["host"].rstrip("/"), "workspace", here + ("workspace", "host"),
                               _PER_ENVIRONMENT_VALUE))
        for index, connector in enumerate(connectors):
            if not isinstance(connector, dict):
                continue
            for setting, what, instead in (("run_as", "service principal", "${env.run_as}"),
                                           ("connection", "connection", _PER_ENVIRONMENT_VALUE)):
                if setting == "connection" and connector.get("kind") != "lakeflow_connect":
                    continue  # the model refuses a connection elsewhere
                value = _mapping(connector.get(setting)).get(env)
                if isinstance(value, str):
                    owned.append(Owned(env, value, what, ("connectors", index, setting, env), instead))
        result[env] = owned
    return result


class Foreign:
    """What environment `env` must not name: every name that belongs to another environment and not to it."""

    def __init__(self, env: str, owned: dict[str, list[Owned]]) -> None:
        mine = owned.get(env, [])
        own_keys = {name_key(o.value) for o in mine if o.what not in ("workspace folder", "workspace")}
        own_run_as = next((o.value for o in mine if o.where[-1:] == ("run_as",) and o.where[0] == "environments"),
                          None)
        own_folders = [o.value for o in mine if o.what == "workspace folder"]
        own_hosts = {name_key(o.value) for o in mine if o.what == "workspace"}
        self._words: list[tuple[Any, Owned]] = []
        self._folders: list[Owned] = []
        self._hosts: list[Owned] = []
        taken: set[str] = set()
        for other, names in sorted(owned.items()):
            if other == env:
                continue
            for name in names:
                if name.what == "workspace folder":
                    if not any(f == name.value or f.startswith(name.value + "/") for f in own_folders):
                        self._folders.append(name)
                elif name.what == "workspace":
                    if name_key(name.value) not in own_hosts:
                        self._hosts.append(name)
                elif name_key(name.value) in taken:
                    continue
                # Another environment's own run_as is never this one's, even where a connector here runs as it.
                elif name_key(name.value) not in own_keys or (
                        name.where == ("environments", other, "run_as")
                        and not (own_run_as is not None and same_name(own_run_as, name.value))):
                    taken.add(name_key(name.value))
                    self._words.append((whole_name(name.value), name))

    def named_in(self, text: str) -> list[Owned]:
        """What of another environment `text` names, each once."""
        found = [name for pattern, name in self._words if pattern.search(text)]
        found += [name for name in self._folders
                  if text == name.value or text.startswith(name.value + "/") or f"{name.value}/" in text]
        lowered = name_key(text)
        found += [name for name in self._hosts
                  if lowered == name_key(name.value) or f"{name_key(name.value)}/" in lowered]
        return found

    def owner_of(self, principal: str) -> Owned | None:
        """The other environment's claim on `principal`, where it names one."""
        return next((name for pattern, name in self._words
                     if name.what == "service principal" and same_name(name.value, principal)), None)


def job_problems(settings: Any, foreign: Foreign, env: str) -> list[Problem]:
    """Each string of a job's settings for `env` (after substitution: run_as, permissions, parameters...) that
    names what belongs to another environment."""
    return [(path, message(name, env)) for path, text in strings(settings) for name in foreign.named_in(text)]


def strings(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every string inside `value`, with its path (mappings, lists and the loader's tuples)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from strings(item, (*path, index))


def message(name: Owned, env: str) -> str:
    """What a finding of `name` in environment `env` says: whose it is, where it is declared, what to write."""
    what = name.what.split(" ")[-1] if name.what in ("admin group", "team group") else name.what
    return (f"names {name.describe()} in {env}; each environment must use its own {what}: write "
            f"{name.instead} instead")


def cross_environment_problems(data: dict[str, Any]) -> list[Problem]:
    """Connectors' per-environment run_as naming a principal another environment runs as, and connectors'
    owners and settings (the same in every environment) naming what belongs to one environment."""
    owned = owned_names(data)
    foreign = {env: Foreign(env, owned) for env in sorted(owned)}
    connectors = data.get("connectors")
    problems: list[Problem] = []
    for index, connector in enumerate(connectors if isinstance(connectors, tuple) else ()):
        if not isinstance(connector, dict):
            continue
        for env, value in _mapping(connector.get("run_as")).items():
            if env in foreign and isinstance(value, str):
                problems += _run_as_override(owned, env, value, ("connectors", index, "run_as", env))
        for env in sorted(foreign):
            for path, text in strings(connector.get("settings"), ("connectors", index, "settings")):
                problems += [(path, message(name, env)) for name in foreign[env].named_in(text)]
            owners = connector.get("owners")
            for position, group in enumerate(owners if isinstance(owners, tuple) else ()):
                if isinstance(group, str):
                    problems += [(("connectors", index, "owners", position),
                                  f"names {name.describe()}, but a connector's owners are granted in every "
                                  f"environment, also {env}; use a group every environment shares, or give each "
                                  "environment its own in environments.<env>.team_group")
                                 for name in foreign[env].named_in(group) if name.what.endswith("group")]
    return sorted(set(problems), key=lambda problem: (format_path(problem[0]), problem[1]))


def _run_as_override(owned: dict[str, list[Owned]], env: str, value: str, where: Path) -> list[Problem]:
    """A principal another environment runs as, named in `env`: an environment's own run_as wins, then the
    claim first in path order; the other claims are the mistake."""
    claims = sorted((o for names in owned.values() for o in names
                     if o.what == "service principal" and same_name(o.value, value)),
                    key=lambda o: (o.where[0] != "environments", _order(o.where)))
    first = next((o for o in claims if o.env != env), None)
    if first is None or not (first.where[0] == "environments" or _order(first.where) < _order(where)):
        return []
    return [(where, f"'{value}' is {first.env}'s service principal ({format_path(first.where)}); each environment runs as principals of its own: name one only "
                    f"{env} runs as, or remove this entry ({env} then runs as environments.{env}.run_as)")]


def _order(where: Path) -> tuple:
    return tuple((0, part) if isinstance(part, int) else (1, str(part)) for part in where)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
