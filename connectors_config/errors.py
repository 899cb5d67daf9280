"""Config errors: every problem in connectors.yaml, reported together, each with file, line and field path."""

from __future__ import annotations

from dataclasses import dataclass

from core.field_paths import FieldPath as Path, format_path

__all__ = ["ConfigError", "ConfigProblem", "Path", "format_path", "line_of"]


def line_of(path: Path, lines: dict[Path, int]) -> int:
    """The line of the deepest part of `path` that exists in the file (a missing key -> its parent's line)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return 1


@dataclass(frozen=True)
class ConfigProblem:
    line: int  # 1-based; 0 when the problem is about the file as a whole
    path: str
    message: str
    file: str = ""  # a file connectors.yaml imports (a job definition); '' for connectors.yaml itself

    def render(self, file: str) -> str:
        file = self.file or file
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.path}: {self.message}"


class ConfigError(Exception):
    """connectors.yaml is not valid; `problems` holds all of what is wrong, ordered by file and line (the
    config's own first)."""

    def __init__(self, file: str, problems: list[ConfigProblem]):
        self.file = file
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.path, p.message))
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.file}: {count} error{'s' if count != 1 else ''}; nothing was synthesized."
        return "\n".join([head, *(f"  {p.render(self.file)}" for p in self.problems)])
