"""CP-SECRET-LITERAL: no credential in any synthesized attribute: known token and key shapes, a URL's
`user:password@`, a literal in a field whose key holds a credential (any part of it: 'spark.hadoop.fs.s3a.secret.key',
'fs.azure.account.key.<account>.dfs.core.windows.net'), all from core.credentials, and `password=`-style
assignments in text. A finding never shows the value."""

from __future__ import annotations

import re

from collections.abc import Iterator
from typing import Any

from core.credentials import is_credential_key, masked, redact, shape_in, url_password
from policy.rule import Item, PolicyContext, Rule, Stack

# `password=x`, `token:x` (no space: prose such as "the token: see..." is not one) and JSON's `"password": "x"`.
_ASSIGNMENT = re.compile(r"(?i)\b(password|passwd|pwd|client_secret|secret|token|api[_-]?key)"
                         r"(?:\s*=\s*|:(?=\S)|[\"']\s*:\s*[\"']?)(?!\{\{secrets/|\$\{)([^\s&;'\",]+)")
# A value that refers to a credential instead of holding one: a secret reference or a Terraform reference.
_REFERENCE = re.compile(r"\{\{secrets/[^}]+\}\}|\$\{[^}]+\}")


def _strings(value: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, str]]:
    """(attribute path, the key that holds it, string) for every string in a block; map keys count as strings
    too (held by no key). A list's items are held by the list's key."""
    if isinstance(value, str):
        yield path, key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            at = f"{path}.{name}" if path else str(name)
            yield at, "", str(name)
            yield from _strings(item, at, str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]", key)


def _shown(text: str) -> str:
    """A literal credential as a finding shows it: its first 4 characters when it is long enough to keep the rest
    hidden, else nothing of it."""
    return f"'{text[:4]}…', redacted" if len(text) >= 12 else "redacted"


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    found: dict[tuple[bool, str], str | None] = {}  # (held by a credential key, text) -> message: strings repeat
    keys: dict[str, bool] = {}  # key -> named like a credential: keys repeat even more

    def credential_key(key: str) -> bool:
        if key not in keys:
            keys[key] = bool(key) and is_credential_key(key)
        return keys[key]

    def message(key: str, text: str) -> str | None:
        """What a finding says after the attribute's path, or None when `text` (held by `key`) is no credential."""
        held = credential_key(key)
        if (held, text) not in found:
            found[held, text] = _message(held, text)
        return found[held, text]

    def any_finding(value: Any, key: str = "") -> bool:
        # The walk without the paths: nearly every block has no finding, and building the path of each of a
        # stack's strings cost more than checking them.
        if isinstance(value, str):
            return message(key, value) is not None
        if isinstance(value, dict):
            return any(message("", str(name)) is not None or any_finding(item, str(name))
                       for name, item in value.items())
        if isinstance(value, list):
            return any(any_finding(item, key) for item in value)
        return False

    for item in stack.items:
        if not any_finding(item.body):
            continue
        for at, key, text in _strings(item.body):
            said = message(key, text)
            if said is not None:
                yield item, f"{masked(at) or 'a key'}{said}"


def _message(held: bool, text: str) -> str | None:
    shape = shape_in(text)
    if shape is not None:
        return f" holds {shape} ({redact(text)})"
    url = url_password(text)
    if url is not None:
        return f" holds a password in a URL ('{url}', redacted)"
    assignment = _ASSIGNMENT.search(text)
    if assignment is not None:
        return f" assigns a credential in text ('{assignment.group(1)}=…', redacted)"
    if held and text.strip() and not _REFERENCE.search(text):
        return f", named like a credential, holds a literal value ({_shown(text)})"
    return None


RULE = Rule("CP-SECRET-LITERAL", "no secret-like literal (tokens, keys, passwords in URLs or password= values, any "
            "literal in a field named like a credential) in any synthesized attribute",
            "store the value in the secret scope and pass its name (code reads it with dbutils.secrets.get; a "
            "cluster's spark_conf or spark_env_vars value reads it as {{secrets/<scope>/<key>}})", check)
