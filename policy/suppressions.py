"""What connectors.yaml may say to the policy pack about one finding: a suppression. It names a rule by its id
(`policy.rules.RULE_IDS`, a public contract: an id is never renamed or reused) and gives a reason, which
`reason_problem` checks. Only core imports: the config model reads it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.credentials import looks_like_secret_value, masked, redact, shape_in, url_password
from core.name_characters import escaped, invisible

MIN_REASON = 20  # characters besides blanks: what was reviewed, by whom or where (e.g. a ticket)
_WORD = re.compile(r"[^\W\d_]{3,}")  # a word of letters, in any script


@dataclass(frozen=True, order=True)
class Suppression:
    """A reviewed exception to one rule for one resource, written in connectors.yaml's `policy.suppressions`."""

    resource: str  # the construct path a finding names, e.g. prod/jobs/legacy_export/permissions
    rule: str
    reason: str
    origin: str = ""  # where it is written, e.g. 'policy.suppressions[0]'; '' when the platform adds it itself


def reason_problem(reason: str, minimum: int = MIN_REASON) -> str | None:
    """Why `reason` does not explain a reviewed exception, with the fix; None when it does. A reason is written
    into the synthesized stack and shown on every synth and in review: it must be words (not blanks or
    punctuation), hold no invisible characters (a bidi control could make it read otherwise), and never a
    credential (which is never echoed here)."""
    for word in reason.split():
        if looks_like_secret_value(word) or shape_in(word) or url_password(word):
            # A token inside a word ('(ghp_…)') or a URL's password is cut where it is, the rest shown.
            shown = (redact(word) if looks_like_secret_value(word)
                     else f"{masked(word)!r} (redacted: looks like a credential)")
            return (f"{shown} looks like a credential, and the reason is written into the synthesized "
                    "stack and shown on every synth; remove it (revoke the credential if it is real) and say why "
                    "the exception is safe in words")
    hidden = sorted({char for char in reason if invisible(char) and not char.isspace()})  # blanks are fine
    if hidden:
        many = len(hidden) > 1
        return (f"contains {'invisible characters' if many else 'an invisible character'} "
                f"{', '.join(escaped(char) for char in hidden)}, which can change how it reads; delete "
                f"{'them' if many else 'it'}")
    visible = sum(1 for char in reason if not char.isspace() and not invisible(char))
    if visible < minimum or not _WORD.search(reason):
        return (f"has {visible} characters besides blanks{'' if _WORD.search(reason) else ' and no word'}; say in "
                f"words, at least {minimum} characters, why the exception is safe and who reviewed it "
                "(e.g. 'export job owned by a retired team, SEC-142')")
    return None
