"""Every import of ours names something that exists, deferred imports included.

Most of evaltop imports at the top of a module, so a rename fails as soon as
anything imports it. A few imports sit inside the function that needs them,
to keep `evaltop --help` and the dashboard's start fast (the demo, the
report's sections, the job engine, shadow mode's statistics): those would
fail only when that command runs. This check reads every file of core, store,
tui, tests and bench and fails on an import of an evaltop module or name that
is not there, wherever the import statement stands.
"""

from __future__ import annotations

import ast
from pathlib import Path

from test_layering import LAYERS, ROOT, _imports, sources

SCANNED = (*LAYERS, "tests", "bench")


def defined_names(path: Path) -> set[str]:
    """Names a module defines or imports at module level (any if/try block)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                todo.extend(getattr(node, field, []))
        elif isinstance(node, ast.ExceptHandler):
            todo.extend(node.body)
    return names


def unresolved(root: Path, scanned: tuple[str, ...] = SCANNED) -> list[str]:
    known = sources(root)
    defined: dict[str, set[str]] = {}
    misses = []
    for folder in scanned:
        for path in sorted((root / folder).rglob("*.py")):
            for mod, names in _imports(path, root):
                if mod != "evaltop" and not mod.startswith("evaltop."):
                    continue
                where = path.relative_to(root)
                if mod not in known:
                    misses.append(f"{where}: no module {mod}")
                    continue
                if mod not in defined:
                    defined[mod] = defined_names(known[mod])
                for name in names:
                    if f"{mod}.{name}" not in known and name not in defined[mod]:
                        misses.append(f"{where}: {mod} has no {name}")
    return misses


def test_every_import_of_ours_resolves():
    assert unresolved(ROOT) == []


def test_a_renamed_module_or_name_is_caught(tmp_path):
    """The check itself must be able to fail, for a deferred import too."""
    for layer in LAYERS:
        (tmp_path / layer).mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "real.py").write_text("def kept():\n    pass\nVALUE = 1\n")
    (tmp_path / "tui" / "cmd.py").write_text(
        "from evaltop.core.real import kept, VALUE\n"
        "def run():\n"
        "    from evaltop.core.real import renamed\n"
        "    from evaltop.core.gone import thing\n"
    )
    assert unresolved(tmp_path, LAYERS) == [
        "tui/cmd.py: evaltop.core.real has no renamed",
        "tui/cmd.py: no module evaltop.core.gone",
    ]
