"""The README and docs/ say what the code does: the documented error output is regenerated from the sample (the
platform tests' copy), the generated blocks (the job pictures, the describe example) are those of the user's own
prod stack (rewritten by `make graphs` and `make snapshot-update`),
every relative link leads to a file and heading that exist, every repository path they name exists, and the README
stays a short landing page that links every page of docs/."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from connectors_config import ConfigError, parse_config
from tests.conftest import PROJECT_DIR, SAMPLE_CONFIG, SAMPLE_DIR

README = PROJECT_DIR / "README.md"
DOCS_DIR = PROJECT_DIR / "docs"
README_MAX_LINES = 200
EXAMPLE_COMMAND = "$ make synth      # with dev's catalog set to appsec_prod, a unix cron and a pasted token"
# Written on other branches of the same change; each entry must go once its file exists (the test says so).
# Folders the docs name that a checkout does not hold until a command writes them.
GENERATED = {"cdktf.out", ".bench", ".venv", "node_modules"}


def _doc(name: str) -> str:
    return (PROJECT_DIR / name).read_text(encoding="utf-8")


def _pages() -> list[Path]:
    return [README, PROJECT_DIR / "CONTRIBUTING.md", *sorted(DOCS_DIR.glob("*.md"))]


def _between(text: str, begin: str, end: str, where: str) -> str:
    match = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.DOTALL)
    assert match, f"{where} has no {begin} ... {end} block"
    return match.group(1)


# ------------------------------------------------------------------------------------------- generated blocks


def test_the_documented_error_output_matches_the_sample():
    text = _doc("docs/configuration.md")
    block = re.search(re.escape(EXAMPLE_COMMAND) + r"\n(.*?)\n```", text, re.DOTALL)
    assert block, "docs/configuration.md's error example is missing"
    broken = (SAMPLE_CONFIG.read_text()
              .replace("catalog: appsec_dev", "catalog: appsec_prod", 1)
              .replace('"0 */15 * * * ?"', '"*/15 * * * *"', 1)
              .replace("secrets: [github-token]", "secrets: [ghp_0123456789abcdefghijABCDEFGHIJ012345]", 1))
    with pytest.raises(ConfigError) as raised:
        parse_config(broken, "connectors.yaml", base_dir=SAMPLE_DIR)
    assert block.group(1) == raised.value.render()


def test_the_job_pictures_are_the_prod_stacks(user_stacks):
    from review.mermaid import BEGIN, DOC, END, doc_block
    from review.stack_jobs import parse_stack

    assert DOC == "docs/review.md"
    assert _between(_doc(DOC), BEGIN, END, DOC) == doc_block(parse_stack("prod", user_stacks["prod"])), \
        "docs/review.md's job pictures are stale: run `make graphs` and commit docs/review.md"


def test_the_describe_example_is_the_prod_stacks(user_stacks):
    from review.cli import DESCRIBE_MARKERS
    from review.describe import describe
    from review.stack_jobs import parse_stack

    text = _doc("docs/review.md")
    command = "$ python -m review describe --env prod --now 2026-11-21T12:00:00+00:00"
    assert command in text
    now = datetime.fromisoformat(command.rsplit(" ", 1)[1])
    expected = describe({"prod": parse_stack("prod", user_stacks["prod"])}, now)
    assert _between(text, *DESCRIBE_MARKERS, "docs/review.md") == f"```\n{expected}```\n", \
        "docs/review.md's describe example is stale: run `make graphs` and commit docs/review.md"


def test_make_graphs_rewrites_the_blocks_these_tests_read():
    makefile = _doc("Makefile")
    assert "python -m review graph --env prod --doc docs/review.md $(1)\n" in makefile
    assert "python -m review describe --env prod --now 2026-11-21T12:00:00+00:00 --doc docs/review.md $(1)\n" in makefile


def test_the_policy_rules_table_lists_every_rule_as_the_code_states_it():
    from policy import RULES

    block = _between(_doc("docs/policy.md"), "<!-- policy-rules:begin -->", "<!-- policy-rules:end -->",
                     "docs/policy.md")
    expected = ["| rule | guarantees | fix |", "| --- | --- | --- |",
                *(f"| `{rule.id}` | {rule.guarantees} | {rule.fix} |" for rule in RULES)]
    assert block.splitlines() == expected, "docs/policy.md's policy rules differ from the rules' code"


def test_the_benchmark_table_has_its_place_in_the_performance_page():
    text = _doc("docs/performance.md")
    assert text.count("<!-- benchmark:begin -->\n") == text.count("<!-- benchmark:end -->\n") == 1
    assert "python scripts/benchmark.py --doc docs/performance.md" in text


# ---------------------------------------------------------------------------------------- links and paths


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text lower-cased, without what is neither a letter, a digit, a mark,
    '_', '-' nor a space, and with spaces as '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return kept.replace(" ", "-")


def _prose(text: str) -> str:
    """`text` without its fenced code blocks (their lines become empty, so line numbers stay)."""
    lines, fence = [], None
    for line in text.splitlines():
        opener = re.match(r"\s*(```|~~~)", line)
        if fence is None and opener:
            fence = opener.group(1)
            lines.append("")
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def anchors(text: str) -> set[str]:
    """Every heading's anchor, numbered as GitHub numbers repeated ones (`x`, `x-1`, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for match in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", _prose(text), re.MULTILINE):
        slug = github_slug(match.group(1))
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(text: str) -> list[str]:
    """The targets of the inline links in `text`'s prose (not in code)."""
    prose = re.sub(r"`[^`\n]*`", "", _prose(text))
    return re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", prose)


