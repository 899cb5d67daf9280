"""Runtime helpers shared by the entry notebooks.

Uploaded as a workspace file beside them (not as a notebook), so the notebooks `import connector_runtime`
and the same code runs, unchanged, in local tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")

# Widgets every entry notebook declares: job parameters (source_name, target_catalog, hwm_reset) and the
# fixed task parameters the job passes (secret scope and names, schema names). Defaults apply to interactive runs only.
WIDGETS = (
    ("source_name", ""),
    ("target_catalog", ""),
    ("hwm_reset", "false"),
    ("secret_scope", "mvp-connectors"),
    ("secret_names", ""),
    ("bronze_schema", "bronze"),
    ("silver_schema", "silver"),
)


class Widgets(Protocol):
    def text(self, name: str, default_value: str, label: str | None = None) -> None: ...

    def get(self, name: str) -> str: ...


@dataclass(frozen=True)
class RunParameters:
    source_name: str
    target_catalog: str
    hwm_reset: bool
    secret_scope: str
    secret_names: tuple[str, ...]
    bronze: str  # full schema names: '<catalog>.<schema>'
    silver: str


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
    if values["hwm_reset"].lower() not in ("true", "false"):
        problems.append(f"hwm_reset={values['hwm_reset']!r} must be 'true' or 'false'")
    if not values["secret_scope"]:
        problems.append("secret_scope is empty")
    if problems:
        raise ValueError("bad job parameters: " + "; ".join(problems))
    return RunParameters(
        source_name=values["source_name"],
        target_catalog=values["target_catalog"],
        hwm_reset=values["hwm_reset"].lower() == "true",
        secret_scope=values["secret_scope"],
        secret_names=tuple(n for n in values["secret_names"].split(",") if n),
        bronze=f"{values['target_catalog']}.{values['bronze_schema']}",
        silver=f"{values['target_catalog']}.{values['silver_schema']}",
    )


def ingest_plan(params: RunParameters) -> str:
    start = "the connector's initial point (hwm_reset=true: backfill)" if params.hwm_reset else "the stored high water mark"
    secrets = ", ".join(params.secret_names) or "none"
    return (f"ingest {params.source_name}: read credentials [{secrets}] from scope '{params.secret_scope}', "
            f"fetch records changed since {start}, append them to {params.bronze}.{params.source_name}_*")


def transform_plan(params: RunParameters) -> str:
    return (f"transform {params.source_name}: read new records from {params.bronze}.{params.source_name}_*, "
            f"merge them without duplicates into {params.silver}.{params.source_name}_*")
