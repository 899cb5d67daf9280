"""Names as Databricks compares them: in any case, and whole."""

from __future__ import annotations

import pytest

from core.uc_names import name_key, same_name, whole_name


@pytest.mark.parametrize("first, second", [("appsec_dev", "APPSEC_DEV"), ("Silver", "silver"),
                                           ("AppSec-Admins", "appsec-admins")])
def test_names_that_differ_only_in_case_are_the_same(first, second):
    assert same_name(first, second) and name_key(first) == name_key(second)


def test_different_names_are_not_the_same():
    assert not same_name("appsec_dev", "appsec_devx")


@pytest.mark.parametrize("text", ["APPSEC_DEV.silver.x", "select * from `Appsec_Dev`.bronze.t", "appsec_dev"])
def test_a_whole_name_is_found_in_any_case(text):
    assert whole_name("appsec_dev").search(text)


@pytest.mark.parametrize("text", ["appsec_devx.silver", "my_appsec_dev", "appsec_dev-old", "the dev catalog"])
def test_a_name_inside_a_longer_one_is_not_found(text):
    assert whole_name("appsec_dev").search(text) is None


def test_a_name_with_a_dot_is_whole_only_with_its_dot():
    assert whole_name("connectors.prod").search("scope Connectors.Prod here")
    assert whole_name("connectors.prod").search("connectors.prod.x") is None
