"""The Databricks provider's bindings (cdktf-cdktf-provider-databricks), the submodules the platform uses and
no others, for what reads the bindings: core.jobs_api (the provider's job shape) and the tests. The synth does not
load them: the constructs write every resource as plain attributes (constructs/plain_resources.py), checked
against the bindings by tests/constructs/test_plain_resources.py.

Why: the provider package's `__init__` imports all of its ~250 submodules, one per resource type, which costs
about 0.9 s and 60 MB on every synth, however few of them a stack uses. Registering the package without running
its `__init__` (Python then imports a submodule from the package's folder as usual, and the submodule loads
the provider's jsii assembly itself) leaves only the submodules below. If the whole package was imported
first (a test importing it directly), that import is used as it is. Switching to CDK Terrain renames the
package here.
"""

from __future__ import annotations

import importlib.util
import sys

PACKAGE = "cdktf_cdktf_provider_databricks"

if PACKAGE not in sys.modules:
    _spec = importlib.util.find_spec(PACKAGE)
    if _spec is None:
        raise ImportError(f"{PACKAGE} is not installed: run `make synth` or `make test`, which install it")
    sys.modules[PACKAGE] = importlib.util.module_from_spec(_spec)  # its __path__, without running __init__

from cdktf_cdktf_provider_databricks import job  # noqa: E402,F401  (the Jobs API mapping reads its structs)
from cdktf_cdktf_provider_databricks.alert_v2 import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.dashboard import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.directory import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.grant import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.job import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.notebook import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.permissions import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.pipeline import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.provider import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.schema import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.secret_acl import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.secret_scope import *  # noqa: E402,F401,F403
from cdktf_cdktf_provider_databricks.workspace_file import *  # noqa: E402,F401,F403
