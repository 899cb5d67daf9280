"""Hostile or unusual YAML in connectors.yaml and in the bundle files it imports: alias bombs, deep nesting,
tags, merge keys, non-UTF-8 bytes, tabs, a second document and over-long values are each refused at their
line with the fix (or, for merge keys, resolved); CRLF, a byte-order mark, non-ASCII text and JSON still load."""

from __future__ import annotations

import json
import time

import pytest

from connectors_config import ConfigError, load_config, parse_config, resolve
from connectors_config.yaml_lines import read
from tests.fixtures.builders import CMDB, GITHUB, connectors, environments

# dev and prod as the builders write them, and two batch connectors (the line numbers below count in this text).
VALID = environments() + connectors(GITHUB, CMDB)
END = len(VALID.splitlines()) + 1  # the line of anything appended to VALID


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def replace(old: str, new: str, text: str = VALID) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur exactly once"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    [number] = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return number


# ---------------------------------------------------------------------------------------------- alias bombs


def bomb(levels: int, width: int = 9) -> str:
    """Billion laughs: each line's list repeats the previous line's `width` times (width ** levels values)."""
    names = [f"l{n}" for n in range(levels)]
    text = f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]\n"
    for previous, name in zip(names, names[1:], strict=False):
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * width)}]\n"
    return text


BOMB_MESSAGE = ("(yaml): the alias *{alias} (column {column}) makes the aliases of this file repeat more than 10,000 "
                "values, the limit that stops an alias bomb; write the values out or use fewer aliases")


@pytest.mark.parametrize(("levels", "width", "line", "alias", "column"), [
    (9, 9, END + 4, "l3", 10),  # 9 ** 9 values: refused at the first alias that repeats more than 10,000 in all
    (30, 2, END + 11, "l10", 12),  # a longer chain of doublings
])
def test_an_alias_bomb_is_refused_at_once(levels, width, line, alias, column):
    started = time.perf_counter()
    errors = errors_of(VALID + bomb(levels, width))
    assert time.perf_counter() - started < 0.5
    assert errors == [f"connectors.yaml:{line}: " + BOMB_MESSAGE.format(alias=alias, column=column)]


def test_an_alias_bomb_through_merge_keys_is_refused_too():
    text = VALID + "m0: &m0 {x: 1, y: 2, z: 3}\n"
    for n in range(1, 7):
        text += f"m{n}: &m{n}\n" + "".join(f"  k{k}: {{<<: *m{n - 1}}}\n" for k in range(10))
    assert errors_of(text) == [f"connectors.yaml:{END + 32}: " + BOMB_MESSAGE.format(alias="m2", column=12)]  # m3, its 9th key


def test_an_alias_inside_what_it_repeats_is_refused():
    assert errors_of(VALID + "x: &r [1, *r]\n") == [
        f"connectors.yaml:{END}: (yaml): the alias *r (column 11) is inside the value it repeats, which would "
        "never end; write the values out"]
    assert errors_of(VALID + "x: &r\n  a: {b: *r}\n") == [
        f"connectors.yaml:{END + 1}: (yaml): the alias *r (column 10) is inside the value it repeats, which would "
        "never end; write the values out"]


def test_aliases_within_the_bound_still_load():
    text = replace("  - name: cmdb\n", "  - name: cmdb\n    notifications: {on_failure: *team}\n",
                   replace("on_failure: [dev@example.com]", "on_failure: &team [dev@example.com]"))
    config = parse_config(text, "connectors.yaml")
    assert config.connectors[1].notifications.on_failure == ("dev@example.com",)


# ---------------------------------------------------------------------------------------------- nesting depth


def nested(depth: int, opening: str = "[", closing: str = "]", inner: str = "") -> str:
    return opening * depth + inner + closing * depth


DEEP = ("(yaml): lists and mappings are nested more than 100 deep here (column {column}); a config needs far fewer "
        "levels: flatten it")


@pytest.mark.parametrize(("value", "column"), [
    (nested(1000), 103),  # the top-level mapping is the first level
    (nested(1000, "{a: ", "}", "1"), 400),
    (nested(100_000), 103),  # far past Python's recursion limit
    ("[" * 1000, 103),  # never closed: refused before the parser finds that out
])
def test_deep_flow_nesting_is_refused_with_a_clean_error(value, column):
    assert errors_of(VALID + f"x: {value}\n") == [f"connectors.yaml:{END}: " + DEEP.format(column=column)]


