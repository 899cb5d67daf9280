"""What a source is, to the platform: the one small interface every `source_<name>.py` implements.

Uploaded as a workspace file beside the entry notebooks; standard library only, so `cdktf synth` can read the
same specs to check connectors.yaml (settings and secret names) before anything deploys.

A source module `source_<name>.py` defines `SPEC = SourceSpec(...)`:
- `settings`: the non-secret settings connectors.yaml gives it (base URL, organisation, projects...);
- `secrets`: the roles of its credentials; the connector declares each as the secret `<connector>-<role>`
  in the environment's scope (`github-token` for the role `token` of the connector `github`);
- `entities`: what it fetches, each landing in `<catalog>.bronze.<connector>_<entity>`;
- `connect(settings, credentials, policy, sleep)`: a client whose `fetch(entity, since)` yields every record
  of the entity changed at or after `since` (all of them when None) as `SourceRecord`s;
- `silver(settings)`: per entity, the typed columns silver parses out of each record's raw JSON payload.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from connector_http import HttpPolicy

SOURCE_MODULE_PREFIX = "source_"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Spark SQL types a silver column may have; TIMESTAMP columns accept the timestamp formats `parse_timestamp` does.
SILVER_TYPES = ("STRING", "BIGINT", "INT", "DOUBLE", "BOOLEAN", "TIMESTAMP")
_JSON_PATH = re.compile(r"\$(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])+")


@dataclass(frozen=True)
class SourceRecord:
    entity: str
    key: str  # unique within the entity
    updated_at: datetime  # the record's own last change, timezone-aware
    payload: dict[str, Any]  # the record as the source returned it


@dataclass(frozen=True)
class Setting:
    """One non-secret setting of a source. `kind` is str, list (of strings) or dict (string to string)."""

    description: str
    kind: type = str
    required: bool = False
    default: Any = None  # applies when the connector does not set it

    def problem(self, value: Any) -> str | None:
        """Why `value` cannot be this setting, or None."""
        if self.kind is str:
            ok = isinstance(value, str) and value.strip() != ""
            expected = "a non-empty string"
        elif self.kind is list:
            ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value)
            expected = "a list of strings"
        else:
            ok = isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) and v
                                                   for k, v in value.items())
            expected = "a mapping of names to strings"
        return None if ok else f"must be {expected}"


@dataclass(frozen=True)
class SilverColumn:
    name: str  # silver column name
    type: str  # one of SILVER_TYPES
    path: str  # JSON path into the raw payload, e.g. '$.owner.login' (Spark's get_json_object syntax)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"silver column {self.name!r} is not a lowercase identifier")
        if self.type not in SILVER_TYPES:
            raise ValueError(f"silver column {self.name!r}: type {self.type!r} is not one of {', '.join(SILVER_TYPES)}")
        if not _JSON_PATH.fullmatch(self.path):
            raise ValueError(f"silver column {self.name!r}: path {self.path!r} is not a JSON path like '$.a.b'")


class Source(Protocol):
    """Optionally also `listed_keys(entity) -> frozenset[str] | None`: after a fetch of `entity` that read the
    source's full current list of it (every page, whatever the mark), every key listed; None when that fetch
    could not tell (it stopped at the mark, or the server filtered). Silver marks the keys missing from it as
    deleted (`_deleted_at`)."""

    @property
    def entities(self) -> tuple[str, ...]: ...  # read only: a source's own constant

    def fetch(self, entity: str, since: datetime | None) -> Iterator[SourceRecord]: ...


def listed_keys(source: Source, entity: str) -> frozenset[str] | None:
    """The keys of `source`'s full listing of `entity` in its last fetch, None when it cannot tell."""
    method = getattr(source, "listed_keys", None)
    return None if method is None else method(entity)


