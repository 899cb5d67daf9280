"""connectors.lock.json: what the last synth gave each environment's managed ingestion pipelines.

Changing a pipeline's connection replaces the pipeline, and deleting a pipeline deletes every table it ingested.
Terraform state would show the old value, but synth runs offline and before any plan; so, like Terraform's
own lock file, synth records the value here, the file is committed, and the next synth compares the config
with it (`checks._replacements`). Only names are recorded: no ids, no paths, no secrets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors_config.errors import ConfigError, ConfigProblem

_NOTE = ("Written by synth; commit it with connectors.yaml. Per environment, the connection each managed "
         "ingestion pipeline was synthesized with: changing one replaces the pipeline and deletes its tables.")


@dataclass(frozen=True)
class Lock:
    # environment -> lakeflow_connect connector name -> connection name
    pipelines: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    file: str = "connectors.lock.json"  # how error messages name the file

    def render(self) -> str:
        body = {"//": _NOTE, "pipelines": {env: {name: {"connection_name": connection}
                                                 for name, connection in sorted(pipelines.items())}
                                           for env, pipelines in sorted(self.pipelines.items())}}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"


def lock_path(config_path: str | os.PathLike[str]) -> Path:
    """connectors.yaml -> connectors.lock.json, beside it."""
    path = Path(config_path)
    return path.with_name(f"{path.stem}.lock.json")


def lock_of(config: Any) -> Lock:
    """The lock a synth of `config` writes (a PlatformConfig; typed loosely to keep this module import-light)."""
    pipelines: dict[str, dict[str, str]] = {}
    for connector in config.connectors:
        if connector.kind == "lakeflow_connect":
            for env, connection in connector.connection.items():
                pipelines.setdefault(env, {})[connector.name] = connection
    return Lock(pipelines)


def read_lock(path: str | Path) -> Lock:
    """The recorded lock; an empty one when there is none yet (a first synth)."""
    name = Path(path).name
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock(file=name)
    try:
        pipelines = json.loads(text)["pipelines"]
        parsed = {str(env): {str(source): str(entry["connection_name"]) for source, entry in entries.items()}
                  for env, entries in pipelines.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(str(path), [ConfigProblem(0, "(file)", (
            f"is not a lock file synth can read ({type(error).__name__}: {error}); restore it from version "
            "control (deleting it drops the guard against replacing pipelines that hold data)"))]) from None
    return Lock(parsed, file=name)


def write_lock(path: str | Path, lock: Lock) -> bool:
    """Writes the lock if it changed; True when it did."""
    target = Path(path)
    text = lock.render()
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)
    return True
