"""Which characters a name may hold: one that names a principal, a group, a job or a connector must read as
what it is. Invisible characters (a zero-width space, a bidi control) and letters of two scripts that look
alike (a Cyrillic 'а' in a Latin name) make two different names look the same, in the config and in review.

`character_problem` is the one check every validator of a name uses; `escaped` is how such a name is shown
wherever a reviewer must tell two names apart (error messages, `review diff`). Text that is not a name
(descriptions, reasons) may use any printable character.
"""

from __future__ import annotations

import unicodedata

from core.credentials import looks_like_secret_value, shape_in

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing at all, though some are
# letters or marks (the Hangul fillers, variation selectors). Format characters (Cf) are refused besides.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# Control, format, private-use, surrogate, unassigned, line and paragraph separators: never part of a name.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
# Scripts written together in one name (Unicode's "highly restrictive" level, UTS #39): Latin with Han and
# Japanese kana, Korean Hangul or Bopomofo. Any other mix (Latin with Cyrillic or Greek...) is refused.
_COMPATIBLE_SCRIPTS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)


def escaped(text: str) -> str:
    """`text` with every character outside printable ASCII as \\uXXXX (and a backslash as \\\\): two names that
    look alike differ visibly, e.g. 'appsec\\u200badmins' or '\\u0430dmins'."""
    out = []
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif 0x20 <= code < 0x7F:
            out.append(char)
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def _described(char: str) -> str:
    """'\\u200b (ZERO WIDTH SPACE)'."""
    name = unicodedata.name(char, "")
    return f"{escaped(char)} ({name})" if name else escaped(char)


def _as(suggestion: str) -> str:
    """': <the name to write>', unless it would show a credential (a secret pasted where a name belongs)."""
    return "" if looks_like_secret_value(suggestion) or shape_in(suggestion) else f": '{escaped(suggestion)}'"


def invisible(char: str) -> bool:
    """A character drawn as nothing, or as a blank that is not the ordinary space."""
    code = ord(char)
    category = unicodedata.category(char)
    return (category in _INVISIBLE_CATEGORIES or (category == "Zs" and char != " ")
            or any(low <= code <= high for low, high in _IGNORABLE))


def script(char: str) -> str | None:
    """The script of a letter ('LATIN', 'CYRILLIC', 'GREEK', 'HAN'...), from its Unicode name; None for
    anything else (digits, punctuation, spaces and marks belong to every script)."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    if name.startswith("CJK "):
        return "HAN"
    first = name.split(" ", 1)[0]
    return None if first in ("", "KATAKANA-HIRAGANA") else first  # the prolonged sound mark: both kana


def character_problem(value: str) -> str | None:
    """Why `value` cannot be a name a reviewer reads as it is, with the fix; None when it can."""
    if value.isascii() and value.isprintable():
        return None  # printable ASCII (most names): nothing hidden, NFKC leaves it, every letter Latin
    hidden = sorted({char for char in value if invisible(char)})
    if hidden:
        listed = ", ".join(_described(char) for char in hidden)
        many = len(hidden) > 1
        rest = "".join(char for char in value if not invisible(char))
        return (f"it contains {'invisible characters' if many else 'an invisible character'} {listed}, so it "
                f"looks like another name; delete {'them' if many else 'it'}"
                + (f" (retype the name if unsure){_as(rest)}" if rest.strip() else " and write the name"))
    normal = unicodedata.normalize("NFKC", value)
    if normal != value:
        # Compatibility forms (fullwidth, mathematical, ligatures) change alone; a letter and a combining mark
        # written apart (decomposed) change together: the mark is named.
        changed = sorted({char for char in value if unicodedata.normalize("NFKC", char) != char
                          or unicodedata.category(char) == "Mn"})
        listed = ", ".join(_described(char) for char in changed)
        return (f"it is written with look-alike forms of other characters ({listed}), so it looks like another "
                f"name; write it with the ordinary characters{_as(normal)}")
    letters = [(char, kind) for char in value if (kind := script(char)) is not None]
    scripts = sorted({kind for _, kind in letters})
    if len(scripts) > 1 and not any(set(scripts) <= allowed for allowed in _COMPATIBLE_SCRIPTS):
        # The script the name is meant in: Latin where it has any, else the one most of its letters are in.
        main = "LATIN" if "LATIN" in scripts else max(scripts, key=lambda kind: [k for _, k in letters].count(kind))
        others = sorted(scripts, key=lambda kind: (kind != main, kind))
        foreign = list(dict.fromkeys(char for char, kind in letters if kind != main))
        listed = ", ".join(_described(char) for char in foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        return (f"it mixes letters of the {' and '.join(kind.title() for kind in others)} scripts ({listed}), "
                f"which look alike; retype it in one script (e.g. only {main.title()} letters)")
    return None
