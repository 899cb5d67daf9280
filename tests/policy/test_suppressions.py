"""What connectors.yaml may say to the policy pack (its `policy` section): suppressions naming a rule by its id
and a resource by its path, and broad groups; read by the config model, resolved per environment."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config, resolve
from policy import RULE_IDS, Suppression
from policy.suppressions import reason_problem
from tests.connectors_config.test_loader import VALID

LONG_REASON = "reviewed by appsec on 2026-01-02, ticket SEC-1"


def errors_of(policy: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(VALID + policy, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def suppression(rule: str = "CP-RUN-AS", resource: str = "dev/jobs/x/job", reason: str = LONG_REASON) -> str:
    return f"    - rule: {rule}\n      resource: {resource}\n      reason: {reason}\n"


def test_a_suppression_of_an_unknown_rule_lists_the_rules():
    """Every rule id, in the pack's order (`RULE_IDS`, so a new rule is listed without touching this test)."""
    *others, last = (f"'{rule_id}'" for rule_id in RULE_IDS)
    assert errors_of("policy:\n  suppressions:\n" + suppression(rule="CP-RUN-ASS")) == [
        f"connectors.yaml:35: policy.suppressions[0].rule: 'CP-RUN-ASS' is not one of: {', '.join(others)} or {last}"]


HOW_TO_SAY_WHY = ("say in words, at least 20 characters, why the exception is safe and who reviewed it (e.g. "
                  "'export job owned by a retired team, SEC-142')")


@pytest.mark.parametrize(("reason", "problem"), [
    ("too short", "has 8 characters besides blanks; "),
    ('"                         "', "has 0 characters besides blanks and no word; "),  # spaces
    ('"\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000"',
     "has 0 characters besides blanks and no word; "),  # ideographic spaces
    ('"\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t ok"', "has 2 characters besides blanks and no word; "),
    ("'----------------------------'", "has 28 characters besides blanks and no word; "),
    ("2026-01-02 2026-01-03 2026-01-04", "has 30 characters besides blanks and no word; "),
    ("a b c d e f g h i j k l m n o p q r s t u", "has 21 characters besides blanks and no word; "),
])
def test_a_suppression_reason_must_be_words_not_blanks(reason, problem):
    assert errors_of("policy:\n  suppressions:\n" + suppression(reason=reason)) == [
        f"connectors.yaml:37: policy.suppressions[0].reason: {problem}{HOW_TO_SAY_WHY}"]


@pytest.mark.parametrize(("reason", "shown", "secret"), [
    ("reviewed by appsec, mirror ftp://u:hunter2@h SEC-142", "'ftp://u:…@h'", "hunter2"),
    ("reviewed by appsec, sftp://deploy:tiger@files.example.com SEC-142", "'sftp://deploy:…@files.example.com'",
     "tiger"),
])
def test_a_password_in_a_url_of_a_reason_is_refused_and_cut(reason, shown, secret):
    """A URL's password, even a short word: the message cuts it where it is."""
    errors = errors_of("policy:\n  suppressions:\n" + suppression(reason=reason))
    assert errors == [
        f"connectors.yaml:37: policy.suppressions[0].reason: {shown} (redacted: looks like a credential) looks like "
        "a credential, and the reason is written into the synthesized stack and shown on every synth; remove it "
        "(revoke the credential if it is real) and say why the exception is safe in words"]
    assert secret not in errors[0]


@pytest.mark.parametrize(("reason", "shown"), [
    ("reviewed, token ghp_A1b2C3d4E5f6G7h8I9j0K1l2m3 by appsec", "'ghp_…'"),
    ("dapi0123456789abcdef0123456789abcdef was reviewed by appsec", "'dapi…'"),
    ("AKIAABCDEFGHIJKLMNOP for the export reviewed by appsec", "'AKIA…'"),
    ("reviewed by appsec with password=Hunter2hunter2", "'pass…'"),
    ("reviewed by appsec eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHBzZWMifQ.sig", "'eyJh…'"),
    ("reviewed by appsec x9Kq2Lm7Vt4Rz8Wp3Yn6Bc1D", "'x9Kq…'"),  # long random-looking run
])
def test_a_suppression_reason_that_holds_a_credential_is_refused_without_echoing_it(reason, shown):
    errors = errors_of("policy:\n  suppressions:\n" + suppression(reason=reason))
    assert errors == [
        f"connectors.yaml:37: policy.suppressions[0].reason: {shown} (redacted: looks like a credential) looks like "
        "a credential, and the reason is written into the synthesized stack and shown on every synth; remove it "
        "(revoke the credential if it is real) and say why the exception is safe in words"]
    secret = next(word for word in reason.split() if word.startswith(shown[1:5]))
    assert secret[5:] not in errors[0]


