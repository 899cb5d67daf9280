"""`review diff` on a rename: connectors and a job renamed with `renamed_from`, synthesized before and after. The
diff names each rename and what follows from it, pairs the moved resources (no access change, nothing deleted),
and exits 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.cli import main
from review.diff import EXIT_OK
from tests.fixtures.builders import rename_config
from tests.conftest import SAMPLE_CONFIG
from tests.helpers import synth_config_text

NOW = "2026-11-21T12:00:00+00:00"


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    base, head = (tmp_path_factory.mktemp(side) / "cdktf.out" for side in ("base", "head"))
    synth_config_text(rename_config(renamed=False), base)
    synth_config_text(rename_config(renamed=True), head)
    return base, head


def _renames(env: str) -> str:
    return (
        "### Renames\n\n"
        "- connector `github` renamed to `github_cloud`: its job keeps its id and run history (moved)\n"
        f"  - tables: `appsec_{env}.bronze.github_*` and `appsec_{env}.silver.github_*` are no longer written (left "
        f"in place, not deleted); `appsec_{env}.bronze.github_cloud_*` and `appsec_{env}.silver.github_cloud_*` are "
        f"filled anew from the initial mark 2024-01-01T00:00:00Z (the state in `appsec_{env}.bronze.connector_state` "
        "is kept per connector name)\n"
        "  - secrets: load `github_cloud-token` into scope `mvp-connectors` with "
        f"`python -m operations load-secrets --env {env} github_cloud` before its first run; `github-token` is no "
        "longer read\n"
        "- job `daily` of the `jobs` section renamed to `nightly`: its job keeps its id and run history (moved)\n"
        "- connector `servicenow` renamed to `servicenow_cloud`: its pipeline and job keep their ids and history "
        "(moved)\n"
        f"  - tables: the pipeline goes on writing `appsec_{env}.servicenow.incident`; nothing is re-ingested\n")


def test_a_rename_is_named_with_its_consequences(capsys, folders):
    code = main(["diff", *map(str, folders), "--now", NOW])
    out, err = capsys.readouterr()
    assert (code, err) == (EXIT_OK, "")
    assert out.startswith(
        "# Synthesized stacks: what this change deploys\n\n"
        "- **dev**: 3 renames, 4 resource changes\n"
        "- **prod**: 3 renames, 4 resource changes\n\n"
        "No access change, and no data-bearing resource deleted or replaced (exit status 0).\n\n"
        "## Stack dev\n\n" + _renames("dev") + "\n### Resource changes\n\n#### Jobs\n\n"
        "- job github_cloud-connector: moves from `databricks_job.github_job_CE030D3F` to "
        "`databricks_job.github_cloud_job_1878F5CA` (a `moved` block: kept)\n")
    assert "\n## Stack prod\n\n" + _renames("prod") + "\n### Resource changes\n" in out
    assert "### ⚠" not in out  # no access change, nothing deleted or replaced


def test_without_an_initial_mark_the_new_tables_start_at_the_sources_history(capsys, tmp_path):
    base, head = tmp_path / "base", tmp_path / "head"
    synth_config_text(rename_config(renamed=False), base)
    synth_config_text(rename_config(renamed=True).replace("    initial_mark: 2024-01-01T00:00:00Z\n", ""), head)
    assert main(["diff", str(base), str(head), "--now", NOW, "--env", "prod"]) == EXIT_OK
    assert ("`appsec_prod.silver.github_cloud_*` are filled anew from the start of the source's history, as no "
            "initial_mark is set (the state in") in capsys.readouterr().out


def test_on_the_sample_the_jobs_that_read_a_renamed_connector_follow_it(capsys, tmp_path):
    """The fixture repository's github connector renamed (`source: github`, `renamed_from: github`): gold's
    connectors parameter and trigger tables, derived from the config, follow the new name, and the diff says so
    under the rename; the composite job's reference had to be written anew (an unknown name is an error)."""
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    renamed = (text.replace("  - name: github\n", "  - name: github_cloud\n    source: github\n    renamed_from: github\n", 1)
               .replace("secrets: [github-token]", "secrets: [github_cloud-token]")
               .replace("${resources.jobs.github.id}", "${resources.jobs.github_cloud.id}"))
    base, head = tmp_path / "base", tmp_path / "head"
    synth_config_text(text, base)
    documents = synth_config_text(renamed, head)
    gold = next(body for body in documents["prod"]["resource"]["databricks_job"].values()
                if body["name"] == "appsec-findings-gold")
    assert gold["parameter"] == [{"default": "github_cloud:github,sonarqube", "name": "connectors"}]
    assert gold["trigger"]["table_update"]["table_names"][:3] == [
        f"appsec_prod.silver.github_cloud_{entity}"
        for entity in ("code_scanning_alerts", "dependabot_alerts", "secret_scanning_alerts")]
    assert main(["diff", str(base), str(head), "--now", NOW, "--env", "prod"]) == EXIT_OK
    out = capsys.readouterr().out
    assert (
        "### Renames\n\n"
        "- connector `github` renamed to `github_cloud`: its job keeps its id and run history (moved)\n"
        "  - tables: `appsec_prod.bronze.github_*` and `appsec_prod.silver.github_*` are no longer written (left in "
        "place, not deleted); `appsec_prod.bronze.github_cloud_*` and `appsec_prod.silver.github_cloud_*` are filled "
        "anew from the start of the source's history, as no initial_mark is set (the state in "
        "`appsec_prod.bronze.connector_state` is kept per connector name)\n"
        "  - secrets: load `github_cloud-token` into scope `mvp-connectors` with "
        "`python -m operations load-secrets --env prod github_cloud` before its first run; `github-token` is no "
        "longer read\n"
        "  - follows the rename: job appsec-connectors-refresh (task changed)\n"
        "  - follows the rename: job appsec-findings-gold (parameter, trigger changed)\n\n") in out
    assert "- job github_cloud-connector: moves from `databricks_job.github_job_CE030D3F` to " in out
    assert "(a `moved` block: kept)" in out and "job github-connector: removed" not in out
    # The monitoring alert's query: the changed lines, not two truncated starts that look alike.
    assert ("  - `query_text`: changed lines\n    ```diff\n"
            "    -    ('<job github-connector>', 'github-connector', 900, 1800),\n"
            "    +    ('<job github_cloud-connector>', 'github_cloud-connector', 900, 1800),\n    ```\n") in out
