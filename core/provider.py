"""The Databricks provider's bindings (the package core.toolchain names), the submodules the platform uses and
no others, for what reads the bindings: core.jobs_api (the provider's job shape) and the tests. The synth does not
load them: the constructs write every resource as plain attributes (constructs/plain_resources.py), checked
against the bindings by tests/constructs/test_plain_resources.py.

Why: the provider package's `__init__` imports all of its ~250 submodules, one per resource type, which costs
about 0.9 s and 60 MB on every synth, however few of them a stack uses. Registering the package without running
its `__init__` (Python then imports a submodule from the package's folder as usual, and the submodule loads
the provider's jsii assembly itself) leaves only the submodules below. If the whole package was imported
first (a test importing it directly), that import is used as it is.

Each submodule's public names are this module's (`from core.provider import Grant`), as a star import would make
them; `job` is the job submodule itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from core.toolchain import PROVIDER_PACKAGE

PACKAGE = PROVIDER_PACKAGE
SUBMODULES = ("alert_v2", "dashboard", "directory", "grant", "grants", "job", "notebook", "permissions", "pipeline",
              "provider", "schema", "secret_acl", "secret_scope", "workspace_file")

if PACKAGE not in sys.modules:
    _spec = importlib.util.find_spec(PACKAGE)
    if _spec is None:
        raise ImportError(f"{PACKAGE} is not installed: run `make synth` or `make test`, which install it")
    sys.modules[PACKAGE] = importlib.util.module_from_spec(_spec)  # its __path__, without running __init__


def submodule(name: str) -> ModuleType:
    """The bindings' submodule `name` (`job`, `grant`, ...: the resource type without `databricks_`)."""
    return importlib.import_module(f"{PACKAGE}.{name}")


for _name in SUBMODULES:
    _module = submodule(_name)
    globals().update({key: getattr(_module, key) for key in getattr(_module, "__all__", ())})
job = submodule("job")  # the Jobs API mapping reads its structs

if TYPE_CHECKING:
    def __getattr__(name: str) -> Any: ...  # the names above, set at import: any binding class, to the type checker
