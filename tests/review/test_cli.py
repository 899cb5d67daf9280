"""`python -m review`: describe and graph from a synth folder (the session's synthesized sample), the doc
rewrite, and the exact errors and exit codes; one run synthesizes the config itself."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors_config import CONFIG_ENV_VAR
from review.cli import main
from review.describe import describe
from review.mermaid import doc_block
from review.stack_jobs import load_synth
from tests.conftest import SAMPLE_CONFIG

NOW = "2026-11-21T12:00:00+00:00"
USAGE_DESCRIBE = ("usage: python -m review describe [-h] [--from DIR] [--env ENV [ENV ...]]\n"
                  "                                 [--now TIME] [--count N] [--doc FILE]\n")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_describe_prints_every_environment(capsys, synthesized):
    code, out, err = _run(capsys, "describe", "--from", str(synthesized), "--now", NOW, "--count", "1")
    assert (code, err) == (0, "")
    assert out.startswith("environment dev\n  appsec-connectors-refresh (composite)\n")
    assert "\n\nenvironment prod\n" in out
    assert ("\n  appsec-daily-refresh (orchestrator)\n    schedule 0 0 5 * * ? (UTC), active; next:\n"
            "      2026-11-22 05:00:00 UTC (Sun)\n  appsec-findings-gold (atomic)\n") in out
    assert str(synthesized) not in out


def test_describe_one_environment_in_another_offset(capsys, synthesized):
    code, out, err = _run(capsys, "describe", "--from", str(synthesized), "--env", "prod",
                          "--now", "2026-11-21T13:00:00+01:00")
    assert (code, err) == (0, "")
    assert out.startswith("environment prod\n")
    assert "environment dev" not in out
    assert "      2026-11-21 12:15:00 UTC (Sat)\n      2026-11-21 12:30:00 UTC (Sat)\n" in out


def test_graph_prints_the_prod_block(capsys, synthesized):
    code, out, err = _run(capsys, "graph", "--from", str(synthesized))
    assert (code, err) == (0, "")
    assert out == doc_block(load_synth(synthesized)["prod"])
    assert out.startswith("Jobs of the `prod` stack as synthesized; regenerate with "
                          "`python -m review graph --env prod --doc docs/review.md`.\n\n"
                          "#### Jobs and what starts them\n\n```mermaid\nflowchart LR\n")
    assert '  j1 -->|"refresh_connectors"| j0\n' in out


def test_graph_of_dev(capsys, synthesized):
    code, out, err = _run(capsys, "graph", "--from", str(synthesized), "--env", "dev")
    assert (code, err) == (0, "")
    assert '  j1s(["schedule 0 0 5 * * ? UTC<br/>PAUSED"]) --> j1\n' in out


def test_graph_rewrites_the_doc_block_once(capsys, synthesized, tmp_path):
    doc = tmp_path / "JOBS.md"
    doc.write_text("# Jobs\n\n<!-- job-pictures:begin -->\nstale\n<!-- job-pictures:end -->\n\nMore.\n")
    block = doc_block(load_synth(synthesized)["prod"], doc="JOBS.md")
    assert _run(capsys, "graph", "--from", str(synthesized), "--doc", str(doc)) == (
        0, f"updated {doc}\n", "")
    assert doc.read_text() == (f"# Jobs\n\n<!-- job-pictures:begin -->\n{block}<!-- job-pictures:end -->\n\n"
                               "More.\n")
    assert "--doc JOBS.md`" in block  # outside the working folder: the file's name, not the machine's path
    assert _run(capsys, "graph", "--from", str(synthesized), "--doc", str(doc)) == (
        0, f"{doc} is up to date\n", "")


def test_graph_names_a_doc_in_the_working_folder_by_its_relative_path(capsys, synthesized, tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    doc = tmp_path / "docs" / "jobs.md"
    monkeypatch.chdir(tmp_path)
    for given in (str(doc), "docs/jobs.md"):
        doc.write_text("<!-- job-pictures:begin -->\n<!-- job-pictures:end -->\n")
        assert _run(capsys, "graph", "--from", str(synthesized), "--doc", given) == (0, f"updated {given}\n", "")
        block = doc_block(load_synth(synthesized)["prod"], doc="docs/jobs.md")
        assert doc.read_text() == f"<!-- job-pictures:begin -->\n{block}<!-- job-pictures:end -->\n"


def test_describe_rewrites_its_doc_block_fenced(capsys, synthesized, tmp_path):
    doc = tmp_path / "review.md"
    doc.write_text("Intro\n<!-- describe:begin -->\nold\n<!-- describe:end -->\n")
    now = "2026-11-21T12:00:00+00:00"
    args = ("describe", "--from", str(synthesized), "--env", "prod", "--now", now, "--doc", str(doc))
    assert _run(capsys, *args) == (0, f"updated {doc}\n", "")
    text = describe({"prod": load_synth(synthesized)["prod"]}, datetime.fromisoformat(now))
    assert doc.read_text() == f"Intro\n<!-- describe:begin -->\n```\n{text}```\n<!-- describe:end -->\n"
    assert _run(capsys, *args) == (0, f"{doc} is up to date\n", "")


def test_graph_doc_without_markers_or_file(capsys, synthesized, tmp_path):
    doc = tmp_path / "review.md"
    doc.write_text("# Jobs\n<!-- job-pictures:begin -->\n")
    assert _run(capsys, "graph", "--from", str(synthesized), "--doc", str(doc)) == (
        1, "", f"error: {doc}: no line <!-- job-pictures:end --> to mark where the block goes "
               "(add <!-- job-pictures:begin --> and <!-- job-pictures:end --> on lines of their own)\n")
    assert doc.read_text() == "# Jobs\n<!-- job-pictures:begin -->\n"
    missing = tmp_path / "NOPE.md"
    assert _run(capsys, "graph", "--from", str(synthesized), "--doc", str(missing)) == (
        1, "", f"error: {missing}: no such file\n")


def test_unknown_environment(capsys, synthesized):
    expected = "error: no environment 'staging' in the stacks (environments: dev, prod)\n"
    assert _run(capsys, "graph", "--from", str(synthesized), "--env", "staging") == (1, "", expected)
    assert _run(capsys, "describe", "--from", str(synthesized), "--env", "prod", "staging") == (1, "", expected)


def test_missing_folder(capsys, tmp_path):
    folder = tmp_path / "cdktf.out"
    assert _run(capsys, "describe", "--from", str(folder)) == (
        1, "", f"error: no synthesized stacks in {folder} (it has no stacks/<env>/cdk.tf.json): "
               "run `make synth` first\n")


@pytest.mark.parametrize("now, message", [
    ("yesterday", "argument --now: not an ISO-8601 date and time: 'yesterday' "
                  "(write e.g. 2026-11-21T12:00:00+00:00)"),
    ("2026-11-21T12:00:00", "argument --now: '2026-11-21T12:00:00' has no UTC offset "
                            "(write e.g. 2026-11-21T12:00:00+00:00)"),
])
def test_bad_now_is_a_usage_error(capsys, monkeypatch, synthesized, now, message):
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps the usage line to the terminal's width
    assert _run(capsys, "describe", "--from", str(synthesized), "--now", now) == (
        2, "", f"{USAGE_DESCRIBE}python -m review describe: error: {message}\n")


def test_bad_count_and_no_command_are_usage_errors(capsys):
    code, out, err = _run(capsys, "describe", "--count", "0")
    assert (code, out) == (2, "")
    assert err.endswith("python -m review describe: error: argument --count: not a positive whole number: '0'\n")
    code, out, err = _run(capsys)
    assert (code, out) == (2, "")
    assert err.endswith("python -m review: error: the following arguments are required: COMMAND\n")


def test_without_from_a_config_error_is_printed_as_synth_prints_it(capsys, monkeypatch, tmp_path):
    missing = tmp_path / "missing.yaml"
    monkeypatch.setenv(CONFIG_ENV_VAR, str(missing))
    assert _run(capsys, "graph") == (
        1, "", f"{missing}: 1 error; nothing was synthesized.\n"
               f"  {missing}: (file): not found; create it or set CONNECTORS_CONFIG\n")


def test_without_from_an_unknown_environment_fails_before_synthesizing(capsys, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV_VAR, str(SAMPLE_CONFIG))
    monkeypatch.setattr("stacks.app.synth", lambda *args: pytest.fail("synthesized"))
    assert _run(capsys, "describe", "--env", "staging") == (
        1, "", "error: no environment 'staging' in the stacks (environments: dev, prod)\n")


def test_without_from_it_synthesizes_the_config(capsys, monkeypatch, synthesized):
    """The only test here that synthesizes: the same picture as from the session's synth of the sample."""
    monkeypatch.setenv(CONFIG_ENV_VAR, str(SAMPLE_CONFIG))
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    assert _run(capsys, "graph") == (0, doc_block(load_synth(synthesized)["prod"]), "")


def test_a_bad_process_count_is_an_error_not_a_traceback(capsys, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV_VAR, str(SAMPLE_CONFIG))
    monkeypatch.setenv("CONNECTORS_SYNTH_PROCESSES", "0")
    assert _run(capsys, "describe", "--env", "prod") == (
        1, "", "error: CONNECTORS_SYNTH_PROCESSES=0: not a number of processes; give a whole number, 1 or more "
               "(1: one process), or unset it for one per core; nothing was synthesized\n")
