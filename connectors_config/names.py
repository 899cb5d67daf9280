"""Name rules of connectors.yaml, shared by the config model and its error messages.

Each checker returns None for a good value, or the reason it is bad (what is expected, how to fix it),
so the model and the cross-field checks report names the same way.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from core.credentials import looks_like_secret_value, redact
from core.name_characters import escaped
from core.principals import BROAD_GROUPS
from core.workspace_paths import WorkspacePathError, normalize_workspace_path

# Unity Catalog accepts more, but lowercase snake_case names need no quoting in SQL, are the same on every
# cloud, and cannot clash by case: the safe subset for catalogs, schemas and connector (source) names.
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_MAX_IDENTIFIER = 63  # leaves room for '<source>_<entity>' table names under UC's 255-character limit
# Databricks: secret scope names may use alphanumerics, dashes, underscores, '@' and periods (max 128);
# secret keys the same without '@'.
_SCOPE_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,128}")
_SECRET_KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_SOURCE_OBJECT = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]{0,254}")
_ENV_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_TAG_KEY = re.compile(r"[A-Za-z0-9_.@:+=/ -]{1,127}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def shown(value: str) -> str:
    """A name as a message shows it: quoted, redacted when it looks like a credential, and with every
    non-ASCII character escaped, so a look-alike differs visibly ('\\u0430dmins')."""
    if value.isascii() or looks_like_secret_value(value):
        return redact(value)
    return f"'{escaped(value)}'"


def identifier_problem(value: str, example: str) -> str | None:
    if not _IDENTIFIER.fullmatch(value) or len(value) > _MAX_IDENTIFIER:
        return (
            f"use lowercase letters, digits and underscores, starting with a letter, at most "
            f"{_MAX_IDENTIFIER} characters (e.g. '{example}')"
        )
    return None


def destination_schema_problem(value: str) -> str | None:
    """A managed connector's destination schema: a schema of the environment's own catalog, never a catalog."""
    if "." in value:
        catalog, _, schema = value.partition(".")
        return (
            f"it names catalog '{catalog}', but ingested tables always land in each environment's own catalog "
            f"(environments.<env>.catalog); write only the schema (e.g. '{schema or 'servicenow'}')"
        )
    return identifier_problem(value, "servicenow")


def source_object_problem(value: str) -> str | None:
    """Names in the source system (tables, schemas, columns): kept as the source spells them."""
    if not _SOURCE_OBJECT.fullmatch(value):
        return "use the name as the source spells it: letters, digits, '_', '$' and '-', at most 255 characters " \
               "(e.g. 'incident', 'cmdb_ci_appl')"
    return None


def environment_name_problem(value: str) -> str | None:
    if not _ENV_NAME.fullmatch(value):
        return "use lowercase letters, digits, '-' and '_', starting with a letter (e.g. 'dev', 'prod')"
    return None


_CONSTRUCT_PATH = re.compile(r"[a-z][a-z0-9_-]{0,72}(/[A-Za-z0-9_.-]+)+")  # a stack: <env> or <env>-<group>


def construct_path_problem(value: str) -> str | None:
    if not _CONSTRUCT_PATH.fullmatch(value):
        return ("use the resource path the policy violation names: '<stack>/<construct>/.../<resource>' "
                "(e.g. 'prod/jobs/legacy_export/permissions')")
    return None


def secret_scope_problem(value: str) -> str | None:
    if not _SCOPE_NAME.fullmatch(value):
        return "use letters, digits, '-', '_', '.' and '@', at most 128 characters (e.g. 'mvp-connectors')"
    return None


def secret_name_problem(value: str) -> str | None:
    """Secret *names* (keys in the scope). A value that looks like a credential gets its own reason."""
    if looks_like_secret_value(value):
        return (
            "it looks like a secret value; credentials never go in connectors.yaml: store the value with "
            "`python -m operations load-secrets` (see docs/operations.md, Loading secrets) and list only its name here (e.g. 'github-token')"
        )
    if not _SECRET_KEY.fullmatch(value):
        return "use letters, digits, '-', '_' and '.', at most 128 characters (e.g. 'github-token')"
    return None


def service_principal_problem(value: str) -> str | None:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != value.lower():
        return (
            "use the service principal's application ID, a UUID such as "
            "'8d2f6a4e-1c3b-4f5a-9e7d-2b6c8a0f1e3d' (Databricks identifies service principals by it in "
            "run_as, grants and ACLs; the display name does not work there)"
        )
    return None


def group_problem(value: str) -> str | None:
    if not value.strip() or value != value.strip():
        return "use the group's display name without leading or trailing spaces"
    return None


def broad_group_problem(value: str) -> str | None:
    if value.strip().lower() in BROAD_GROUPS:
        return (
            f"'{value}' contains every user of the workspace; name a dedicated group "
            "(e.g. 'appsec-platform-admins')"
        )
    return None


def workspace_host_problem(value: str) -> str | None:
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:[0-9]+)?/?", value):
        return "use the workspace URL, https://<host> (e.g. 'https://adb-1234567890123456.7.azuredatabricks.net')"
    return None


def warehouse_id_problem(value: str) -> str | None:
    if not re.fullmatch(r"[0-9a-f]{16}", value):
        return ("use the SQL warehouse's ID, 16 hexadecimal digits (e.g. '4b9e2d7a1c3f5e80'): the end of its "
                "HTTP path /sql/1.0/warehouses/<id>, or `databricks warehouses list`")
    return None


def workspace_id_problem(value: str) -> str | None:
    if not re.fullmatch(r"[1-9][0-9]{0,18}", value):
        return "use the workspace's numeric ID (e.g. '1111111111111111'): the number after ?o= in its URL"
    return None


def workspace_id_of(host: str | None) -> str | None:
    """The workspace ID an Azure Databricks host carries ('https://adb-<id>.<n>.azuredatabricks.net'); None for
    other hosts."""
    match = re.fullmatch(r"https://adb-([1-9][0-9]{0,18})\.[0-9]+\.azuredatabricks\.net/?", host or "")
    return match.group(1) if match else None


def email_problem(value: str) -> str | None:
    if not _EMAIL.fullmatch(value):
        return "use an e-mail address (e.g. 'appsec-data-oncall@example.com')"
    return None


def tag_key_problem(value: str) -> str | None:
    if not _TAG_KEY.fullmatch(value):
        return "use letters, digits, spaces and _ . : / = + - @, at most 127 characters"
    return None


def workspace_dir_problem(value: str) -> str | None:
    """An environment's workspace folder, read as the workspace resolves it (see core.workspace_paths)."""
    try:
        normal = normalize_workspace_path(value)
    except WorkspacePathError as error:
        return f"{error}; use an absolute workspace path without '..' (e.g. '/Applications/appsec-connectors/dev')"
    first = normal.split("/")[1]
    if not first:
        return "it is the workspace's root; use a dedicated folder such as '/Applications/appsec-connectors/dev'"
    if first in {"Shared", "Users", "Repos"}:
        return (
            f"'/{first}' is editable by other users (every user for /Shared, the owner for a home folder); "
            "use a dedicated folder such as '/Applications/appsec-connectors/dev'"
        )
    return None


def normal_workspace_dir(value: Any) -> Any:
    """A valid workspace folder as written to every stack ('/Workspace/Applications/x/./dev/' ->
    '/Applications/x/dev'); any other value unchanged (workspace_dir_problem reports it)."""
    if isinstance(value, str) and workspace_dir_problem(value) is None:
        return normalize_workspace_path(value)
    return value
