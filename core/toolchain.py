"""The toolchain seam: the one module that names the CDK library (`cdktf`, or its fork CDK Terrain's `cdktn`) and
the Databricks provider bindings' package. Everything else imports the CDK's classes from here, and the bindings
through core.provider, which takes the package's name from here; tests/core/test_toolchain.py holds every other
file to that. `make switch-to-cdk-terrain` (scripts/switch_toolchain.py) rewrites the block below, the pins and
the locks, so moving to CDK Terrain is this file plus the lock files (docs/cdk-terrain.md).

Importing this module starts jsii's node process (the CDK's runtime); the bindings load only through core.provider.
"""

from __future__ import annotations

from core.jsii_runtime import starting

# --- toolchain: the lines scripts/switch_toolchain.py rewrites -------------------------------------------------
with starting():  # this import starts jsii's node process (core/jsii_runtime.py)
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