def test_deep_block_nesting_is_refused():
    text = VALID + "".join(f"{'  ' * n}k{n}:\n" for n in range(120)) + "  " * 120 + "end\n"
    assert errors_of(text) == [f"connectors.yaml:{END + 100}: " + DEEP.format(column=201)]  # k100


def test_nesting_through_aliases_counts_what_they_repeat():
    """Each anchor nests 90 deep and repeats the previous one: 90 levels per line, refused on the second."""
    text = VALID + "".join(f"a{k}: &a{k} {nested(90, inner=f'*a{k - 1}' if k else '1')}\n" for k in range(3))
    assert errors_of(text) == [
        f"connectors.yaml:{END + 1}: (yaml): lists and mappings are nested more than 100 deep here (column 99, "
        "counting what the alias repeats); a config needs far fewer levels: flatten it"]


def test_nesting_within_the_bound_still_reads():
    expected: list = []
    for _ in range(97):
        expected = [expected]
    assert read(f"x: {nested(98)}\n")[0] == {"x": expected}


# ---------------------------------------------------------------------------------------------- tags

TAG = ("(yaml): the tag {tag} (column {column}) is not allowed: tags make some YAML readers build objects or read a "
       "value as another type; remove it (quote a value that is meant as text)")


@pytest.mark.parametrize(("old", "new", "tag", "column"), [
    ("settings: {organisation: acme}", "settings: !!python/object:os.system {organisation: acme}",
     "!!python/object:os.system", 15),
    ("settings: {organisation: acme}", "settings: !!python/object/apply:os.system [echo]",
     "!!python/object/apply:os.system", 15),
    ("secrets: [github-token]", "secrets: !foo [github-token]", "!foo", 14),
    ("kind: batch\n    schedule: \"0 */15", "kind: !foo batch\n    schedule: \"0 */15", "!foo", 11),
    ("organisation: acme", "organisation: !<tag:example.com,2024:x> acme", "tag:example.com,2024:x", 30),
    ("organisation: acme", "organisation: !!binary YWNtZQ==", "!!binary", 30),
    ("organisation: acme", "organisation: !!timestamp 2024-01-01", "!!timestamp", 30),
])
def test_a_tag_is_refused_by_name(old, new, tag, column):
    text = replace(old, new)
    assert errors_of(text) == [f"connectors.yaml:{line_of(text, new.splitlines()[0].strip())}: "
                               + TAG.format(tag=tag, column=column)]


def test_core_tags_only_say_what_the_value_is():
    """`!!str 0755` is text (no octal question then), `!!int "3"` a number: both as YAML 1.2 reads them."""
    text = replace("organisation: acme", "organisation: !!str 0755")
    assert parse_config(text, "connectors.yaml").connectors[0].settings == {"organisation": "0755"}
    assert read('a: !!int "3"\nb: !!float 1\nc: !!bool true\nd: !!null ""\ne: !!seq []\n')[0] == \
        {"a": 3, "b": 1.0, "c": True, "d": None, "e": []}
    text = replace("  - name: github\n", "  - !!map\n    name: github\n")
    assert parse_config(text, "connectors.yaml") == parse_config(VALID, "connectors.yaml")


# ---------------------------------------------------------------------------------------------- merge keys


def test_merge_keys_are_resolved_in_connectors_yaml():
    """prod takes dev's settings and writes its own over them; a merged value has the line where it is written."""
    prod = VALID[VALID.index("  prod:\n"):VALID.index("connectors:\n")]
    merged = (prod.replace("  prod:\n", "  prod:\n    <<: *dev\n")
              .replace("    admin_group: appsec-platform-admins\n    team_group: appsec-data-engineers\n", ""))
    text = replace(prod, merged, replace("  dev:\n", "  dev: &dev\n"))
    assert parse_config(text, "connectors.yaml") == parse_config(VALID, "connectors.yaml")
    lines = read(text)[1]
    assert lines[("environments", "prod", "admin_group")] == line_of(text, "admin_group")  # dev's, written once
    assert lines[("environments", "prod", "catalog")] == line_of(text, "catalog: appsec_prod")


