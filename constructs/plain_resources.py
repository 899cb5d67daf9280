"""Databricks resources written as plain attributes: a `cdktf.TerraformResource` of the provider's exact resource
type whose attributes are a dict of Terraform's own names, handed to cdktf as they are at synth.

Why: the provider bindings build every argument as a jsii struct, converted in Python, checked and re-created in
node (a `databricks_job` is ~17 structs and 27 nested-block helper objects), which was most of a synth's time and
memory; and importing any binding loads the provider's whole jsii assembly (6 MB) into node, about 150 MB before
the first resource. Every resource the synth writes, and the provider block itself, is written here instead, so
a synth never loads the bindings. cdktf still owns everything else about them (construct ids and paths, `${...}`
references, lifecycle, depends_on, moves, the policy Aspect), and the output is the same JSON byte for byte. The
precedent is the AWS CDK's `CfnResource`, the escape hatch that writes a resource's properties as given.

The bindings stay the authority on the schema: tests/constructs/test_plain_resources.py checks every attribute
these resources write, in the fixture's stacks and a generated config, against the bindings' structs
(`schema_problems`), so a misspelt or mistyped attribute fails a test as it would with the bindings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs import Construct
from core.synth_phase import preparing
from core.toolchain import (
    ITerraformDependable,
    TerraformProvider,
    TerraformProviderGeneratorMetadata,
    TerraformResource,
    TerraformResourceLifecycle,
)

# What the bindings (cdktf-cdktf-provider-databricks 15.16.1) give their resources and provider; a test holds them
# equal.
PROVIDER_NAME, PROVIDER_VERSION, PROVIDER_VERSION_CONSTRAINT = "databricks", "1.99.0", "~> 1.0"
PROVIDER_SOURCE = "databricks/databricks"


def _metadata() -> TerraformProviderGeneratorMetadata:
    return TerraformProviderGeneratorMetadata(provider_name=PROVIDER_NAME, provider_version=PROVIDER_VERSION,
                                              provider_version_constraint=PROVIDER_VERSION_CONSTRAINT)


def plain(value: Any) -> Any:
    """`value` without None anywhere (an argument left out, as the bindings leave it out), tuples as lists."""
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def token_parts(value: Any) -> Any:
    """The parts of `value` that hold cdktf tokens (a string with a `TfToken[` in it; a number, which may be
    one; anything but a plain value), in their order, the rest left out; None if it holds none."""
    if isinstance(value, str):
        return value if "TfToken[" in value else None
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return None
    if isinstance(value, Mapping):
        kept = {key: part for key, item in value.items() if (part := token_parts(item)) is not None}
        return kept or None
    if isinstance(value, list):
        return [part for item in value if (part := token_parts(item)) is not None] or None
    return value


class PlainResource(TerraformResource):
    """A resource of `resource_type` whose attributes are `attributes` (Terraform's names; values may hold cdktf
    tokens, e.g. another resource's `id`). Only what the provider's schema knows may be written: see the module
    docstring."""

    def __init__(self, scope: Construct, id: str, *, resource_type: str, attributes: Mapping[str, Any],
                 lifecycle: TerraformResourceLifecycle | None = None,
                 depends_on: Sequence[ITerraformDependable] | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=resource_type, lifecycle=lifecycle,
                         depends_on=depends_on, terraform_generator_metadata=_metadata())
        self.attributes: dict[str, Any] = plain(attributes)
        self._references: dict[str, str] = {}
        self._tokens: dict[str, Any] | None = None

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        # Called by cdktf (node) at synth: the attributes it writes, before it resolves their tokens; while it only
        # prepares the stacks, the parts that hold tokens (core/synth_phase.py).
        if preparing():
            if self._tokens is None:
                self._tokens = token_parts(self.attributes) or {}
            return self._tokens
        return self.attributes

    @property
    def id(self) -> str:
        """The resource's id, as a token: `${<type>.<name>.id}` in the stack."""
        return self.reference("id")

    def reference(self, attribute: str) -> str:
        """A reference to one of the resource's attributes, as a token: `${<type>.<name>.<attribute>}`. One token
        per attribute, asked of node once: every use of it resolves alike (a call into node each; half of a synth's
        references are to an attribute referred to before)."""
        if attribute not in self._references:
            self._references[attribute] = self.get_string_attribute(attribute)
        return self._references[attribute]


class PlainProvider(TerraformProvider):
    """The `databricks` provider block with `attributes` (Terraform's names), and its `required_providers`
    entry, as the bindings' DatabricksProvider writes them."""

    def __init__(self, scope: Construct, id: str, *, attributes: Mapping[str, Any]) -> None:
        super().__init__(scope, id, terraform_resource_type=PROVIDER_NAME, terraform_generator_metadata=_metadata(),
                         terraform_provider_source=PROVIDER_SOURCE)
        self.attributes: dict[str, Any] = plain(attributes)

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return self.attributes


def resource(scope: Construct, id: str, resource_type: str, attributes: Mapping[str, Any], *,
             prevent_destroy: bool = False, depends_on: Sequence[ITerraformDependable] | None = None) -> PlainResource:
    """A resource of `resource_type` (`databricks_job`, ...) with `attributes` (None: left out); `prevent_destroy`
    becomes Terraform's lifecycle."""
    return PlainResource(scope, id, resource_type=resource_type, attributes=attributes, depends_on=depends_on,
                         lifecycle=TerraformResourceLifecycle(prevent_destroy=True) if prevent_destroy else None)
