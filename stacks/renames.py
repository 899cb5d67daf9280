"""Renames that keep what is deployed: a connector or job renamed with `renamed_from` moves every resource under
its construct from the old Terraform address to the new one (`moved` blocks), so Terraform updates the job in
place instead of destroying it and creating another (which would lose its id and its run history).

A resource's address is `<type>.<logical id>`, and cdktf derives the logical id from the construct path below the
stack (`TerraformStack.allocateLogicalId`, cdktf's `makeUniqueId`). `logical_id` is that function for a path that
no longer exists in the tree: the construct path with the old name in place of the new one. The tests hold it to
cdktf's own ids of real constructs.
"""

from __future__ import annotations

import hashlib
import re

from core.toolchain import TerraformResource, TerraformStack
from constructs import Construct

# cdktf's makeUniqueId: a component 'Default' is left out entirely; 'Resource' is left out of the readable part only.
_HIDDEN = "Default"
_HIDDEN_FROM_HUMANS = "Resource"
_MAX_HUMAN = 240
_MAX_ID = 255
_DISALLOWED = re.compile(r"[^A-Za-z0-9_-]")


def logical_id(components: list[str]) -> str:
    """The logical id cdktf gives a resource at construct path `components` (below its stack)."""
    components = [c for c in components if c != _HIDDEN]
    if not components:
        raise ValueError("a logical id needs at least one path component")
    if len(components) == 1 and len(_DISALLOWED.sub("", components[0])) <= _MAX_ID:
        return _DISALLOWED.sub("", components[0])
    digest = hashlib.md5("/".join(components).encode("utf-8"), usedforsecurity=False).hexdigest()[:8].upper()
    human: list[str] = []
    for component in components:  # a component the previous one ends with is left out ('job', 'job' -> 'job')
        if not human or not human[-1].endswith(component):
            human.append(component)
    readable = "_".join(_DISALLOWED.sub("", c) for c in human if c != _HIDDEN_FROM_HUMANS)[:_MAX_HUMAN]
    return f"{readable}_{digest}"


def move_from(stack: TerraformStack, construct: Construct, old_id: str) -> None:
    """Every resource under `construct` moves from where it was when `construct` had the id `old_id` (a `moved`
    block each, in the stack's JSON). A state without the old address (a new environment) ignores the block."""
    depth = len(stack.node.scopes)  # the components of a path below the stack start here
    position = len(construct.node.scopes) - 1 - depth  # the renamed component, within those
    for child in construct.node.find_all():
        if isinstance(child, TerraformResource):
            components = [scope.node.id for scope in child.node.scopes[depth:]]
            components[position] = old_id
            child.move_from_id(f"{child.terraform_resource_type}.{logical_id(components)}")