@dataclass(frozen=True)
class SourceSpec:
    name: str
    description: str
    entities: tuple[str, ...]
    connect: Callable[..., Source]  # (settings, credentials, *, policy, sleep) -> Source
    silver: Callable[[Mapping[str, Any]], Mapping[str, tuple[SilverColumn, ...]]]
    settings: Mapping[str, Setting] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()  # credential roles
    # Extra checks of the settings as a whole (e.g. a field mapping that must name a key): problems by setting.
    check: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None

    def problems(self, settings: Mapping[str, Any]) -> dict[str, str]:
        """Every problem with a connector's settings, by setting name; empty when they are fine."""
        found: dict[str, str] = {}
        for name in sorted(settings):
            if name not in self.settings:
                known = ", ".join(sorted(self.settings)) or "none"
                found[name] = f"is not a setting of source '{self.name}' (its settings: {known})"
            elif (problem := self.settings[name].problem(settings[name])) is not None:
                found[name] = problem
        for name, setting in sorted(self.settings.items()):
            if setting.required and name not in settings:
                found[name] = f"is required by source '{self.name}': {setting.description}"
        if not found and self.check is not None:
            found.update(self.check(self.with_defaults(settings)))
        return found

    def with_defaults(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        return {**{n: s.default for n, s in self.settings.items() if s.default is not None}, **settings}

    def secret_names(self, connector: str) -> tuple[str, ...]:
        """The secrets a connector of this source declares, in role order."""
        return tuple(secret_name(connector, role) for role in self.secrets)

    def open(self, settings: Mapping[str, Any], credentials: Mapping[str, str], *,
             policy: HttpPolicy = HttpPolicy(), sleep: Callable[[float], None] = time.sleep) -> Source:
        """A connected client; raises ValueError naming every bad setting or missing credential at once."""
        problems = [f"setting '{n}' {p}" for n, p in self.problems(settings).items()]
        problems += [f"credential '{role}' is missing" for role in self.secrets if not credentials.get(role)]
        if problems:
            raise ValueError(f"source '{self.name}': " + "; ".join(problems))
        return self.connect(self.with_defaults(settings), dict(credentials), policy=policy, sleep=sleep)


def secret_name(connector: str, role: str) -> str:
    return f"{connector}-{role}"


def load_spec(name: str) -> SourceSpec:
    """The SPEC of `source_<name>.py`, beside this file; ValueError naming the sources there if none."""
    available = available_sources()
    if name not in available:
        raise ValueError(f"unknown source {name!r}; sources: {', '.join(available)}")
    spec = importlib.import_module(f"{SOURCE_MODULE_PREFIX}{name}").SPEC
    if spec.name != name:
        raise ValueError(f"{SOURCE_MODULE_PREFIX}{name}.py names its SPEC {spec.name!r}; they must agree")
    return spec


_HERE = Path(__file__).resolve().parent
_LISTED: dict[int, tuple[str, ...]] = {}  # the folder's modification time -> its sources


def available_sources() -> tuple[str, ...]:
    """The sources beside this file. Read again only when the folder changes (a file added, removed or
    renamed changes its modification time, as for importlib's own finder): a config check asks once per connector
    and job."""
    changed = _HERE.stat().st_mtime_ns
    if changed not in _LISTED:
        _LISTED.clear()
        _LISTED[changed] = tuple(sorted(p.stem[len(SOURCE_MODULE_PREFIX):]
                                        for p in _HERE.glob(f"{SOURCE_MODULE_PREFIX}*.py")))
    return _LISTED[changed]


_TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                      "%Y-%m-%d")


def parse_timestamp(value: str) -> datetime:
    """A source's timestamp as a timezone-aware datetime: ISO 8601 with 'Z' or an offset (GitHub), offsets
    without a colon ('2026-11-20T08:15:00+0000', SonarQube), or no zone at all ('2026-11-20 08:15:00',
    ServiceNow-style CMDBs), read as UTC. ValueError for anything else."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _TIMESTAMP_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"{value!r} is not a timestamp (expected ISO 8601, e.g. '2026-11-20T08:15:00Z')") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_timestamp(value: datetime) -> str:
    """UTC, second precision or finer, with 'Z': how marks travel in task values and job parameters."""
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")
