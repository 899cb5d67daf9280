"""Rules that relate several fields of connectors.yaml.

They run on the raw (plain dict) data, before and independently of the typed model, so that a duplicate
connector name is reported in the same run as a typo elsewhere. Malformed parts are skipped here: the model
reports those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from connectors_config import names
from connectors_config.identities import cross_environment_problems
from connectors_config.errors import Path, format_path
from connectors_config.lockfile import Lock
from connectors_config.sources import available_sources, source_spec
from core.credentials import is_credential_key, looks_like_secret_value, masked, redact, shape_in, url_password
from core.uc_names import name_key

Problem = tuple[Path, str]


def cross_field_problems(data: dict[str, Any], lock: Lock | None = None) -> list[Problem]:
    """Every cross-field problem; with the lock of the last synth, also the changes that would delete data."""
    environments = data.get("environments")
    environments = environments if isinstance(environments, dict) else {}
    connectors = data.get("connectors")
    connectors = connectors if isinstance(connectors, tuple) else ()
    return [
        *_unique_connector_names(connectors),
        *_renames(connectors, data.get("jobs")),
        *_known_environments(connectors, environments),
        *_environments_stay_apart(environments),
        *cross_environment_problems(data),
        *_monitoring_workspaces(environments),
        *_personal_targets(environments),
        *_connections(connectors, environments),
        *_unique_destinations(connectors),
        *_sources(connectors),
        *_credentials_in_settings(connectors),
        *_acknowledgements_match(connectors),
        *_deploy_groups(connectors, data.get("jobs"), environments),
        *_suppressions(data.get("policy"), environments, deploy_groups(data)),
        *(_replacements(connectors, environments, lock) if lock is not None else ()),
    ]


def _managed(connectors: tuple[Any, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The lakeflow_connect connectors, with their index."""
    for index, connector in enumerate(connectors):
        if isinstance(connector, dict) and connector.get("kind") == "lakeflow_connect":
            yield index, connector


def _mapping(connector: dict[str, Any], key: str) -> dict[str, Any]:
    value = connector.get(key)
    return value if isinstance(value, dict) else {}


def _batch(connectors: tuple[Any, ...]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The batch connectors with a usable name, with their index."""
    for index, connector in enumerate(connectors):
        if (isinstance(connector, dict) and connector.get("kind", "batch") == "batch"
                and isinstance(connector.get("name"), str)):
            yield index, connector


def _sources(connectors: tuple[Any, ...]) -> Iterator[Problem]:
    """Each batch connector runs a source that exists, with the settings and secrets that source declares."""
    available = available_sources()
    for index, connector in _batch(connectors):
        name = connector["name"]
        source = connector.get("source", name)
        if not isinstance(source, str) or names.identifier_problem(source, "github") is not None:
            continue  # the model reports it
        if source not in available:
            field = "source" if "source" in connector else "name"
            yield (("connectors", index, field),
                   f"no source '{source}' in notebooks/ (sources: {', '.join(available)}); "
                   + ("set `source:` to one of them" if field == "name" else "use one of them")
                   + " or add notebooks/source_<name>.py")
            continue
        spec = source_spec(source)
        settings = connector.get("settings", {})
        if isinstance(settings, dict):
            # A setting holding a credential has its own message (_credentials_in_settings): one mistake, one message.
            holding = {path[3] for path, _ in _settings_credentials(index, connector)}
            for setting, problem in spec.problems(settings).items():
                if setting not in holding:
                    yield ("connectors", index, "settings", setting), problem
        declared = connector.get("secrets", ())
        if not isinstance(declared, tuple) or not all(
                isinstance(item, str) and names.secret_name_problem(item) is None for item in declared):
            continue  # the model reports malformed names; matching them to the source would only add noise
        expected = spec.secret_names(name)
        for role, secret in zip(spec.secrets, expected, strict=True):
            if secret not in declared:
                yield (("connectors", index, "secrets"),
                       f"source '{source}' reads its {role} from the secret '{secret}'; add '{secret}' to secrets")
        for position, secret in enumerate(declared):
            if secret not in expected:
                reads = ", ".join(expected) or "no secrets"
                yield (("connectors", index, "secrets", position),
                       f"'{secret}' is not read by source '{source}' (it reads: {reads}); remove it")


# What a setting that holds a credential should be instead: the settings are written into the job as they are.
_USE_A_SECRET = ("the settings are written into the job as they are: store the credential with `python -m operations "
                 "load-secrets` and list only its name under the connector's 'secrets' (the source reads it with "
                 "dbutils.secrets.get)")


def _credentials_in_settings(connectors: tuple[Any, ...]) -> Iterator[Problem]:
    """No credential in a connector's settings, which become its job's base_parameters: no token of a known shape,
    no URL with 'user:password@', no value under a key that holds a credential. None is ever shown whole."""
    for index, connector in enumerate(connectors):
        if isinstance(connector, dict):
            yield from _settings_credentials(index, connector)


def _settings_credentials(index: int, connector: dict[str, Any]) -> Iterator[Problem]:
    for path, key, value in _leaves(connector.get("settings"), ("connectors", index, "settings"), ""):
        shape = shape_in(value)
        url = url_password(value)
        if shape is not None:
            # A token after other words ('Bearer <token>') is cut where it starts: redact shows such a value whole.
            shown = redact(value) if looks_like_secret_value(value) else repr(masked(value))
            yield path, f"{shown} is {shape}; {_USE_A_SECRET}"
        elif url is not None:
            yield path, f"'{url}' (redacted) has a password in its URL; remove 'user:password@' from it: {_USE_A_SECRET}"
        elif is_credential_key(key) and value.strip():
            yield path, f"'{key}' holds a credential (its value is not shown); {_USE_A_SECRET}"


def _leaves(value: Any, path: Path, key: str) -> Iterator[tuple[Path, str, str]]:
    """(path, the key that holds it, string) for every string under `value`; a list's items are held by its key."""
    if isinstance(value, str):
        yield path, key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, (*path, name), str(name))
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            yield from _leaves(item, (*path, position), key)


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