def test_a_mistake_in_a_merged_value_is_reported_where_it_is_written():
    text = replace("  - name: github\n", "  - &github\n    name: github\n    retries: {max_retries: 99}\n")
    text = replace("  - name: cmdb\n", "  - <<: *github\n    name: cmdb\n", text)
    line = line_of(text, "max_retries: 99")
    assert errors_of(text) == [
        f"connectors.yaml:{line}: connectors[0].retries.max_retries: 99 is above the maximum 10",
        f"connectors.yaml:{line}: connectors[1].retries.max_retries: 99 is above the maximum 10"]


def test_merge_keys_with_a_list_of_mappings_keep_the_first_written():
    data, lines = read("a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  w: 0\n  <<: [*a, *b]\n  x: 9\n")
    assert data["c"] == {"w": 0, "x": 9, "y": 2, "z": 4}
    assert list(data["c"]) == ["w", "y", "z", "x"]  # merged keys where the `<<` is
    assert (lines[("c", "x")], lines[("c", "y")], lines[("c", "z")]) == (6, 1, 2)


@pytest.mark.parametrize("value", ["1", "[1, 2]", "[*a, 1]"])
def test_a_merge_key_that_is_not_a_mapping_says_what_to_write(value):
    assert errors_of(VALID + f"x: &a {{k: 1}}\ny:\n  <<: {value}\n") == [
        f"connectors.yaml:{END + 2}: (yaml): a merge key (<<) takes a mapping, usually an alias such as *defaults, "
        "or a list of them; write the keys out instead"]


def test_a_key_written_twice_beside_a_merge_is_still_a_duplicate():
    assert errors_of(VALID + "x: &a {k: 1}\ny:\n  <<: *a\n  k: 2\n  k: 3\n") == [
        f"connectors.yaml:{END + 4}: (yaml): duplicate key 'k' in the mapping that starts on line {END + 2}; each "
        "key may appear once, remove or merge one of them"]


BUNDLE = """\
x-defaults: &task_defaults
  notebook_task:
    notebook_path: /Workspace/Shared/reports/nightly
  existing_cluster_id: 0101-abc
resources:
  jobs:
    report:
      name: report
      tasks:
        - <<: *task_defaults
          task_key: first
        - <<: *task_defaults
          task_key: second
          run_if: SOMETIMES
"""


def bundle_config(*files: str) -> str:
    entries = "".join(f"  job{n}:\n    file: {file}\n" for n, file in enumerate(files))
    return VALID + "jobs:\n" + entries


def test_merge_keys_in_an_imported_bundle_file_load_as_the_databricks_cli_reads_them(tmp_path):
    (tmp_path / "bundle.yml").write_text(BUNDLE.replace("          run_if: SOMETIMES\n", ""))
    config = parse_config(bundle_config("bundle.yml"), "connectors.yaml", base_dir=tmp_path)
    [job] = resolve(config, "dev").jobs
    assert [task["task_key"] for task in job.settings["tasks"]] == ["first", "second"]
    assert {task["notebook_task"]["notebook_path"] for task in job.settings["tasks"]} == \
        {"/Shared/reports/nightly"}  # written normalized, as the workspace reads it


def test_a_mistake_in_a_merged_bundle_value_names_its_line(tmp_path):
    (tmp_path / "bundle.yml").write_text(BUNDLE)
    with pytest.raises(ConfigError) as raised:
        parse_config(bundle_config("bundle.yml"), "connectors.yaml", base_dir=tmp_path)
    assert [p.render("connectors.yaml") for p in raised.value.problems] == [
        f"bundle.yml:{line_of(BUNDLE, 'SOMETIMES')}: resources.jobs.report.tasks[1].run_if: 'SOMETIMES' is not one "
        "of: ALL_SUCCESS, ALL_DONE, NONE_FAILED, AT_LEAST_ONE_SUCCESS, ALL_FAILED, AT_LEAST_ONE_FAILED"]


