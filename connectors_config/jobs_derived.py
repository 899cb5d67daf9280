"""`${connectors.sources.<source>,...}`: the connectors a job reads, derived from the `connectors` section, so a
renamed, added or removed connector needs no edit in the jobs that consume its tables.

- `${connectors.sources.github,sonarqube}` is every batch connector deployed to the environment whose source is
  one of those, sorted by name, each written `<connector>:<source>`, or `<connector>` where it is named like its
  source, separated by commas: `github_cloud:github,sonarqube` (the form notebooks/findings_gold.py reads).
- `${connectors.sources.github.tables.code_scanning_alerts,dependabot_alerts}`, as an item of a list, is that
  many items: each such connector's silver table of each entity, `<catalog>.<silver_schema>.<connector>_<entity>`
  (connectors in name order, entities as written), e.g. for `trigger.table_update.table_names`.

A source no notebook declares, an entity a named source does not produce, or sources no connector reads (the
value would stand for nothing, and a job reading nothing is a mistake, not a choice) are errors naming the fix.
"""

from __future__ import annotations

import re
from typing import Any

from connectors_config.jobs_types import Catalogue, EnvironmentValues
from connectors_config.sources import available_sources, source_spec

NAMESPACE = "connectors."
FORMS = ("${connectors.sources.<source>[,<source>...]} (the connectors of those sources, as "
         "<connector>:<source>,...), ${connectors.sources.<source>[,...].tables.<entity>[,...]} (their silver "
         "tables, as items of a list)")
_FORM = re.compile(r"connectors\.sources\.([^.]*)(?:\.tables\.([^.]*))?")


def is_derived(name: str) -> bool:
    """`name` (inside `${...}`) is a `${connectors.*}` substitution."""
    return name.startswith(NAMESPACE)


def is_table_list(name: str) -> bool:
    """`name` stands for several silver tables: it is written as an item of a list and becomes as many items."""
    form = _FORM.fullmatch(name)
    return form is not None and form.group(2) is not None


def derive(name: str, env: EnvironmentValues, catalogue: Catalogue) -> tuple[Any, str | None]:
    """What `${name}` is in `env`: the connectors' parameter value (a string) or their silver tables (a list);
    or None and the problem."""
    form = _FORM.fullmatch(name)
    if form is None:
        return None, f"unknown substitution ${{{name}}}; use {FORMS}"
    sources = [source.strip() for source in form.group(1).split(",")]
    available = available_sources()
    if not all(sources):
        return None, (f"${{{name}}} names no source between two commas or at an end; list sources as "
                      f"${{connectors.sources.{','.join(s for s in sources if s) or 'github'}}}")
    unknown = [source for source in sources if source not in available]
    if unknown:
        return None, (f"${{{name}}}: {', '.join(repr(s) for s in unknown)} "
                      f"{'is no source' if len(unknown) == 1 else 'are no sources'} (sources: "
                      f"{', '.join(available)}, each notebooks/source_<name>.py); name the source a connector "
                      "reads (its `source:`, or its name where it has none)")
    connectors = [(connector, source) for connector, source in catalogue.batch if source in sources]
    if not connectors:
        reading = "; ".join(f"{connector} reads {source}" for connector, source in catalogue.batch) or "none"
        return None, (f"${{{name}}}: no batch connector reads {' or '.join(sources)} in environment {env.name}, so "
                      f"it stands for nothing; add a connector with `source: {sources[0]}`, or name the sources "
                      f"the connectors read (connectors: {reading})")
    if form.group(2) is None:
        return ",".join(c if c == s else f"{c}:{s}" for c, s in connectors), None
    entities = [entity.strip() for entity in form.group(2).split(",")]
    if not all(entities):
        return None, f"${{{name}}} names no entity between two commas or at an end; list entities as a,b"
    for source in sources:
        produced = source_spec(source).entities
        missing = [entity for entity in entities if entity not in produced]
        if missing:
            return None, (f"${{{name}}}: source {source} has no entity {', '.join(repr(e) for e in missing)} "
                          f"(its entities: {', '.join(produced)}); name entities every listed source produces")
    catalog, silver = env.values.get("catalog"), env.values.get("silver_schema")
    return [f"{catalog}.{silver}.{connector}_{entity}" for connector, _ in connectors for entity in entities], None


def silver_tables(catalogue: Catalogue) -> dict[str, tuple[str, str]]:
    """Every silver table the batch connectors write, '<connector>_<entity>', with its connector and source."""
    available = available_sources()
    return {f"{connector}_{entity}": (connector, source)
            for connector, source in catalogue.batch if source in available
            for entity in source_spec(source).entities}


def stale_table_fix(table: str, catalogue: Catalogue) -> str:
    """How to name a silver table no connector writes: where it is '<source>_<entity>' and connectors of that
    source are named otherwise (a renamed connector), the derived form that follows them; else the form."""
    readers: dict[str, list[str]] = {}
    for connector, source in catalogue.batch:
        readers.setdefault(source, []).append(connector)
    for source in sorted(readers, key=len, reverse=True):
        entity = table[len(source) + 1:] if table.startswith(source + "_") else ""
        if entity in _entities(source) and source not in dict(catalogue.batch):
            return (f"no connector is named '{source}', and {', '.join(readers[source])} "
                    f"read{'s' if len(readers[source]) == 1 else ''} source {source}: write "
                    f"${{connectors.sources.{source}.tables.{entity}}}, which names the table of every connector of "
                    f"source {source} and follows renames")
    return ("name a connector's tables as ${connectors.sources.<source>.tables.<entity>}, which follows renames, "
            "or one of the silver tables")


def _entities(source: str) -> tuple[str, ...]:
    return tuple(source_spec(source).entities) if source in available_sources() else ()