def _renames(connectors: tuple[Any, ...], jobs: Any) -> Iterator[Problem]:
    """A `renamed_from` names what a connector or job was deployed as before: a name nothing has now (else two
    resources would claim one Terraform address), not its own, and claimed by one connector or job only."""
    current: dict[str, str] = {}
    entries: list[tuple[Path, str, str, Any]] = []  # (path, own name, what it is, renamed_from)
    for index, connector in enumerate(connectors):
        if isinstance(connector, dict) and isinstance(connector.get("name"), str):
            current.setdefault(connector["name"], f"the name of connectors[{index}]")
            entries.append((("connectors", index), connector["name"], "connector", connector.get("renamed_from")))
    for key, entry in (jobs.items() if isinstance(jobs, dict) else ()):
        current.setdefault(key, f"the key of jobs.{key}")
        if isinstance(entry, dict):
            entries.append((("jobs", key), key, "job", entry.get("renamed_from")))
    claimed: dict[str, Path] = {}
    for path, own, what, old in entries:
        if not isinstance(old, str) or names.identifier_problem(old, "github") is not None:
            continue  # absent, or not a name: the model reports it
        field = (*path, "renamed_from")
        if old == own:
            yield field, (f"'{old}' is this {what}'s own {'name' if what == 'connector' else 'key'}; renamed_from "
                          "names what it was deployed as before a rename: set the old name, or remove it")
        elif old in current:
            yield field, (f"'{old}' is still {current[old]}; renamed_from names what this {what} was deployed as "
                          "before, a name no connector or job has now: correct it, or remove it")
        elif old in claimed:
            yield field, (f"'{old}' is also the renamed_from of {format_path(claimed[old])}; one deployed "
                          "connector or job can move to one new name only: remove it from one of them")
        else:
            claimed[old] = path


# Connector settings given per environment: each key must be an environment of the file.
_PER_ENVIRONMENT = ("run_as", "connection", "acknowledge_data_loss")


def _known_environments(connectors: tuple[Any, ...], environments: dict[str, Any]) -> Iterator[Problem]:
    known = ", ".join(sorted(environments)) or "none"
    for index, connector in enumerate(connectors):
        if not isinstance(connector, dict):
            continue
        for setting in _PER_ENVIRONMENT:
            for env in _mapping(connector, setting):
                if env not in environments:
                    yield (("connectors", index, setting, env), f"'{env}' is not an environment; use one of: {known}")


def deploy_groups(data: dict[str, Any]) -> list[str]:
    """The deploy groups connectors and jobs name, sorted; empty: one stack per environment."""
    connectors = data.get("connectors")
    entries = [*(connectors if isinstance(connectors, tuple) else ()), *_mapping(data, "jobs").values()]
    return sorted({entry["deploy_group"] for entry in entries
                   if isinstance(entry, dict) and isinstance(entry.get("deploy_group"), str)})