@pytest.mark.parametrize(("written", "problem"), [
    ("resources: !include other.yml\n", "1: (file): " + TAG.format(tag="!include", column=12).removeprefix("(yaml): ")),
    (bomb(9), "5: (file): " + BOMB_MESSAGE.format(alias="l3", column=10).removeprefix("(yaml): ")),
    (f"resources: {nested(200)}\n", "1: (file): " + DEEP.format(column=111).removeprefix("(yaml): ")),
    ("resources: {}\n---\nresources: {}\n", "2: (file): a second YAML document starts here (after '---' or '...'); "
                                            "the file holds one document: remove the separator and merge what "
                                            "follows into the first"),
])
def test_an_imported_bundle_file_is_refused_like_connectors_yaml(tmp_path, written, problem):
    (tmp_path / "bundle.yml").write_text(written)
    with pytest.raises(ConfigError) as raised:
        parse_config(bundle_config("bundle.yml"), "connectors.yaml", base_dir=tmp_path)
    assert [p.render("connectors.yaml") for p in raised.value.problems] == ["bundle.yml:" + problem]


# ---------------------------------------------------------------------------------------------- bytes, tabs, documents


@pytest.mark.parametrize(("raw", "line", "byte", "column"), [
    (VALID.encode().replace(b"organisation: acme", b"organisation: ac\xffme"), 27, 0xff, 32),
    (VALID.encode().replace(b"name: cmdb", "name: cmdb # café".encode("latin-1")), 28, 0xe9, 21),
    (b"\xfe" + VALID.encode(), 1, 0xfe, 1),
    (VALID.replace("\n", "\r\n").encode().replace(b"kind: batch\r\n    schedule: \"0 0 2",
                                                  b"kind: batch\x80\r\n    schedule: \"0 0 2"), 29, 0x80, 16),
])
def test_a_byte_that_is_not_utf8_is_reported_at_its_line_and_column(tmp_path, raw, line, byte, column):
    (tmp_path / "connectors.yaml").write_bytes(raw)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "connectors.yaml")
    file = str(tmp_path / "connectors.yaml")
    assert [p.render(file) for p in raised.value.problems] == [
        f"{file}:{line}: (file): byte 0x{byte:02x} at column {column} is not UTF-8; save the file as UTF-8"]


def test_a_byte_that_is_not_utf8_in_an_imported_file_names_that_file(tmp_path):
    (tmp_path / "bundle.yml").write_bytes(b"resources:\n  jobs: {}\n# \xe9t\xe9\n")
    with pytest.raises(ConfigError) as raised:
        parse_config(bundle_config("bundle.yml"), "connectors.yaml", base_dir=tmp_path)
    assert [p.render("connectors.yaml") for p in raised.value.problems] == [
        "bundle.yml:3: (file): byte 0xe9 at column 3 is not UTF-8; save the file as UTF-8"]


TAB = "(yaml): a tab in the indentation (column {column}); YAML indents with spaces only: replace the tab with spaces"


@pytest.mark.parametrize(("old", "new", "column"), [
    ("    kind: batch\n    schedule: \"0 */15", "\tkind: batch\n    schedule: \"0 */15", 1),
    ("    kind: batch\n    schedule: \"0 */15", "  \t  kind: batch\n    schedule: \"0 */15", 3),
    ("    secrets: [github-token]", "\t\tsecrets: [github-token]", 1),
    ("  dev:\n", "  dev:\n\t\n", 1),
])
def test_a_tab_in_the_indentation_is_named(old, new, column):
    text = replace(old, new)
    [line] = [n for n, written in enumerate(text.splitlines(), 1) if written.startswith((" ", "\t")) and
              "\t" in written[:len(written) - len(written.lstrip())]]
    assert errors_of(text) == [f"connectors.yaml:{line}: " + TAB.format(column=column)]


def test_a_tab_after_a_key_and_inside_a_quoted_value_are_fine():
    text = replace("organisation: acme", "organisation:\t\"ac\tme\"")
    assert parse_config(text, "connectors.yaml").connectors[0].settings == {"organisation": "ac\tme"}


SECOND = ("(yaml): a second YAML document starts here (after '---' or '...'); the file holds one document: remove "
          "the separator and merge what follows into the first")


@pytest.mark.parametrize(("appended", "line"), [
    ("---\njobs: {}\n", END),
    ("---\n", END),
    ("...\n---\nenvironments: {}\n", END + 1),
    ("--- {a: 1}\n", END),
])
def test_a_second_document_is_refused(appended, line):
    assert errors_of(VALID + appended) == [f"connectors.yaml:{line}: " + SECOND]


def test_one_explicit_document_still_loads():
    parse_config("---\n" + VALID + "...\n", "connectors.yaml")


