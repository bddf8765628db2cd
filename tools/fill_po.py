"""Fill msgstr entries of a .po file from a Python dict file: `python tools/fill_po.py PO DICT.py`.

DICT.py defines `T = {"English msgid": "Terjemahan", ...}`. Entries not in the dict are left as
they are; the list of still-empty msgids is printed so nothing is missed.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path


def unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line.strip()) for line in lines)


def quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def fill(po_path: str, table: dict[str, str]) -> list[str]:
    blocks = Path(po_path).read_text(encoding="utf-8").split("\n\n")
    missing = []
    out = []
    for block in blocks:
        lines = block.split("\n")
        try:
            i_id = next(i for i, ln in enumerate(lines) if ln.startswith("msgid "))
            i_str = next(i for i, ln in enumerate(lines) if ln.startswith("msgstr"))
        except StopIteration:
            out.append(block)
            continue
        if any(ln.startswith("msgid_plural") for ln in lines):
            out.append(block)
            continue
        msgid = unquote([lines[i_id][6:]] + lines[i_id + 1 : i_str])
        current = unquote(
            [lines[i_str][7:]] + [ln for ln in lines[i_str + 1 :] if ln.startswith('"')]
        )
        if msgid == "":
            out.append(block)
            continue
        if msgid in table:
            lines = lines[:i_str] + [f"msgstr {quote(table[msgid])}"]
            lines = [ln for ln in lines if ln != "#, fuzzy"]
        elif not current:
            missing.append(msgid)
        out.append("\n".join(lines))
    text = "\n\n".join(out)
    text = re.sub(
        r'"Content-Type: text/plain; charset=CHARSET\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\\\n"',
        text,
    )
    text = text.replace('"Language: \\n"', '"Language: id\\n"')
    Path(po_path).write_text(text, encoding="utf-8")
    return missing


if __name__ == "__main__":
    namespace: dict[str, dict[str, str]] = {}
    exec(Path(sys.argv[2]).read_text(encoding="utf-8"), namespace)  # noqa: S102 - a developer's own file
    left = fill(sys.argv[1], namespace["T"])
    for msgid in left:
        print("untranslated:", repr(msgid))
