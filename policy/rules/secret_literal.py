"""CP-SECRET-LITERAL: no credential in any synthesized attribute: known token and key shapes (core.credentials),
`password=`-style assignments in text, random-looking values in fields named like a credential. A finding never
shows the value."""

from __future__ import annotations

import re
from collections.abc import Iterator

from core.credentials import entropy, masked, redact, shape_in
from policy.rule import Item, PolicyContext, Rule, Stack
from policy.rules._helpers import strings

# `password=x`, `token:x` (no space: prose such as "the token: see..." is not one) and JSON's `"password": "x"`.
_ASSIGNMENT = re.compile(r"(?i)\b(password|passwd|pwd|client_secret|secret|token|api[_-]?key)"
                         r"(?:\s*=\s*|:(?=\S)|[\"']\s*:\s*[\"']?)(?!\{\{secrets/|\$\{)([^\s&;'\",]+)")
_CREDENTIAL_FIELD = re.compile(r"(?i)token|secret|passw|pwd|api_?key|credential|private_?key|access_?key")
# Fields that name a credential rather than hold one: secret_scope, secret_names, token_url...
_NAMES_A_CREDENTIAL = re.compile(r"(?i)_(scope|names?|url|uri|path|file|id|ttl|type|keys?_name)$")
_REFERENCE = re.compile(r"\{\{secrets/[^}]+\}\}|\$\{[^}]+\}")


def _random_looking(value: str) -> bool:
    """A run of 16+ letters and digits with both, and little repetition: words joined by '-' or '_' are not."""
    for run in re.split(r"[^A-Za-z0-9+/=]+", _REFERENCE.sub(" ", value)):
        if (len(run) >= 16 and any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
                and entropy(run) >= 3.5):
            return True
    return False


def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
    seen: dict[str, tuple[str | None, re.Match | None]] = {}  # text -> (shape, assignment): strings repeat

    def credential_in(text: str) -> tuple[str | None, re.Match | None]:
        if text not in seen:
            shape = shape_in(text)
            seen[text] = (shape, None if shape else _ASSIGNMENT.search(text))
        return seen[text]

    for item in stack.items:
        for at, text in strings(item.body):
            shape, assignment = credential_in(text)
            field = at.rsplit(".", 1)[-1]
            if shape is not None:
                yield item, f"{masked(at) or 'a key'} holds {shape} ({redact(text)})"
            elif assignment is not None:
                yield item, (f"{masked(at) or 'a key'} assigns a credential in text ('{assignment.group(1)}=…', "
                             "redacted)")
            elif _CREDENTIAL_FIELD.search(field) and not _NAMES_A_CREDENTIAL.search(field) and _random_looking(text):
                yield item, (f"{masked(at) or 'a key'}, named like a credential, holds a random-looking value "
                             f"('{text[:4]}…', redacted)")


RULE = Rule("CP-SECRET-LITERAL", "no secret-like literal (tokens, keys, password= values, random values in "
            "credential-named fields) in any synthesized attribute",
            "store the value in the secret scope and pass its name; code reads it with dbutils.secrets.get", check)
