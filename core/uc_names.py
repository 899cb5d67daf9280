"""Names as Databricks compares them. Unity Catalog folds catalog, schema and table names to lower case, and
groups, service principal application IDs and workspace hosts are matched without regard to case either: so
`APPSEC_DEV.silver.x` is `appsec_dev.silver.x`. Every check that asks "is this the same name" or "does this text
name it" asks here."""

from __future__ import annotations

import re


def name_key(name: str) -> str:
    """What two names that Databricks takes for the same have in common."""
    return name.lower()


def same_name(first: str, second: str) -> bool:
    return name_key(first) == name_key(second)


def whole_name(name: str) -> re.Pattern[str]:
    """`name` as a whole name in any text, in any case: not inside a longer one (`appsec_dev` is not in
    `appsec_devx`), where a longer name may use the characters names have, and any `name` itself has (a scope may
    hold '.' or '@')."""
    inside = re.escape("".join(sorted({"_", "-", *(c for c in name if not c.isalnum())})))
    return re.compile(rf"(?<![A-Za-z0-9{inside}]){re.escape(name)}(?![A-Za-z0-9{inside}])", re.IGNORECASE)