@pytest.mark.parametrize(("reason", "shown"), [
    ('"reviewed by appsec\u200b on 2026-01-02, SEC-1"', "an invisible character \\u200b, which can change how it "
                                                        "reads; delete it"),
    ('"reviewed by \u202eappsec\u202c on 2026-01-02, SEC-1"', "invisible characters \\u202c, \\u202e, which "
                                                               "can change how it reads; delete them"),
    ('"\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b\u200b"',
     "an invisible character \\u200b, which can change how it reads; delete it"),
])
def test_a_suppression_reason_with_invisible_characters_is_refused(reason, shown):
    assert errors_of("policy:\n  suppressions:\n" + suppression(reason=reason)) == [
        f"connectors.yaml:37: policy.suppressions[0].reason: contains {shown}"]


@pytest.mark.parametrize("reason", [
    LONG_REASON, "Export reviewed by l'équipe sécurité, ticket SEC-142", "審査済み: 旧チームの輸出ジョブ、SEC-142 で承認",
    "owned through the UI until 2026-03-01 (SEC-9)", "rotated the token: see SEC-1, reviewed by appsec",
    "revue\u00a0: export ok, SEC-142 par appsec",  # a no-break space is a blank, not an invisible character
    "reviewed by appsec, commit 4ba62cf",
])
def test_real_reasons_in_any_language_pass(reason):
    config = parse_config(VALID + "policy:\n  suppressions:\n" + suppression(reason=f'"{reason}"'), "connectors.yaml")
    assert config.policy.suppressions[0].reason == reason.replace("\\u00a0", "\u00a0")


def test_reason_problem_counts_visible_characters_against_its_minimum():
    assert reason_problem("SEC-1 ok now") == f"has 10 characters besides blanks; {HOW_TO_SAY_WHY}"
    assert reason_problem("SEC-1 ok now", 10) is None
    assert reason_problem("SEC-1 ok now\u200b", 10) == ("contains an invisible character \\u200b, which can "
                                                          "change how it reads; delete it")


def test_a_suppression_names_an_environment_then_a_construct_path():
    assert errors_of("policy:\n  suppressions:\n" + suppression(resource="jobs")) == [
        "connectors.yaml:36: policy.suppressions[0].resource: 'jobs' is not a valid resource path; use the resource "
        "path the policy violation names: '<stack>/<construct>/.../<resource>' "
        "(e.g. 'prod/jobs/legacy_export/permissions')"]


def test_a_suppression_of_an_unknown_environment_lists_the_environments():
    assert errors_of("policy:\n  suppressions:\n" + suppression(resource="staging/jobs/x/job")) == [
        "connectors.yaml:36: policy.suppressions[0].resource: 'staging' is not an environment; a resource path "
        "starts with one of: dev, prod"]


def test_the_same_rule_and_resource_may_be_suppressed_once():
    assert errors_of("policy:\n  suppressions:\n" + suppression() + suppression(reason=LONG_REASON + " again")) == [
        "connectors.yaml:38: policy.suppressions[1]: suppresses CP-RUN-AS on dev/jobs/x/job again "
        "(also policy.suppressions[0]); keep one"]


def test_an_unknown_key_under_policy_suggests_the_closest():
    assert errors_of("policy:\n  broad_group: [all-staff]\n") == [
        "connectors.yaml:34: policy.broad_group: unknown key 'broad_group'; did you mean 'broad_groups'? "
        "allowed here: broad_groups, suppressions"]


def test_every_rule_id_may_be_suppressed():
    config = parse_config(VALID + "policy:\n  suppressions:\n"
                          + "".join(suppression(rule=rule_id) for rule_id in RULE_IDS), "connectors.yaml")
    assert sorted(s.rule for s in resolve(config, "dev").suppressions) == sorted(RULE_IDS)


def test_suppressions_and_broad_groups_resolve_per_environment():
    """Each environment gets only its own suppressions, each with where it is written; broad groups are compared
    in lower case, the built-in ones always included."""
    config = parse_config(VALID + "policy:\n  broad_groups: [All-Staff]\n  suppressions:\n"
                          + suppression(resource="prod/jobs/x/job")
                          + suppression(rule="CP-JOB-OWNER", resource="dev/jobs/x/permissions")
                          + suppression(rule="CP-BROAD-WRITE", resource="prod/secrets/acl_users"))
    prod = resolve(config, "prod")
    assert prod.suppressions == (
        Suppression("prod/jobs/x/job", "CP-RUN-AS", LONG_REASON, "policy.suppressions[0]"),
        Suppression("prod/secrets/acl_users", "CP-BROAD-WRITE", LONG_REASON, "policy.suppressions[2]"))
    assert resolve(config, "dev").suppressions == (
        Suppression("dev/jobs/x/permissions", "CP-JOB-OWNER", LONG_REASON, "policy.suppressions[1]"),)
    assert prod.broad_groups == frozenset({"users", "account users", "all users", "all-staff"})


def test_without_a_policy_section_nothing_is_suppressed_and_only_built_in_groups_are_broad():
    dev = resolve(parse_config(VALID), "dev")
    assert dev.suppressions == ()
    assert dev.broad_groups == frozenset({"users", "account users", "all users"})
