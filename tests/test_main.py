"""main.py end to end, as separate processes: bad config leaves cdktf.out untouched, output is byte-identical
across folders and hash seeds, and the cdktf CLI produces the same stacks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import core
import main
import stacks.app
from core.jsii_runtime import WRAPPER_ENV_VAR
from core.toolchain import TOOLCHAIN
from tests.conftest import PROJECT_DIR, SAMPLE_DIR

# The platform's code, from the project; the config, its lock, jobs/ and notebooks/ from the sample fixture
# (notebooks/ copied through its links, so the app uploads exactly the sample's notebooks).
APP_FILES = ["main.py", "cdktf.json", "connectors_config", "constructs", "core", "stacks", "policy", "review"]
SAMPLE_FILES = ["connectors.yaml", "connectors.lock.json", "notebooks", "jobs"]


def run_main(cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py"], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def copy_app(target: Path) -> Path:
    target.mkdir(parents=True)
    for folder, names in ((PROJECT_DIR, APP_FILES), (SAMPLE_DIR, SAMPLE_FILES)):
        for name in names:
            source = folder / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target / name)
    return target


def line_of(text: str, fragment: str) -> int:
    [number] = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return number


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_bad_config_reports_every_error_and_leaves_cdktf_out_untouched(tmp_path):
    app = copy_app(tmp_path / "app")
    (app / "cdktf.out").mkdir()
    (app / "cdktf.out" / "previous.json").write_text("{}")
    sample = (app / "connectors.yaml").read_text()
    schedule_line, secret_line = (line_of(sample, '"0 */15 * * * ?"'), line_of(sample, "[sonarqube-token]"))
    (app / "bad.yaml").write_text(
        sample.replace('"0 */15 * * * ?"', '"*/15 * * * *"')
        .replace("secrets: [sonarqube-token]", "secrets: [squ_0123456789abcdef0123456789abcdef01234567]"))
    result = run_main(app, CONNECTORS_CONFIG="bad.yaml")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "bad.yaml: 2 errors; nothing was synthesized."
    assert f"bad.yaml:{schedule_line}: connectors[0].schedule: '*/15 * * * *' is not a valid Quartz" in result.stderr
    assert f"bad.yaml:{secret_line}: connectors[1].secrets[0]: 'squ_…' (redacted" in result.stderr
    assert "Traceback" not in result.stderr
    assert "0123456789abcdef01234567" not in result.stderr
    assert tree(app / "cdktf.out") == {"previous.json": b"{}"}


BILLION_LAUGHS = ("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 9))).encode()


@pytest.mark.slow
@pytest.mark.parametrize(("appended", "problem"), [
    (BILLION_LAUGHS, "{end_4}: (yaml): the alias *l3 (column 10) makes the aliases of this file repeat more than "
                     "10,000 values, the limit that stops an alias bomb; write the values out or use fewer aliases"),
    (b"x: !!python/object/apply:os.system [touch pwned]\n# \xff\n",
     "{end_1}: (file): byte 0xff at column 3 is not UTF-8; save the file as UTF-8"),
    (b"x: !!python/object/apply:os.system [touch pwned]\n",
     "{end}: (yaml): the tag !!python/object/apply:os.system (column 4) is not allowed: tags make some YAML readers "
     "build objects or read a value as another type; remove it (quote a value that is meant as text)"),
])
def test_hostile_yaml_exits_1_at_its_line_and_writes_nothing(tmp_path, appended, problem):
    app = copy_app(tmp_path / "app")
    (app / "cdktf.out").mkdir()
    (app / "cdktf.out" / "previous.json").write_text("{}")
    lock = (app / "connectors.lock.json").read_bytes()
    sample = (app / "connectors.yaml").read_bytes()
    end = sample.count(b"\n") + 1
    (app / "bad.yaml").write_bytes(sample + appended)
    result = run_main(app, CONNECTORS_CONFIG="bad.yaml")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.yaml: 1 error; nothing was synthesized.",
        "  bad.yaml:" + problem.format(end=end, end_1=end + 1, end_4=end + 4)]
    assert tree(app / "cdktf.out") == {"previous.json": b"{}"}
    assert (app / "connectors.lock.json").read_bytes() == lock
    assert not (app / "pwned").exists()


SEEDS = ("1", "4242", "random")  # 'random': Python picks a new seed per process


def synth_in_turn(app: Path, seeds: tuple[str, ...]) -> list[dict[str, bytes]]:
    """main.py run once per seed in `app`, one after another (each replacing the last output): every output."""
    outputs = []
    for seed in seeds:
        result = run_main(app, PYTHONHASHSEED=seed)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "synthesized dev, prod with 4 connector(s) into cdktf.out/\n"
        outputs.append(tree(app / "cdktf.out"))
    return outputs


@pytest.mark.slow
def test_synth_is_byte_identical_across_folders_hash_seeds_and_repeated_runs(tmp_path, synthesized):
    """3 PYTHONHASHSEED values x 2 checkout folders, each folder synthesizing three times in a row (the two folders
    in parallel: 2 cores); every output equals the in-process synth the other tests read."""
    from concurrent.futures import ThreadPoolExecutor

    first = copy_app(tmp_path / "checkout-one")
    second = copy_app(tmp_path / "some" / "other-checkout")
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda app: synth_in_turn(app, SEEDS), (first, second)))
    expected = tree(synthesized)
    for outputs in runs:
        assert len(outputs) == len(SEEDS)
        for output in outputs:
            assert sorted(output) == sorted(expected)
            assert output == expected
    assert not [p for p in first.iterdir() if p.name.startswith(".cdktf.out")]  # no staging left behind
    assert (first / "connectors.lock.json").read_bytes() == (SAMPLE_DIR / "connectors.lock.json").read_bytes()


@pytest.mark.slow
def test_the_readmes_candidates_example_synthesizes_what_the_config_does(tmp_path, synthesized):
    """`CONNECTORS_CONFIG=candidates/connectors.yaml make synth` for a plain copy of the config: its `file:` and
    notebook paths are relative to the project root (the folder with cdktf.json), not to candidates/, so the copy
    synthesizes byte for byte what the original does, and gets a lock of its own beside it."""
    app = copy_app(tmp_path / "app")
    (app / "candidates").mkdir()
    shutil.copy2(app / "connectors.yaml", app / "candidates" / "connectors.yaml")
    result = run_main(app, CONNECTORS_CONFIG="candidates/connectors.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("synthesized dev, prod with 4 connector(s) into cdktf.out/\n"
                             "updated candidates/connectors.lock.json: commit it with candidates/connectors.yaml\n")
    assert tree(app / "cdktf.out") == tree(synthesized)
    assert (app / "candidates" / "connectors.lock.json").read_bytes() == (app / "connectors.lock.json").read_bytes()


def assert_names_nothing_of_the_machine(outdir: Path, project: Path) -> None:
    """What the synth generates in `outdir` (stack JSON, manifest) carries nothing of the machine or the moment;
    the assets are the files of `project`'s notebooks/ and jobs/, byte for byte."""
    import getpass
    import re
    import socket
    from datetime import date, datetime, timezone

    generated = {name: data.decode() for name, data in tree(outdir).items() if "/assets/" not in name}
    config_text = (project / "connectors.yaml").read_text() + "".join(
        p.read_text() for p in sorted((project / "jobs").rglob("*")) if p.is_file())
    machine = [getpass.getuser(), socket.gethostname(), socket.getfqdn()]
    for name, text in generated.items():
        for absolute in (str(PROJECT_DIR), str(outdir), str(Path.home()), "/tmp/", "/home/", "/root/", "/Users/"):
            assert absolute not in text, (name, absolute)
        for word in machine:
            assert not re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w.-])", text), (name, word)
        for today in {date.today().isoformat(), datetime.now(timezone.utc).date().isoformat()}:
            assert today not in text, (name, today)
        # Timestamps only where connectors.yaml or a job file wrote them (e.g. a connector's initial_mark).
        for stamp in re.findall(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?", text):
            assert stamp in config_text, (name, stamp)
    sources = {p.read_bytes() for folder in ("notebooks", "jobs") for p in (project / folder).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assets = {name: data for name, data in tree(outdir).items() if "/assets/" in name}
    assert assets and all(data in sources for data in assets.values())


def test_synth_output_names_no_folder_user_host_or_time(synthesized):
    assert sorted(name for name in tree(synthesized) if "/assets/" not in name) == [
        "manifest.json", "stacks/dev/cdk.tf.json", "stacks/prod/cdk.tf.json"]
    assert_names_nothing_of_the_machine(synthesized, SAMPLE_DIR)


def test_failed_synth_leaves_the_previous_output_whole(tmp_path, sample_config, monkeypatch):
    outdir = tmp_path / "cdktf.out"
    outdir.mkdir()
    (outdir / "manifest.json").write_text("previous")

    def broken_app(staging, environments, units, notebooks_dir):
        Path(staging, "stacks").mkdir(parents=True)
        Path(staging, "stacks", "half.json").write_text("{")
        raise RuntimeError("synth failed half-way")

    monkeypatch.setattr(stacks.app, "app_of", broken_app)
    with pytest.raises(RuntimeError, match="half-way"):
        stacks.app.synth(sample_config, str(outdir))
    assert tree(outdir) == {"manifest.json": b"previous"}
    assert [p.name for p in tmp_path.iterdir()] == ["cdktf.out"]


def test_the_lock_is_written_on_change_only_and_never_without_managed_connectors(tmp_path):
    from connectors_config import parse_config
    from tests.connectors_config.test_model_lakeflow_connect import MANAGED, VALID

    config_path = tmp_path / "connectors.yaml"
    assert main.record_lock(parse_config(VALID), str(config_path)) is None
    assert not (tmp_path / "connectors.lock.json").exists()
    assert main.record_lock(parse_config(MANAGED), str(config_path)) == tmp_path / "connectors.lock.json"
    written = (tmp_path / "connectors.lock.json").read_bytes()
    assert main.record_lock(parse_config(MANAGED), str(config_path)) is None
    assert (tmp_path / "connectors.lock.json").read_bytes() == written
    assert [p.name for p in tmp_path.iterdir()] == ["connectors.lock.json"]  # no temporary file left


def test_an_acknowledged_data_loss_is_announced_on_every_synth():
    from connectors_config import parse_config
    from tests.connectors_config.test_model_lakeflow_connect import ACKNOWLEDGED, managed

    assert main.data_loss_notices(parse_config(managed(*ACKNOWLEDGED))) == [
        "warning: servicenow in prod: prevent_destroy lifted, data loss acknowledged ('SEC-1234 new OAuth app; "
        "tables re-ingested in full'); the next deploy may replace its pipeline and delete its tables. Remove the "
        "acknowledgement once that deploy is done."
    ]


@pytest.mark.slow
def test_replacing_a_protected_pipeline_stops_the_synth_and_keeps_the_lock(tmp_path):
    app = copy_app(tmp_path / "app")
    sample = (app / "connectors.yaml").read_text()
    (app / "connectors.yaml").write_text(sample.replace("prod: servicenow_prod", "prod: servicenow_prod_v2"))
    lock_before = (app / "connectors.lock.json").read_bytes()
    result = run_main(app)
    assert result.returncode == 1
    line = line_of(sample, "prod: servicenow_prod")
    assert result.stderr.splitlines() == [
        "connectors.yaml: 1 error; nothing was synthesized.",
        f"  connectors.yaml:{line}: connectors[3].connection.prod: changing 'servicenow_prod' to "
        "'servicenow_prod_v2' replaces the pipeline, and Databricks deletes every table a pipeline ingested when "
        "it deletes the pipeline; keep 'servicenow_prod', or accept the loss with acknowledge_data_loss: {prod: "
        "{connection: servicenow_prod_v2, reason: <why>}}",
    ]
    assert (app / "connectors.lock.json").read_bytes() == lock_before
    assert not (app / "cdktf.out").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("user", "opt_in", "message"), [
    ("Alice Smith", True, "error: CONNECTORS_DEV_USER='Alice Smith' is not a user name: use 1 to 20 lower-case "
                          "letters, digits and '_', starting with a letter (e.g. alice), or your e-mail address "
                          "(alice.smith@example.com gives alice_smith); nothing was synthesized."),
    ("alice", False, "error: CONNECTORS_DEV_USER=alice: no environment of the config has `personal_targets: true`; "
                     "set it on your development environment (docs/configuration.md), or unset CONNECTORS_DEV_USER "
                     "for the shared environments only; nothing was synthesized."),
])
def test_a_bad_dev_user_exits_1_and_writes_nothing(tmp_path, user, opt_in, message):
    app = copy_app(tmp_path / "app")
    if opt_in:
        config = app / "connectors.yaml"
        config.write_text(config.read_text().replace("    confirm_backfill: false\n",
                                                     "    confirm_backfill: false\n    personal_targets: true\n", 1))
    (app / "cdktf.out").mkdir()
    (app / "cdktf.out" / "previous.json").write_text("{}")
    result = run_main(app, CONNECTORS_DEV_USER=user)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", message + "\n")
    assert tree(app / "cdktf.out") == {"previous.json": b"{}"}


@pytest.mark.slow
def test_a_dev_user_adds_a_personal_target_and_leaves_the_lock_alone(tmp_path):
    app = copy_app(tmp_path / "app")
    config = app / "connectors.yaml"
    config.write_text(config.read_text().replace("    confirm_backfill: false\n",
                                                 "    confirm_backfill: false\n    personal_targets: true\n", 1))
    lock = (app / "connectors.lock.json").read_bytes()
    result = run_main(app, CONNECTORS_DEV_USER="alice.smith@example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == \
        "synthesized dev, prod, dev-user-alice_smith with 4 connector(s) into cdktf.out/"
    assert sorted(p.name for p in (app / "cdktf.out" / "stacks").iterdir()) == ["dev", "dev-user-alice_smith", "prod"]
    assert (app / "connectors.lock.json").read_bytes() == lock


# Node's clock moved past every release's end of life (a `--require`d preload): jsii warns from the day the Node it
# runs on reaches it, and prints its end-of-life banner six months later, so the tests below hold today and after
# the Node the toolchain runs on (20 under cdktf, 22 under cdktn) is retired.
LATER_CLOCK = """\
const shift = Date.parse("2100-01-01T00:00:00Z") - Date.now();
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) { if (args.length === 0) { super(RealDate.now() + shift); } else { super(...args); } }
  static now() { return RealDate.now() + shift; }
};
"""


def unsilenced(clock: str, folder: Path, runtime: str = "direct") -> dict[str, str]:
    """The environment without any of jsii's silencing, and without this process's jsii runtime (the process makes
    its own: core/jsii_runtime.py); with clock 'later', node's clock is moved (LATER_CLOCK); with runtime 'wrapper',
    jsii starts its own wrapper process, where its banner is printed."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("JSII_SILENCE_WARNING") and key != "JSII_RUNTIME"}
    if runtime == "wrapper":
        environment[WRAPPER_ENV_VAR] = "1"
    if clock == "later":
        (folder / "later_clock.cjs").write_text(LATER_CLOCK)
        environment["NODE_OPTIONS"] = f'{os.environ.get("NODE_OPTIONS", "")} --require "{folder / "later_clock.cjs"}"'
    return environment


@pytest.mark.parametrize("runtime", ["direct", "wrapper"])
@pytest.mark.parametrize("clock", ["today", "later"])
@pytest.mark.parametrize("entry_point", ["main", "review.__main__", "operations.__main__"])
def test_no_entry_point_lets_jsii_print_its_node_banner(entry_point, clock, runtime, tmp_path):
    """Each entry point imported in a shell that silences nothing, then jsii loaded (as a synth or the provider
    bindings load it): jsii's node process would print an eleven-line banner to stderr on a Node past its end of
    life (its wrapper prints it: CONNECTORS_JSII_WRAPPER=1, or the bindings loaded before the CDK)."""
    result = subprocess.run([sys.executable, "-c", f"import {entry_point}, core.toolchain; core.toolchain.App"],
                            cwd=PROJECT_DIR, env=unsilenced(clock, tmp_path, runtime), capture_output=True,
                            text=True, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_without_the_silencing_jsii_prints_its_banner(tmp_path):
    """The check above can fail: the same import with jsii loaded first (through its own wrapper, as nothing of the
    platform's is imported) shows the banner for the Node it runs on."""
    result = subprocess.run([sys.executable, "-c", f"import {TOOLCHAIN}; {TOOLCHAIN}.App"], cwd=PROJECT_DIR,
                            env=unsilenced("later", tmp_path), capture_output=True, text=True, timeout=120)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    assert f"Node {node.removeprefix('v').split('.')[0]} is end-of-life" in result.stderr


def test_the_makefile_exports_the_silencing_core_sets():
    """One value in two places, since Make cannot import it: the targets' environment and core's default."""
    exported = dict(re.findall(r"^export (JSII_SILENCE_\w+) := (.*)$", (PROJECT_DIR / "Makefile").read_text(),
                               flags=re.MULTILINE))
    assert exported == core.JSII_SILENCING


def test_the_synth_never_loads_the_provider_bindings(tmp_path):
    """Every resource is written as plain attributes (constructs/plain_resources.py), so a whole synth of the sample
    never imports the bindings, whose import alone loads the provider's 6 MB jsii assembly into node; nor the
    reviewer's and operator's command lines."""
    app = copy_app(tmp_path / "app")
    probe = ("import sys, main; code = main.main(); "
             "print(code, sorted({m.split('.')[0] for m in sys.modules} & "
             "{'cdktf_cdktf_provider_databricks', 'cdktn_provider_databricks', 'review', 'operations'}))")
    result = subprocess.run([sys.executable, "-O", "-c", probe], cwd=app, capture_output=True, text=True,
                            timeout=300, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 []"
    assert (app / "cdktf.out" / "stacks" / "prod" / "cdk.tf.json").is_file()
