"""Operator commands against the deployed platform: `python -m operations <command>`.

`load-secrets` is the only way connector credentials enter the platform (see `load_secrets`); `run`,
`backfill` and `repair` start and repair the deployed jobs (`runs`), `status` shows their latest runs and
`freshness` how recent each connector's data is against its schedule (`jobs` has what they share). The commands
read connectors.yaml through `connectors_config`, exactly as the stacks do, and talk to the environment's
workspace through the Databricks SDK with its usual authentication (profiles, DATABRICKS_* variables).
"""

from __future__ import annotations


class OperationError(Exception):
    """A failed command: the message is the whole explanation, printed as `error: <message>`, exit code 1.
    It never holds a secret value."""
