"""core.name_characters: names with invisible characters, compatibility forms or letters of two look-alike
scripts are refused with the character escaped and named; ordinary and single-script names pass."""

from __future__ import annotations

import pytest

from core.name_characters import character_problem, escaped


@pytest.mark.parametrize("name", [
    "appsec-platform-admins", "appsec.oncall@example.com", "team_2024", "Data Engineers", "3b0a7c52-6d1e-4f8a",
    "grupo-ñandú", "café-équipe", "админы", "ομάδα", "データ-team", "데이터-team",
    "数据-admins", "a\\b",
])
def test_ordinary_and_single_script_names_pass(name):
    assert character_problem(name) is None


@pytest.mark.parametrize(("name", "message"), [
    ("appsec\u200badmins", "it contains an invisible character \\u200b (ZERO WIDTH SPACE), so it looks like another "
                           "name; delete it (retype the name if unsure): 'appsecadmins'"),
    ("gold\u200c", "it contains an invisible character \\u200c (ZERO WIDTH NON-JOINER), so it looks like another "
                   "name; delete it (retype the name if unsure): 'gold'"),
    ("\u2060gold\ufeff", "it contains invisible characters \\u2060 (WORD JOINER), \\ufeff (ZERO WIDTH NO-BREAK "
                         "SPACE), so it looks like another name; delete them (retype the name if unsure): 'gold'"),
    ("admins\u202e", "it contains an invisible character \\u202e (RIGHT-TO-LEFT OVERRIDE), so it looks like another "
                     "name; delete it (retype the name if unsure): 'admins'"),
    ("team\u2066x\u2069", "it contains invisible characters \\u2066 (LEFT-TO-RIGHT ISOLATE), \\u2069 (POP DIRECTIONAL "
                          "ISOLATE), so it looks like another name; delete them (retype the name if unsure): 'teamx'"),
    ("a\u00a0team", "it contains an invisible character \\u00a0 (NO-BREAK SPACE), so it looks like another name; "
                    "delete it (retype the name if unsure): 'ateam'"),
    ("team\u200d", "it contains an invisible character \\u200d (ZERO WIDTH JOINER), so it looks like another name; "
                   "delete it (retype the name if unsure): 'team'"),
    ("\u3164", "it contains an invisible character \\u3164 (HANGUL FILLER), so it looks like another name; delete it "
               "and write the name"),
    ("team\tx", "it contains an invisible character \\u0009, so it looks like another name; delete it (retype the "
                "name if unsure): 'teamx'"),
])
def test_invisible_characters_are_refused_and_shown_escaped(name, message):
    assert character_problem(name) == message


@pytest.mark.parametrize(("name", "message"), [
    ("\u0430dmins", "it mixes letters of the Latin and Cyrillic scripts (\\u0430 (CYRILLIC SMALL LETTER A)), which "
                    "look alike; retype it in one script (e.g. only Latin letters)"),
    ("g\u0456th\u0443b", "it mixes letters of the Latin and Cyrillic scripts (\\u0456 (CYRILLIC SMALL LETTER "
                         "BYELORUSSIAN-UKRAINIAN I), \\u0443 (CYRILLIC SMALL LETTER U)), which look alike; retype it "
                         "in one script (e.g. only Latin letters)"),
    ("\u039fps-team", "it mixes letters of the Latin and Greek scripts (\\u039f (GREEK CAPITAL LETTER OMICRON)), "
                      "which look alike; retype it in one script (e.g. only Latin letters)"),
    ("а\u03b1", "it mixes letters of the Cyrillic and Greek scripts (\\u03b1 (GREEK SMALL LETTER ALPHA)), which look "
                "alike; retype it in one script (e.g. only Cyrillic letters)"),
])
def test_mixed_scripts_are_refused(name, message):
    assert character_problem(name) == message


@pytest.mark.parametrize(("name", "message"), [
    ("\uff41dmins", "it is written with look-alike forms of other characters (\\uff41 (FULLWIDTH LATIN SMALL LETTER "
                    "A)), so it looks like another name; write it with the ordinary characters: 'admins'"),
    ("\U0001d41admins", "it is written with look-alike forms of other characters (\\U0001d41a (MATHEMATICAL BOLD "
                        "SMALL A)), so it looks like another name; write it with the ordinary characters: 'admins'"),
    ("\ufb01nance", "it is written with look-alike forms of other characters (\\ufb01 (LATIN SMALL LIGATURE FI)), so "
                    "it looks like another name; write it with the ordinary characters: 'finance'"),
    ("cafe\u0301", "it is written with look-alike forms of other characters (\\u0301 (COMBINING ACUTE ACCENT)), so it "
                   "looks like another name; write it with the ordinary characters: 'caf\\u00e9'"),
])
def test_compatibility_and_decomposed_forms_are_refused(name, message):
    assert character_problem(name) == message


def test_a_credential_pasted_with_an_invisible_character_is_not_echoed():
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2"
    message = character_problem(token + "\u200b")
    assert message == ("it contains an invisible character \\u200b (ZERO WIDTH SPACE), so it looks like another "
                       "name; delete it (retype the name if unsure)")
    assert "A1b2" not in (character_problem("\uff47hp_A1b2C3d4E5f6G7h8I9j0K1l2") or "")


def test_escaped_writes_every_non_ascii_character_as_a_code_point():
    assert escaped("appsec-admins") == "appsec-admins"
    assert escaped("\u0430dmins") == "\\u0430dmins"
    assert escaped("a\u200bb") == "a\\u200bb"
    assert escaped("x\U0001d41a") == "x\\U0001d41a"
    assert escaped("a\\u200bb") == "a\\\\u200bb"  # a written backslash cannot pass for an escape
    assert escaped("\u0430dmins") != escaped("admins")
