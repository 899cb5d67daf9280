"""jsii's kernel in the one node process Python starts, without jsii's relay process.

jsii's Python side starts `node jsii-runtime.js`, a wrapper whose only work is to start the kernel (`program.js`)
in a second node process and to relay every message between Python and the kernel through that process's file
descriptor 3, so that what JavaScript prints cannot mix with the protocol. A synth sends about four messages per
resource: the relay was a tenth of a synth's CPU, and a node start-up before the kernel's. Here jsii starts
`direct-runtime.js` instead (through its documented `JSII_RUNTIME` setting), which runs jsii's own kernel in that
process with descriptor 3 read from stdin and written to stdout, and sends what JavaScript prints to stderr, which
jsii's Python side shows as it shows the wrapper's. The kernel's files are jsii's own, copied from the installed
package as jsii copies them for its wrapper; the kernel gets the flag the wrapper gives it (`--preserve-symlinks`,
through its environment variable, for that start only).

`CONNECTORS_JSII_WRAPPER=1` (or a JSII_RUNTIME of your own) keeps jsii's wrapper; the tests hold the output of
both equal.
"""

from __future__ import annotations

import atexit
import importlib.resources
import os
import shutil
import tempfile
from pathlib import Path

WRAPPER_ENV_VAR = "CONNECTORS_JSII_WRAPPER"
_PRESERVE_SYMLINKS = "NODE_PRESERVE_SYMLINKS"
SEMI_SPACE_MB = 4
_PROTOCOL_FD = 3  # program.js reads and writes its protocol on descriptor 3 (jsii's wrapper opens it)

LAUNCHER = f"""\
// Written by the connector platform (core/jsii_runtime.py): jsii's kernel without its relay process.
"use strict";
const fs = require("fs");
const {{ readSync, writeSync }} = fs;
fs.readSync = function (fd, ...rest) {{ return readSync(fd === {_PROTOCOL_FD} ? 0 : fd, ...rest); }};
fs.writeSync = function (fd, ...rest) {{ return writeSync(fd === {_PROTOCOL_FD} ? 1 : fd, ...rest); }};
// What JavaScript prints goes to stderr, never into the protocol on stdout.
process.stdout.write = process.stderr.write.bind(process.stderr);
// The flag jsii's wrapper puts on the kernel's command line: node resolves modules through symlinks (this process
// has NODE_PRESERVE_SYMLINKS=1), and the kernel, which reads its flags, installs each assembly as one symlink to
// its package cache instead of linking it file by file (2,500 files for cdktf's).
if (!process.execArgv.includes("--preserve-symlinks")) {{ process.execArgv.push("--preserve-symlinks"); }}
require("../lib/program.js");
"""


def prepare() -> bool:
    """Before jsii starts its node process (core.toolchain calls it before importing the CDK; a synth that forks
    calls it first, so that its processes share one copy): JSII_RUNTIME names the launcher, made once per process
    tree and removed when the process that made it exits. Returns True if jsii's kernel will run directly."""
    if os.environ.get(WRAPPER_ENV_VAR, "").strip() == "1":
        return False
    runtime = os.environ.get("JSII_RUNTIME")
    if runtime and not (Path(runtime).name == "direct-runtime.js" and not Path(runtime).is_file()):
        return Path(runtime).name == "direct-runtime.js"  # yours, or the copy of the process that started this one
    folder = Path(tempfile.mkdtemp(prefix="jsii-direct-"))
    atexit.register(_remove, folder, os.getpid())
    import jsii._embedded.jsii as embedded  # the wrapper's and the kernel's files, as jsii ships them

    files = importlib.resources.files(embedded)
    for name, relative in embedded.EMBEDDED_FILES.items():
        target = folder / relative
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(files.joinpath(name).read_bytes())
    (folder / "bin" / "direct-runtime.js").write_text(LAUNCHER, encoding="utf-8")
    os.environ["JSII_RUNTIME"] = str(folder / "bin" / "direct-runtime.js")
    return True


def _remove(folder: Path, made_by: int) -> None:
    if os.getpid() == made_by:  # not in a forked process that inherited the hook
        shutil.rmtree(folder, ignore_errors=True)


class starting:
    """Around the import that starts jsii's node process, the settings of that process only (no other node process
    gets them): the kernel's `--preserve-symlinks` where it runs directly (how it resolves the assemblies it
    installs), and a young generation of 4 MB per semi-space instead of V8's 16 MB or more (a synth's objects live
    until it ends, so a larger nursery only holds more of them: measured, the same CPU and about 50 MB less per
    process, docs/performance.md), unless NODE_OPTIONS already sets one."""

    def __enter__(self) -> None:
        self._before = {name: os.environ.get(name) for name in (_PRESERVE_SYMLINKS, "NODE_OPTIONS")}
        if prepare():
            os.environ[_PRESERVE_SYMLINKS] = "1"
        options = os.environ.get("NODE_OPTIONS", "")
        if "--max-semi-space-size" not in options:
            os.environ["NODE_OPTIONS"] = f"{options} --max-semi-space-size={SEMI_SPACE_MB}".strip()

    def __exit__(self, *exc: object) -> None:
        for name, value in self._before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
