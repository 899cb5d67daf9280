"""A place inside a nested document (connectors.yaml, a job's settings), and how messages write it."""

from __future__ import annotations

FieldPath = tuple[str | int, ...]


def format_path(path: FieldPath, *, empty: str = "(top level)") -> str:
    """('connectors', 0, 'name') -> 'connectors[0].name'; `empty` names the document itself."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or empty
