"""Which pass of cdktf's `App.synth()` is running, for constructs/plain_resources.py.

`App.synth()` reads every resource's attributes twice: first every stack's `prepareStack()` resolves them and
throws the result away (it only registers the references between stacks that their tokens make), then each
stack's synthesizer runs the stack's Aspects and writes the attributes it reads again. stacks/app.py arms the
first pass around `App.synth()`; the policy pack's Aspect, which every stack of the platform has and which cdktf
runs after every stack is prepared and before the first stack is written, ends it. While it is armed, a plain
resource hands cdktf only the parts of its attributes that hold tokens: the same references registered, in the
same order, without converting and resolving the rest a first time. Outside `App.synth()` of a platform app
(`Testing.synth`, `to_terraform()`), nothing is armed and every pass gets the whole attributes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_preparing = False


def preparing() -> bool:
    """True while cdktf is preparing the stacks (the first pass), before any stack is written."""
    return _preparing


@contextmanager
def preparing_pass() -> Iterator[None]:
    """Around `App.synth()` of an app every stack of which has the policy pack's Aspect (which calls `prepared`)."""
    global _preparing
    _preparing = True
    try:
        yield
    finally:
        _preparing = False


def prepared() -> None:
    """Every stack is prepared: from now on every resource's attributes are read whole."""
    global _preparing
    _preparing = False
