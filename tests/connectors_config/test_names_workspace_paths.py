"""environments.<env>.workspace_dir: normalized before every rule, refused when it climbs above the workspace's
root or lands in a folder other users edit, and written normalized."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config, resolve
from tests.fixtures.builders import CMDB, GITHUB, HOSTS, connectors, environment, environments

VALID = environments() + connectors(GITHUB, CMDB)
DEV_DIR = "/Applications/appsec-connectors/dev"
WITHOUT_DOTS = "use an absolute workspace path without '..' (e.g. '/Applications/appsec-connectors/dev')"
SHARED = ("'/Shared' is editable by other users (every user for /Shared, the owner for a home folder); use a "
          "dedicated folder such as '/Applications/appsec-connectors/dev'")


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def with_dev_dir(value: str) -> str:
    assert VALID.count(DEV_DIR) == 1
    return VALID.replace(DEV_DIR, value)


@pytest.mark.parametrize(("value", "reason"), [
    ("/Applications/../../Shared/x", f"'/Applications/../../Shared/x' climbs above '/' with '..'; {WITHOUT_DOTS}"),
    ("/Workspace/../Shared", f"'/Workspace/../Shared' climbs above '/' with '..'; {WITHOUT_DOTS}"),
    ("/..", f"'/..' climbs above '/' with '..'; {WITHOUT_DOTS}"),
    ("Applications/x", f"'Applications/x' is not an absolute workspace path (it must start with '/'); {WITHOUT_DOTS}"),
    ("//Shared/connectors", SHARED),
    ("/Workspace/Shared/connectors", SHARED),
    ("/Applications/../Shared/x", SHARED),
    ("/./Shared", SHARED),
    ("/Shared/.", SHARED),
    ("/Users/alice@example.com/../bob@example.com/x",
     "'/Users' is editable by other users (every user for /Shared, the owner for a home folder); use a dedicated "
     "folder such as '/Applications/appsec-connectors/dev'"),
    ("/Applications/..", "it is the workspace's root; use a dedicated folder such as "
                         "'/Applications/appsec-connectors/dev'"),
    ("/Workspace", "it is the workspace's root; use a dedicated folder such as '/Applications/appsec-connectors/dev'"),
])
def test_a_workspace_dir_is_judged_as_the_workspace_resolves_it(value, reason):
    assert errors_of(with_dev_dir(value)) == [
        f"connectors.yaml:7: environments.dev.workspace_dir: '{value}' is not a valid workspace folder; {reason}"]


@pytest.mark.parametrize("value", [
    "/Applications/appsec-connectors/dev/./x", "/Workspace/Applications/appsec-connectors/dev/x",
    "//Applications//appsec-connectors/dev/x/", "/Applications/appsec-connectors/dev/y/../x",
])
def test_a_look_alike_of_a_good_folder_is_written_normalized(value):
    config = parse_config(with_dev_dir(value))
    assert config.environments["dev"].workspace_dir == "/Applications/appsec-connectors/dev/x"
    assert resolve(config, "dev").workspace_dir == "/Applications/appsec-connectors/dev/x"


def test_two_environments_in_one_folder_of_one_workspace_are_caught_however_it_is_written():
    one_workspace = environments(environment("dev", host=HOSTS["prod"]), environment("prod")) + connectors(GITHUB)
    text = one_workspace.replace(DEV_DIR, "/Workspace/Applications/appsec-connectors/./prod/")
    assert errors_of(text) == [
        "connectors.yaml:7: environments.dev.workspace_dir: '/Applications/appsec-connectors/prod' is also "
        "environments.prod.workspace_dir; each environment must use its own workspace dir"]
