"""core/jsii_runtime.py: jsii's kernel runs in the one node process Python starts, and a synth writes the same bytes
as through jsii's own wrapper process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.jsii_runtime import LAUNCHER, WRAPPER_ENV_VAR
from tests.conftest import PROJECT_DIR, SAMPLE_CONFIG, SAMPLE_DIR, SAMPLE_NOTEBOOKS

# Starts jsii in a process of its own and prints its node processes (pid, parent, command line, environment) as
# JSON, and this process's own NODE_* settings after the start.
PROBE = """\
import json, os
import core.toolchain
def node_processes():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            cmdline = [part for part in open(f"/proc/{pid}/cmdline").read().split("\\0") if part]
            environ = dict(e.split("=", 1) for e in open(f"/proc/{pid}/environ").read().split("\\0") if "=" in e)
        except OSError:
            continue
        if "node" in os.path.basename(cmdline[0]):
            found.append({"pid": int(pid), "parent": int(stat[1]), "cmdline": cmdline,
                          "env": {k: v for k, v in environ.items() if k.startswith("NODE_")}})
    return found
mine = [p for p in node_processes() if p["parent"] == os.getpid()]
children = [p for p in node_processes() if p["parent"] in {m["pid"] for m in mine}]
print(json.dumps({"mine": mine, "children": children,
                  "after": {k: v for k, v in os.environ.items() if k.startswith("NODE_")}}))
"""


def probe(**env: str) -> dict:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("JSII_RUNTIME", WRAPPER_ENV_VAR) and not k.startswith("NODE_")}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_DIR, env={**environ, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_kernel_runs_in_the_one_node_process_with_its_settings_for_that_process_only():
    seen = probe()
    [node] = seen["mine"]
    assert Path(node["cmdline"][-1]).name == "direct-runtime.js"
    assert seen["children"] == []  # no relay: nothing else started
    assert node["env"] == {"NODE_PRESERVE_SYMLINKS": "1", "NODE_OPTIONS": "--max-semi-space-size=4"}
    assert seen["after"] == {}  # the python process (and what it starts later) keeps its own settings


def test_with_the_wrapper_jsii_relays_through_a_second_node_process():
    seen = probe(**{WRAPPER_ENV_VAR: "1"})
    [node] = seen["mine"]
    assert Path(node["cmdline"][-1]).name == "jsii-runtime.js"
    [kernel] = seen["children"]
    assert Path(kernel["cmdline"][-1]).name == "program.js"
    assert node["env"] == {"NODE_OPTIONS": "--max-semi-space-size=4"}


def test_a_young_generation_the_caller_set_is_kept():
    seen = probe(NODE_OPTIONS="--max-semi-space-size=8")
    assert seen["mine"][0]["env"]["NODE_OPTIONS"] == "--max-semi-space-size=8"
    assert seen["after"] == {"NODE_OPTIONS": "--max-semi-space-size=8"}


def test_the_launcher_maps_the_protocol_to_stdin_and_stdout_and_what_javascript_prints_to_stderr(tmp_path):
    """The launcher on node, with a stand-in kernel that speaks on descriptor 3 as jsii's does and prints."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "bin" / "direct-runtime.js").write_text(LAUNCHER, encoding="utf-8")
    (tmp_path / "lib" / "program.js").write_text(
        'const fs = require("fs");\n'
        'fs.writeSync(3, Buffer.from("hello\\n"));\n'
        'console.log("printed by javascript");\n'
        "const buffer = Buffer.alloc(64);\n"
        "const read = fs.readSync(3, buffer, 0, 64, null);\n"
        'fs.writeSync(3, Buffer.from("echo " + buffer.toString("utf-8", 0, read)));\n', encoding="utf-8")
    done = subprocess.run(["node", str(tmp_path / "bin" / "direct-runtime.js")], input="ping\n", capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "hello\necho ping\n", "printed by javascript\n")


DRIVER = ("import sys\nfrom pathlib import Path\nimport stacks.app\nfrom connectors_config import load_config\n"
          "stacks.app.synth(load_config(Path(sys.argv[1])), sys.argv[2], notebooks_dir=Path(sys.argv[3]))\n")


@pytest.mark.slow
def test_the_synth_writes_the_same_bytes_as_through_jsiis_wrapper(tmp_path):
    written = {}
    for mode, env in (("direct", {}), ("wrapper", {WRAPPER_ENV_VAR: "1"})):
        outdir = tmp_path / mode / "cdktf.out"
        environ = {k: v for k, v in os.environ.items() if k not in ("JSII_RUNTIME", WRAPPER_ENV_VAR)}
        done = subprocess.run([sys.executable, "-O", "-c", DRIVER, str(SAMPLE_CONFIG), str(outdir),
                               str(SAMPLE_NOTEBOOKS)], cwd=PROJECT_DIR, env={**environ, **env}, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        written[mode] = {str(p.relative_to(outdir)): p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()}
    assert written["direct"] == written["wrapper"]
    assert len(written["direct"]) > 10 and SAMPLE_DIR.is_dir()
