"""What a credential looks like, in one place: the config refuses a value shaped like one where a name belongs,
the policy pack refuses one anywhere in a synthesized stack, and every message shows such a value redacted.

Credential formats with a fixed, recognisable shape (GitHub, Databricks, AWS, GitLab, Slack, SonarQube,
OpenAI-style keys, JWTs, PEM blocks); the lengths are the shortest a real token of each kind has, or a
pasted one cut short still has."""

from __future__ import annotations

import math
import re
from collections import Counter
from itertools import pairwise

TOKEN_SHAPES: tuple[tuple[str, str], ...] = (
    ("a GitHub token", r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"),
    ("a Databricks token", r"dapi[0-9a-f]{16,}(-\d+)?|dkea[0-9a-f]{16,}"),
    ("an AWS access key", r"(AKIA|ASIA)[0-9A-Z]{16}"),
    ("a GitLab token", r"glpat-[A-Za-z0-9_-]{16,}"),
    ("a Slack token", r"xox[abprs]-[A-Za-z0-9-]{10,}"),
    ("a SonarQube token", r"sq[pua]_[0-9a-f]{20,}"),
    ("an API key", r"sk-[A-Za-z0-9_-]{20,}"),
    ("a JSON web token", r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    ("a private key", r"-----BEGIN [A-Z ]*PRIVATE KEY"),
)
# Each shape found anywhere in a text; the lookbehind keeps one from matching inside a longer word.
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(rf"(?<![A-Za-z0-9_-])(?:{pattern})")) for what, pattern in TOKEN_SHAPES)
_ANY_SHAPE = re.compile("|".join(pattern.pattern for _, pattern in SHAPES))  # one pass where none is (most)
_STARTS_WITH_SHAPE = re.compile("|".join(f"(?:{pattern})" for _, pattern in TOKEN_SHAPES))
# Words that make a key the holder of a credential, in any part of it: 'spark.hadoop.fs.s3a.secret.key',
# 'DB_PASSWORD', 'apiToken', 'fs.azure.sas.<container>.<account>.blob.core.windows.net'.
CREDENTIAL_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "sas",
                              "authorization"})
# Two parts that together hold one: 'fs.s3a.access.key', 'fs.azure.account.key.<account>.dfs.core.windows.net'.
CREDENTIAL_PAIRS = frozenset({("access", "key"), ("account", "key"), ("api", "key"), ("private", "key"),
                              ("secret", "key"), ("client", "secret"), ("session", "token"), ("master", "key"),
                              ("encryption", "key"), ("signing", "key"), ("shared", "key")})
# A last part that makes the key name a credential rather than hold one: secret_scope, secret_names, token_url,
# fs.azure.sas.token.provider.type, spark.hadoop.fs.s3a.aws.credentials.provider.
NAMING_PARTS = frozenset({"scope", "name", "names", "url", "uri", "path", "file", "id", "ttl", "type", "provider",
                          "endpoint", "class", "enabled", "version", "expiry", "timeout", "header", "location"})
# A URL's password: scheme://user:password@host (a reference such as {{secrets/s/k}} in its place is none).
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@?#]*:)(?!\{\{secrets/|\$\{)([^/\s@?#]+)@")
# 'password=x', 'token: x' inside a value that should be a name.
_ASSIGNMENT = re.compile(r"(?i)(password|passwd|pwd|secret|token|api[_-]?key)\s*[=:]\s*\S")


def shape_in(text: str) -> str | None:
    """What kind of credential `text` holds somewhere ('a GitHub token'...), or None."""
    if not _ANY_SHAPE.search(text):
        return None
    return next(what for what, pattern in SHAPES if pattern.search(text))


def key_parts(key: str) -> list[str]:
    """The words of a key, lower-case: split at '.', '_', '-', blanks and camelCase ('fs.s3a.secretKey' ->
    fs, s3a, secret, key)."""
    return [word.lower() for part in re.split(r"[._\-\s/:]+", key)
            for word in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", part)]


def is_credential_key(key: str) -> bool:
    """True for a key that holds a credential (its value must never be a literal): any of its parts is a
    credential word, or two neighbouring parts are a credential pair, unless its last part says it names one."""
    parts = key_parts(key)
    if not parts or parts[-1] in NAMING_PARTS:
        return False
    return (any(part in CREDENTIAL_WORDS for part in parts)
            or any(pair in CREDENTIAL_PAIRS for pair in pairwise(parts)))


def url_password(text: str) -> str | None:
    """`text`'s first URL that holds a password (scheme://user:password@host), shown with the password cut
    ('https://svc:…@host'); None when it has none."""
    match = _URL_PASSWORD.search(text)
    if match is None:
        return None
    end = re.compile(r"[\s'\"?#]").search(text, match.end())
    return f"{match.group(1)}…@{text[match.end():end.start() if end else len(text)]}"


def masked(text: str) -> str:
    """`text` with every credential-shaped part cut to its first 4 characters."""
    for _, pattern in SHAPES:
        text = pattern.sub(lambda match: f"{match.group(0)[:4]}…", text)
    return _URL_PASSWORD.sub(lambda match: f"{match.group(1)}…@", text)


def looks_like_secret_value(value: str) -> bool:
    """True for strings shaped like credentials rather than names.

    Names are short words joined by '-', '_' or '.'; credentials are known token formats, 'key=value'
    assignments, or long random-looking runs of letters and digits.
    """
    text = value.strip()
    if _STARTS_WITH_SHAPE.match(text) or _ASSIGNMENT.search(text):
        return True
    for segment in re.split(r"[-_.]", text):
        has_digit = any(c.isdigit() for c in segment)
        has_alpha = any(c.isalpha() for c in segment)
        if len(segment) >= 20 and has_digit and has_alpha and entropy(segment) >= 3.0:
            return True
    return False


def redact(value: object) -> str:
    """How a value appears in an error message: quoted, and never in full when it looks like a credential."""
    if isinstance(value, str):
        if looks_like_secret_value(value):
            return f"'{value[:4]}…' (redacted: looks like a credential)"
        return repr(masked(value))  # a token or a URL password after other words is cut too
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return repr(value)


def entropy(text: str) -> float:
    """Shannon entropy in bits per character: random tokens score high, words and names low."""
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
