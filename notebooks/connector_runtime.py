"""What the entry notebooks read from the job: parameters through dbutils.widgets, credentials through
dbutils.secrets.

Uploaded as a workspace file beside them (not as a notebook), so the notebooks `import connector_runtime`
and the same code runs, unchanged, in local tests (with a stand-in for dbutils).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from connector_source import SourceSpec, parse_timestamp

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")

# Widgets every entry notebook declares: job parameters (source_name, target_catalog, hwm_reset) and the fixed
# task parameters the job passes (source, settings, secret scope and names, schemas, initial mark, run id).
# Defaults apply to interactive runs only.
WIDGETS = (
    ("source_name", ""),
    ("target_catalog", ""),
    ("hwm_reset", "false"),
    ("source", ""),
    ("settings", "{}"),
    ("secret_scope", "mvp-connectors"),
    ("secret_names", ""),
    ("bronze_schema", "bronze"),
    ("silver_schema", "silver"),
    ("initial_mark", ""),
    ("job_run_id", ""),
)
INTERACTIVE_RUN = "interactive"  # job_run_id of a run started from the notebook editor


class Widgets(Protocol):
    def text(self, name: str, default_value: str, label: str | None = None) -> None: ...

    def get(self, name: str) -> str: ...


class Secrets(Protocol):
    def get(self, scope: str, key: str) -> str: ...


@dataclass(frozen=True)
class RunParameters:
    source_name: str  # the connector: names its tables, state rows and secrets
    target_catalog: str
    hwm_reset: bool
    source: str  # the source code it runs (source_<source>.py); the connector's name unless configured
    settings: dict[str, Any]
    secret_scope: str
    secret_names: tuple[str, ...]
    bronze: str  # full schema names: '<catalog>.<schema>'
    silver: str
    initial_mark: datetime | None  # where a first run or an hwm_reset backfill starts; None: everything
    job_run_id: str

    def bronze_table(self, entity: str) -> str:
        return f"{self.bronze}.{self.source_name}_{entity}"

    def silver_table(self, entity: str) -> str:
        return f"{self.silver}.{self.source_name}_{entity}"


def declare_widgets(widgets: Widgets) -> None:
    for name, default in WIDGETS:
        widgets.text(name, default)


def read_parameters(widgets: Widgets) -> RunParameters:
    """Reads and checks the widgets; raises ValueError naming every bad parameter at once."""
    values = {name: widgets.get(name).strip() for name, _ in WIDGETS}
    problems = []
    for name in ("source_name", "target_catalog", "bronze_schema", "silver_schema"):
        if not _IDENTIFIER.fullmatch(values[name]):
            problems.append(f"{name}={values[name]!r} is not a lowercase identifier (e.g. 'github', 'appsec_dev')")
    if values["source"] and not _IDENTIFIER.fullmatch(values["source"]):
        problems.append(f"source={values['source']!r} is not a lowercase identifier (e.g. 'github')")
    if values["hwm_reset"].lower() not in ("true", "false"):
        problems.append(f"hwm_reset={values['hwm_reset']!r} must be 'true' or 'false'")
    if not values["secret_scope"]:
        problems.append("secret_scope is empty")
    try:
        settings = json.loads(values["settings"] or "{}")
        if not isinstance(settings, dict):
            raise ValueError
    except ValueError:
        settings = {}
        problems.append("settings is not a JSON object (the job passes the connector's settings from connectors.yaml)")
    initial_mark = None
    if values["initial_mark"]:
        try:
            initial_mark = parse_timestamp(values["initial_mark"])
        except ValueError as error:
            problems.append(f"initial_mark: {error}")
    if problems:
        raise ValueError("bad job parameters: " + "; ".join(problems))
    return RunParameters(
        source_name=values["source_name"],
        target_catalog=values["target_catalog"],
        hwm_reset=values["hwm_reset"].lower() == "true",
        source=values["source"] or values["source_name"],
        settings=settings,
        secret_scope=values["secret_scope"],
        secret_names=tuple(n for n in values["secret_names"].split(",") if n),
        bronze=f"{values['target_catalog']}.{values['bronze_schema']}",
        silver=f"{values['target_catalog']}.{values['silver_schema']}",
        initial_mark=initial_mark,
        job_run_id=values["job_run_id"] or INTERACTIVE_RUN,
    )


def read_credentials(secrets: Secrets, params: RunParameters, spec: SourceSpec) -> dict[str, str]:
    """The source's credentials by role, from the scope the job names. Values stay in memory: never printed,
    never written (Databricks also redacts secret values in notebook output)."""
    names = dict(zip(spec.secrets, spec.secret_names(params.source_name), strict=True))
    missing = [name for name in names.values() if name not in params.secret_names]
    if missing:
        raise ValueError(f"the job does not pass the secret(s) {', '.join(missing)} that source '{spec.name}' reads; "
                         "declare them under the connector's secrets in connectors.yaml and deploy")
    return {role: secrets.get(scope=params.secret_scope, key=name) for role, name in names.items()}
