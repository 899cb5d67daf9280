"""YAML (and JSON, its subset) read with the line of every key and item, for errors that name their line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq


def plain(node: Any, path: tuple, lines: dict[tuple, int], sequence: Callable[[list], Any] = list) -> Any:
    """ruamel's round-trip containers -> dicts and `sequence`s (lists; tuples for the frozen model), recording
    the 1-based line of every key and item under its path."""
    if isinstance(node, CommentedMap):
        result = {}
        for key, value in node.items():
            lines[path + (str(key),)] = node.lc.key(key)[0] + 1
            result[str(key)] = plain(value, path + (str(key),), lines, sequence)
        return result
    if isinstance(node, CommentedSeq):
        for index in range(len(node)):
            lines[path + (index,)] = node.lc.item(index)[0] + 1
        return sequence([plain(value, path + (index,), lines, sequence) for index, value in enumerate(node)])
    return str(node) if isinstance(node, str) else node