def _deploy_groups(connectors: tuple[Any, ...], jobs: Any, environments: dict[str, Any]) -> Iterator[Problem]:
    """Groups are all or none: with groups, the environment's stack keeps only what is shared, so a connector or
    job without one would have no stack. A group's stack, '<environment>-<group>', is no environment's name."""
    entries = [(("connectors", index), c) for index, c in enumerate(connectors) if isinstance(c, dict)]
    entries += [(("jobs", key), entry) for key, entry in (jobs.items() if isinstance(jobs, dict) else ())
                if isinstance(entry, dict)]
    grouped = [(path, e["deploy_group"]) for path, e in entries if isinstance(e.get("deploy_group"), str)]
    if not grouped:
        return
    example = grouped[0][1]
    for path, entry in entries:
        if entry.get("deploy_group") is None:
            yield (path, f"has no deploy_group, but other connectors or jobs have one (e.g. '{example}'); with "
                         "deploy groups every connector and job names its group")
    for group in sorted({g for _, g in grouped}):
        for env in sorted(environments):
            if f"{env}-{group}" in environments:
                path = next(p for p, g in grouped if g == group)
                yield ((*path, "deploy_group"), f"stack '{env}-{group}' of deploy group '{group}' would have the "
                                                f"name of environment '{env}-{group}'; rename the group")


def _suppressions(policy: Any, environments: dict[str, Any], groups: list[str]) -> Iterator[Problem]:
    """A suppression names a resource of a known stack (an environment's, or a deploy group's), and each (rule,
    resource) once."""
    suppressions = policy.get("suppressions") if isinstance(policy, dict) else None
    seen: dict[tuple, int] = {}
    stacks = {*environments, *(f"{env}-{group}" for env in environments for group in groups)}
    known = ", ".join(sorted(stacks)) or "none"
    for index, entry in enumerate(suppressions if isinstance(suppressions, tuple) else ()):
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), str):
            continue
        env = entry["resource"].split("/", 1)[0]
        if environments and env not in stacks and "/" in entry["resource"]:
            what = "an environment" if not groups else "a stack"
            yield (("policy", "suppressions", index, "resource"),
                   f"'{env}' is not {what}; a resource path starts with one of: {known}")
        key = (entry.get("rule"), entry["resource"])
        if key in seen:
            yield (("policy", "suppressions", index),
                   f"suppresses {key[0]} on {key[1]} again (also policy.suppressions[{seen[key]}]); keep one")
        seen.setdefault(key, index)


# Settings that belong to exactly one environment: sharing one, or naming another environment in it, lets a
# dev deploy read or write prod.
_OWN_SETTINGS = ("catalog", "workspace_dir", "secret_scope", "run_as")


def _personal_targets(environments: dict[str, Any]) -> Iterator[Problem]:
    """Personal targets run unreviewed code as the environment's run_as, with its secrets, in its catalog: only
    an environment whose schedules are paused (a development one) may have them."""
    for env_name, env in environments.items():
        if isinstance(env, dict) and env.get("personal_targets") is True and env.get("schedules_paused") is False:
            yield (("environments", env_name, "personal_targets"),
                   "is true where schedules_paused is false: a personal target deploys code before review, as this "
                   "environment's run_as and with its secrets, so only a development environment (schedules "
                   "paused) may have them; set personal_targets on your dev environment instead")


def _monitoring_workspaces(environments: dict[str, Any]) -> Iterator[Problem]:
    """Monitoring filters the system table by workspace ID: it must be known at synth."""
    for env_name, env in environments.items():
        monitoring = env.get("monitoring") if isinstance(env, dict) else None
        if not isinstance(monitoring, dict) or monitoring.get("workspace_id") is not None:
            continue
        workspace = env.get("workspace")
        host = workspace.get("host") if isinstance(workspace, dict) else None
        if names.workspace_id_of(host if isinstance(host, str) else None) is None:
            yield (("environments", env_name, "monitoring"),
                   "names no workspace_id, and the workspace host does not carry one (only Azure's "
                   "adb-<id>.<n>.azuredatabricks.net does); set monitoring.workspace_id to the number after ?o= "
                   "in the workspace's URL: job ids are unique only within a workspace")