def test_the_slug_and_anchor_rules_are_githubs():
    assert github_slug("Data flow of a batch connector: source → bronze → silver") == \
        "data-flow-of-a-batch-connector-source--bronze--silver"
    assert github_slug("How a definition becomes a `databricks_job`") == "how-a-definition-becomes-a-databricks_job"
    assert github_slug("The sample's jobs") == "the-samples-jobs"
    assert anchors("# A\n```\n## B\n```\n## A\n  ```yaml\n# C\n  ```\n### A\n") == {"a", "a-1", "a-2"}
    assert links("[x](a.md) `[y](b.md)` ![i](c.png)\n```\n[z](d.md)\n```\n[w](e.md#f)") == ["a.md", "c.png", "e.md#f"]


def _missing(target: str) -> bool:
    return not (PROJECT_DIR / target).exists()


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.relative_to(PROJECT_DIR).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check offline
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        relative = resolved.relative_to(PROJECT_DIR).as_posix() if resolved.is_relative_to(PROJECT_DIR) else path
        if _missing(relative):
            broken.append(f"{target}: no file {relative}")
        elif anchor and resolved.suffix == ".md" and resolved.exists() \
                and anchor not in anchors(resolved.read_text(encoding="utf-8")):
            broken.append(f"{target}: {relative} has no heading with the anchor #{anchor}")
    assert broken == []


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.relative_to(PROJECT_DIR).as_posix())
def test_every_repository_path_the_docs_name_exists(page):
    """A path in backticks whose first folder is one of the repository's (not a placeholder such as `<env>`, nor
    output a command writes) names a file or folder of the checkout."""
    named = set(re.findall(r"`([\w.-]+(?:/[\w.-]+)+/?)`", _prose(page.read_text(encoding="utf-8"))))
    ours = {path for path in named if not path.startswith("..")
            and path.split("/")[0] not in GENERATED and (PROJECT_DIR / path.split("/")[0]).exists()}
    examples = set(re.findall(r"<!-- file: (\S+) -->", page.read_text(encoding="utf-8")))  # files a page writes
    assert sorted(path for path in ours - examples if _missing(path)) == []


def test_the_readme_is_a_short_landing_page_that_links_every_docs_page():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    linked = {target.partition("#")[0] for target in links(text)}
    pages = {page.relative_to(PROJECT_DIR).as_posix() for page in _pages()[1:]}
    assert sorted(pages - linked) == []
