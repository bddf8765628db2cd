"""No function over 80 lines outside the demo builders (issue 15): a long function is split into
named steps. There is no list of exceptions."""

from __future__ import annotations

import ast
from pathlib import Path

import jaga

ROOT = Path(jaga.__file__).resolve().parent
LIMIT = 80


def lengths(tree: ast.AST, prefix: str) -> dict[str, int]:
    """The length of every function and method in `tree`, named `prefix:Class.function`."""
    found: dict[str, int] = {}

    def visit(node: ast.AST, outer: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{outer}.{child.name}" if outer else child.name
                if not isinstance(child, ast.ClassDef):
                    assert child.end_lineno is not None
                    found[f"{prefix}:{name}"] = child.end_lineno - child.lineno + 1
                visit(child, name)
            else:
                visit(child, outer)

    visit(tree, "")
    return found


def all_lengths(root: Path = ROOT) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        if path.name == "demo.py" or "migrations" in path.parts:
            continue
        prefix = path.relative_to(root).as_posix()
        found.update(lengths(ast.parse(path.read_text(encoding="utf-8")), prefix))
    return found


def test_it_measures_a_long_function_and_a_method():
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    source = f"def long():\n{body}\n\n\nclass A:\n    def short(self):\n        return 1\n"
    assert lengths(ast.parse(source), "m.py") == {"m.py:long": LIMIT + 1, "m.py:A.short": 2}


def test_no_function_is_longer_than_the_limit():
    too_long = {name: n for name, n in all_lengths().items() if n > LIMIT}
    assert not too_long, (
        f"functions over {LIMIT} lines: split them into named steps {sorted(too_long.items())}"
    )
