"""The toolchain seam: the one module that names the CDK library (`cdktf`, or its fork CDK Terrain's `cdktn`) and
the Databricks provider bindings' package. Everything else imports the CDK's classes from here, and the bindings
through core.provider, which takes the package's name from here; tests/core/test_toolchain.py holds every other
file to that. `make switch-to-cdk-terrain` (scripts/switch_toolchain.py) rewrites the block below, the pins and
the locks, so moving to CDK Terrain is this file plus the lock files (docs/cdk-terrain.md).

Importing this module starts jsii's node process (the CDK's runtime); the bindings load only through core.provider.
"""

from __future__ import annotations

import os

# The node process that runs the CDK (started by the import below) keeps a young generation of 4 MB per semi-space,
# not V8's 16 MB or more: a synth's objects live until it ends, so a larger nursery only holds more of them twice;
# measured, the same CPU and about 50 MB less per process (docs/performance.md). A caller's own setting is kept.
if "--max-semi-space-size" not in os.environ.get("NODE_OPTIONS", ""):
    os.environ["NODE_OPTIONS"] = f"{os.environ.get('NODE_OPTIONS', '')} --max-semi-space-size=4".strip()

# --- toolchain: the lines scripts/switch_toolchain.py rewrites -------------------------------------------------
from cdktf import (  # noqa: F401  (re-exported: the CDK classes the project uses)
    App,
    Aspects,
    AssetType,
    AzurermBackend,
    GcsBackend,
    IAspect,
    ITerraformDependable,
    LocalBackend,
    S3Backend,
    TerraformAsset,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
    TerraformResourceLifecycle,
    TerraformStack,
    Testing,
    Token,
)

TOOLCHAIN = "cdktf"
PROVIDER_PACKAGE = "cdktf_cdktf_provider_databricks"
# --- end of toolchain ------------------------------------------------------------------------------------------

# Both toolchains' module names, for what must tell whether either is loaded, or refuse both by name.
CDK_MODULES = ("cdktf", "cdktn")
PROVIDER_MODULES = ("cdktf_cdktf_provider_databricks", "cdktn_provider_databricks")
