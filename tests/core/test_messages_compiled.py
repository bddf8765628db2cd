"""Every compiled catalogue (.mo) holds what its .po says: a merge that keeps one side's .mo, or
a `compilemessages` skipped because the .mo looked newer, leaves strings untranslated on the
pages while the .po looks right."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest

JAGA = Path(__file__).resolve().parents[2] / "jaga"


def po_catalog(path: Path) -> dict[str, str]:
    """The translated, non-fuzzy singular entries of a .po file (plural forms by their first)."""
    entries: dict[str, str] = {}
    msgctxt: list[str] = []
    msgid: list[str] = []
    msgstr: list[str] = []
    fuzzy = False
    current: list[str] | None = None

    def finish() -> None:
        key, value = "".join(msgid), "".join(msgstr)
        if msgctxt:  # gettext keys a string with a context as "context\x04string"
            key = "".join(msgctxt) + "\x04" + key
        if key and value and not fuzzy:
            entries[key] = value

    for raw in [*path.read_text().splitlines(), ""]:
        line = raw.strip()
        if not line:
            finish()
            msgctxt, msgid, msgstr, fuzzy, current = [], [], [], False, None
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            current = msgctxt
            msgctxt.append(ast.literal_eval(line[8:]))
        elif line.startswith("msgid_plural"):
            current = None
        elif line.startswith("msgid "):
            current = msgid
            msgid.append(ast.literal_eval(line[6:]))
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            current = msgstr
            msgstr.append(ast.literal_eval(line.split(" ", 1)[1]))
        elif line.startswith("msgstr["):
            current = None
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
    return entries


@pytest.mark.parametrize(
    "po", sorted(JAGA.glob("*/locale/*/LC_MESSAGES/django.po")), ids=lambda p: p.parts[-5]
)
def test_the_compiled_catalogue_is_the_po(po: Path) -> None:
    with po.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # type: ignore[attr-defined]
    mo = {
        (key[0] if isinstance(key, tuple) else key): value
        for key, value in catalog.items()
        if key and (not isinstance(key, tuple) or key[1] == 0)
    }
    expected = po_catalog(po)
    missing = sorted(k for k in expected if mo.get(k) != expected[k])
    assert missing == [], f"{po.parts[-5]}: compile its messages again; differs: {missing[:3]}"
