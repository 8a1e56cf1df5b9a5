"""Every user-facing string is defined once: a second definition would silently replace the first."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import bot.texts


def test_no_text_is_defined_twice() -> None:
    """Within one module, and across the audience modules that `bot.texts` re-exports together."""
    names: list[str] = []
    for path in sorted(Path(bot.texts.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name) and not target.id.startswith("_")
        ]
        names += [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert len(names) > 300, "the texts were found"
    assert [name for name, count in Counter(names).items() if count > 1] == []