def _environments_stay_apart(environments: dict[str, Any]) -> Iterator[Problem]:
    envs = {name: env for name, env in environments.items() if isinstance(env, dict)}
    for setting in _OWN_SETTINGS:
        # folders as the workspace resolves them: '/Applications/x/dev/' and '/Workspace/Applications/x/dev' are one
        values = {name: names.normal_workspace_dir(env[setting]) if setting == "workspace_dir" else env[setting]
                  for name, env in envs.items() if isinstance(env.get(setting), str)}
        # A workspace folder or scope name is only shared if both stacks deploy to the same workspace.
        keys = {name: ("" if setting in ("catalog", "run_as") else _workspace_key(envs[name]), name_key(value))
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


def _connections(connectors: tuple[Any, ...], environments: dict[str, Any]) -> Iterator[Problem]:
    """Every environment names its own connection: a connection holds the credentials a pipeline ingests with,
    and one name in two workspaces of a metastore is one connection, so dev would ingest with prod's."""
    for index, connector in _managed(connectors):
        connection = _mapping(connector, "connection")
        if "connection" not in connector or not isinstance(connector["connection"], dict):
            continue  # missing or malformed: the model reports it
        name = connector.get("name", "this connector")
        for env in environments:
            if env not in connection:
                yield (("connectors", index, "connection"),
                       f"has no entry for environment '{env}'; name the Unity Catalog connection {name} ingests "
                       f"through in {env}")
        first_env: dict[str, str] = {}
        for env, value in connection.items():
            if env not in environments or not isinstance(value, str):
                continue
            named = _names_other_environment(value, env, [other for other in environments if other != env])
            other = first_env.setdefault(name_key(value), env)
            if named is not None:
                yield (("connectors", index, "connection", env),
                       f"'{value}' names environment '{named}'; each environment must use its own connection "
                       f"(e.g. one that names '{env}')")
            elif other != env and _workspace_key(environments[other]) != _workspace_key(environments[env]):
                yield (("connectors", index, "connection", env),
                       f"'{value}' is also connectors[{index}].connection.{other}, but {other} and {env} deploy to "
                       f"different workspaces; give each environment its own connection, or {env} ingests with "
                       f"{other}'s credentials")


def _unique_destinations(connectors: tuple[Any, ...]) -> Iterator[Problem]:
    """Two objects cannot land in one table: the pipeline fails on a destination table that already exists."""
    first_use: dict[tuple[str, str], str] = {}
    for index, connector in _managed(connectors):
        objects = connector.get("objects")
        for position, item in enumerate(objects if isinstance(objects, tuple) else ()):
            if not isinstance(item, dict):
                continue
            schema = item.get("destination_schema", connector.get("destination_schema"))
            table = item.get("destination_table", item.get("table"))
            if not (isinstance(schema, str) and isinstance(table, str)):
                continue
            where = format_path(("connectors", index, "objects", position))
            owner = first_use.setdefault((name_key(schema), name_key(table)), where)
            if owner != where:
                yield (("connectors", index, "objects", position),
                       f"lands in table '{schema}.{table}' like {owner}; set destination_table on one of them")


def _acknowledgements_match(connectors: tuple[Any, ...]) -> Iterator[Problem]:
    for index, connector in _managed(connectors):
        connection = _mapping(connector, "connection")
        for env, acknowledgement in _mapping(connector, "acknowledge_data_loss").items():
            acknowledged = acknowledgement.get("connection") if isinstance(acknowledgement, dict) else None
            current = connection.get(env)
            if isinstance(acknowledged, str) and isinstance(current, str) and acknowledged != current:
                yield (("connectors", index, "acknowledge_data_loss", env, "connection"),
                       f"'{acknowledged}' is not connection.{env} ('{current}'); an acknowledgement covers one "
                       f"change of connection: set it to '{current}' or remove it")


def _replacements(connectors: tuple[Any, ...], environments: dict[str, Any], lock: Lock) -> Iterator[Problem]:
    """Changes that replace or remove a managed ingestion pipeline an environment with protect_data has:
    Databricks deletes every table a pipeline ingested when the pipeline is deleted."""
    managed = {connector["name"]: (index, connector) for index, connector in _managed(connectors)
               if isinstance(connector.get("name"), str)}  # the model reports any other name
    # A renamed connector's pipeline moves to its new name (a `moved` block): it is the one the lock names.
    renamed = {connector["renamed_from"]: (index, connector) for index, connector in managed.values()
               if isinstance(connector.get("renamed_from"), str) and connector["renamed_from"] not in managed}
    for env, pipelines in sorted(lock.pipelines.items()):
        settings = environments.get(env)
        if not isinstance(settings, dict) or settings.get("protect_data", True) is not True:
            continue
        for name, before in sorted(pipelines.items()):
            if name not in managed and name in renamed and renamed[name][1]["name"] not in pipelines:
                index, connector = renamed[name]
            elif name not in managed:
                yield (("connectors",),
                       f"'{name}' was synthesized into {env} as a lakeflow_connect connector ({lock.file}) and is "
                       f"no longer here; removing it deletes its pipeline and every table it ingested. Put it back, "
                       f"or accept the loss by deleting its entry under pipelines.{env} in {lock.file} in the same "
                       "change")
                continue
            else:
                index, connector = managed[name]
            now = _mapping(connector, "connection").get(env)
            acknowledgement = _mapping(connector, "acknowledge_data_loss").get(env)
            acknowledged = isinstance(acknowledgement, dict) and acknowledgement.get("connection") == now
            if isinstance(now, str) and now != before and not acknowledged:
                yield (("connectors", index, "connection", env),
                       f"changing '{before}' to '{now}' replaces the pipeline, and Databricks deletes every table "
                       f"a pipeline ingested when it deletes the pipeline; keep '{before}', or accept the loss with "
                       f"acknowledge_data_loss: {{{env}: {{connection: {now}, reason: <why>}}}}")
