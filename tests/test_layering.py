"""The layering docs/architecture.md describes, checked on the source so it cannot rot:
store imports nothing of ours; core never imports textual or the tui."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RULES = {
    "store": ("evaltop.core", "evaltop.tui", "textual", "textual_plotext", "rich"),
    "core": ("evaltop.tui", "textual", "textual_plotext"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # relative import: resolve against the file's package
            pkg = path.relative_to(ROOT).parent.parts
            base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
            found.add("evaltop." + ".".join(base + ((node.module,) if node.module else ())))
    return found


def forbidden_hits(layer: str) -> list[str]:
    hits = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for mod in imported_modules(path):
            for bad in RULES[layer]:
                if mod == bad or mod.startswith(bad + "."):
                    hits.append(f"{path.relative_to(ROOT)} imports {mod}")
    return hits


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer):
    assert forbidden_hits(layer) == []


def test_checker_catches_a_violation(tmp_path, monkeypatch):
    """The checker itself must be able to fail."""
    fake = tmp_path / "store"
    fake.mkdir()
    (fake / "bad.py").write_text("from ..core import config\nimport textual\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    hits = forbidden_hits("store")
    assert any("evaltop.core" in h for h in hits) and any("textual" in h for h in hits)
