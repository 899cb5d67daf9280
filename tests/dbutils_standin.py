"""A minimal stand-in for Databricks' `dbutils` (widgets, secrets, task values): the workspace edge, which no
machine here reaches. It behaves as the real one does where the notebooks depend on it: values the job passes
win over declared widget defaults, an undeclared widget or unknown secret raises, task values must be JSON and
are kept per task, and a task reads another task's values by its key."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


class StandInWidgets:
    def __init__(self, passed: dict[str, str]):
        self.passed = dict(passed)
        self.declared: dict[str, str] = {}

    def text(self, name: str, default_value: str, label: str | None = None) -> None:
        self.declared[name] = default_value

    def get(self, name: str) -> str:
        if name in self.passed:
            return self.passed[name]
        if name in self.declared:
            return self.declared[name]
        raise ValueError(f"InputWidgetNotDefined: {name}")


class StandInSecrets:
    def __init__(self, scopes: dict[str, dict[str, str]]):
        self.scopes = scopes
        self.reads: list[tuple[str, str]] = []

    def get(self, scope: str, key: str) -> str:
        self.reads.append((scope, key))
        if key not in self.scopes.get(scope, {}):
            raise ValueError(f"Secret does not exist with scope: {scope} and key: {key}")
        return self.scopes[scope][key]


class StandInTaskValues:
    """Task values of one job run, shared by its tasks: {task_key: {key: value}}."""

    def __init__(self, run_values: dict[str, dict[str, Any]], task_key: str):
        self.run_values, self.task_key = run_values, task_key

    def set(self, key: str, value: Any) -> None:
        json.dumps(value)  # Databricks refuses values that are not JSON-serialisable
        self.run_values.setdefault(self.task_key, {})[key] = value

    def get(self, taskKey: str, key: str, default: Any = None, debugValue: Any = None) -> Any:  # noqa: N803
        return self.run_values.get(taskKey, {}).get(key, default)


class StandInJobs:
    def __init__(self, run_values: dict[str, dict[str, Any]], task_key: str):
        self.taskValues = StandInTaskValues(run_values, task_key)  # noqa: N815 (dbutils' name)


class StandInDbutils:
    def __init__(self, passed: dict[str, str], scopes: dict[str, dict[str, str]] | None = None,
                 run_values: dict[str, dict[str, Any]] | None = None, task_key: str = "ingest"):
        self.widgets = StandInWidgets(passed)
        self.secrets = StandInSecrets(scopes or {})
        self.jobs = StandInJobs({} if run_values is None else run_values, task_key)


def run_notebook(name: str, dbutils: StandInDbutils, spark: Any = None) -> dict[str, Any]:
    """Runs notebooks/<name>.py as the workspace would: `dbutils` and `spark` as globals, top to bottom."""
    return runpy.run_path(str(NOTEBOOKS / f"{name}.py"), init_globals={"dbutils": dbutils, "spark": spark},
                          run_name="__main__")