# ---------------------------------------------------------------------------------------------- over-long values


@pytest.mark.parametrize(("old", "new", "length", "column"), [
    ("organisation: acme", "organisation: " + "a" * 100_000, "100,000", 30),
    ("organisation: acme", "organisation: '" + "b" * 10_001 + "'", "10,001", 30),
    ("    kind: batch\n    schedule: \"0 */15", "    description: |\n      " + "d" * 20_000
     + "\n    kind: batch\n    schedule: \"0 */15", "20,001", 18),  # the literal block's text ends with a newline
    ("    kind: batch\n    schedule: \"0 */15", "    tags: {" + "t" * 12_000 + ": x}\n    kind: batch\n"
     "    schedule: \"0 */15", "12,000", 12),  # a key, in a flow mapping
])
def test_an_over_long_value_is_refused_with_the_limit_and_where(old, new, length, column):
    text = replace(old, new)
    line = line_of(text, new.splitlines()[0])
    assert errors_of(text) == [
        f"connectors.yaml:{line}: (yaml): a value of {length} characters starts at column {column}; keys and values "
        "are limited to 10,000 characters: shorten it"]


def test_an_over_long_block_key_is_refused_with_yamls_limit():
    text = replace("    kind: batch\n    schedule: \"0 */15", "    " + "k" * 2000 + ": 1\n    kind: batch\n"
                                                              "    schedule: \"0 */15")
    assert errors_of(text) == [
        "connectors.yaml:24: (yaml): a key of 2,000 characters starts at column 5; YAML allows keys of at most "
        "1,024 characters: shorten it"]


def test_a_value_at_the_limit_loads():
    text = replace("organisation: acme", "organisation: " + "a" * 10_000)
    assert parse_config(text, "connectors.yaml").connectors[0].settings["organisation"] == "a" * 10_000


# ---------------------------------------------------------------------------------------------- valid look-alikes


def test_crlf_line_endings_load_with_the_same_lines():
    text = VALID.replace("\n", "\r\n")
    assert parse_config(text, "connectors.yaml") == parse_config(VALID, "connectors.yaml")
    assert read(text)[1] == read(VALID)[1]
    twice = replace("    kind: batch\n    schedule: \"0 0 2", "    kind: batch\n    kind: batch\n    schedule: \"0 0 2")
    assert errors_of(twice.replace("\n", "\r\n")) == errors_of(twice) == [
        "connectors.yaml:30: (yaml): duplicate key 'kind' in the mapping that starts on line 28; each key may "
        "appear once, remove or merge one of them"]


def test_a_utf8_byte_order_mark_loads(tmp_path):
    (tmp_path / "connectors.yaml").write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_config(tmp_path / "connectors.yaml") == parse_config(VALID, "connectors.yaml")
    (tmp_path / "connectors.yaml").write_bytes(b"\xef\xbb\xbf" + VALID.replace("\n", "\r\n").encode())
    assert load_config(tmp_path / "connectors.yaml") == parse_config(VALID, "connectors.yaml")


def test_non_ascii_descriptions_and_comments_load(tmp_path):
    text = replace("  - name: cmdb\n", "  # Ingestión de la CMDB — 構成管理\n  - name: cmdb\n"
                                       "    description: Ingestión de la CMDB — 構成管理データベース 🚀\n")
    (tmp_path / "connectors.yaml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "connectors.yaml")
    assert config.connectors[1].description == "Ingestión de la CMDB — 構成管理データベース 🚀"


def test_a_config_written_as_json_loads(tmp_path):
    as_data = read(VALID)[0]
    for text in (json.dumps(as_data, indent=2), json.dumps(as_data), json.dumps(as_data, ensure_ascii=True)):
        (tmp_path / "connectors.json").write_text(text)
        assert load_config(tmp_path / "connectors.json") == parse_config(VALID, "connectors.yaml")


def test_a_mistake_in_a_json_config_names_its_line():
    data = read(VALID)[0]
    data["connectors"][1]["retries"] = {"max_retries": 30}
    text = json.dumps(data, indent=2)
    line = line_of(text, '"max_retries": 30')
    assert errors_of(text) == [f"connectors.yaml:{line}: connectors[1].retries.max_retries: 30 is above the maximum 10"]
