"""The source specs the notebooks declare, read at synth so connectors.yaml is checked against them.

Each `notebooks/source_<name>.py` declares its settings, credential roles and entities in a `SPEC` (see
notebooks/connector_source.py). The notebooks folder holds standard-library modules only, so importing them
here runs no Spark and touches no network.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"


def _connector_source() -> Any:
    # The notebooks import each other by bare module name, as they do beside each other in the workspace.
    if str(NOTEBOOKS_DIR) not in sys.path:
        sys.path.append(str(NOTEBOOKS_DIR))
    import connector_source

    return connector_source


def available_sources() -> tuple[str, ...]:
    return _connector_source().available_sources()


def source_spec(name: str) -> Any:
    """The SourceSpec of notebooks/source_<name>.py; ValueError naming the available sources if none."""
    return _connector_source().load_spec(name)
