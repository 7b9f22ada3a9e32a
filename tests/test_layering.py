"""The layering, checked on the source so it cannot rot.

- ``store`` imports nothing of ours and no UI library.
- ``core`` never imports ``textual`` or ``evaltop.tui``.
- ``tui`` never imports ``evaltop.store``: it reaches the database only
  through core. ``core/ops/database.py`` is the door a surface opens the
  store by (read-write with migration, or read-only, plus ``StoreError``);
  ``core/views`` are what it reads (``CaseFilter``/``SORTS`` come from
  ``core/views/cases.py``); core's stage packages are how it writes. A command
  in ``tui/cli`` parses options, calls core and prints: no SQL of its own.
- Inside ``core`` the packages read one way (``CORE_TIERS``): the contracts
  (``model``) and untrusted text (``text``) import nothing else of core, and
  a package imports only packages of an earlier tier.
- No import cycles among evaltop's own modules, counting every import,
  including the deferred ones inside functions (they only hide a cycle).
- No module loads one of ours by string (``import_module``, ``__import__``)
  or guards an import of ours with ``except ImportError``: every area is
  built, so a rename must fail at start-up and in the tests, not fall back.

Every check below has a test that shows it can fail.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("core", "store", "tui")

RULES = {
    "store": ("evaltop.core", "evaltop.tui", "textual", "textual_plotext", "rich"),
    "core": ("evaltop.tui", "textual", "textual_plotext"),
    "tui": ("evaltop.store",),
}

# Inside core, a package imports only packages of an earlier tier. Read down,
# the tiers are the way a record travels: the contracts and untrusted text,
# then ingest; analysis is statistics over stored rows and needs only the
# contracts, so scoring (which samples on user feedback) may use it; rollout
# replays and judges candidates; ops runs all of them as jobs; views read for
# the surfaces; the demo drives everything.
CORE_TIERS = [
    ("model", "text"),
    ("ingest",),
    ("analysis",),
    ("scoring",),
    ("rollout",),
    ("ops",),
    ("views",),
    ("demo",),
]


# --- the import graph -------------------------------------------------------

def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "evaltop." + ".".join(parts)


def _imports(path: Path, root: Path) -> list[tuple[str, tuple[str, ...]]]:
    """(module, names) for every import statement anywhere in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            if node.level == 0:
                found.append((node.module or "", names))
                continue
            # relative import: resolve against the file's package
            pkg = module_name(path, root).split(".")
            if path.name != "__init__.py":
                pkg = pkg[:-1]
            base = pkg[: len(pkg) - (node.level - 1)]
            found.append((".".join(base + ([node.module] if node.module else [])), names))
    return found


def imported_modules(path: Path, root: Path | None = None) -> set[str]:
    return {mod for mod, _ in _imports(path, root or ROOT)}


def sources(root: Path) -> dict[str, Path]:
    """evaltop module name -> file, for every module of core, store and tui."""
    out = {}
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            out[module_name(path, root)] = path
    return out


def _own(name: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in known:
            return ".".join(parts)
        parts.pop()
    return None


def import_graph(root: Path) -> dict[str, set[str]]:
    """module -> our modules it imports (a package counts for its parents too)."""
    known = sources(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for mod, names in _imports(path, root):
            targets = [f"{mod}.{n}" for n in names if f"{mod}.{n}" in known] or [mod]
            for target in targets:
                hit = _own(target, known)
                while hit is not None:
                    # a module's own packages are imported before it: no edge
                    if not (name == hit or name.startswith(hit + ".")):
                        graph[name].add(hit)
                    hit = _own(hit.rpartition(".")[0], known) if "." in hit else None
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def unexpected_cycles(root: Path) -> list[list[str]]:
    return [sorted(c) for c in cycles(import_graph(root))]


# --- the checks --------------------------------------------------------------

def forbidden_hits(layer: str, root: Path | None = None) -> list[str]:
    root = root or ROOT
    hits = []
    for path in sorted((root / layer).rglob("*.py")):
        for mod in imported_modules(path, root):
            for bad in RULES[layer]:
                if mod == bad or mod.startswith(bad + "."):
                    hits.append(f"{path.relative_to(root)} imports {mod}")
    return hits


def core_package_hits(root: Path | None = None) -> list[str]:
    """Imports of a core package from its own or a later tier."""
    root = root or ROOT
    tier = {pkg: n for n, pkgs in enumerate(CORE_TIERS) for pkg in pkgs}
    hits = []
    for pkg, n in tier.items():
        for path in sorted((root / "core" / pkg).rglob("*.py")):
            for mod in sorted(imported_modules(path, root)):
                parts = mod.split(".")
                other = parts[2] if parts[:2] == ["evaltop", "core"] and len(parts) > 2 else None
                if other in tier and other != pkg and tier[other] >= n:
                    hits.append(f"{path.relative_to(root).as_posix()} imports {mod}")
    return hits


def _is_own(mod: str) -> bool:
    return mod == "evaltop" or mod.startswith("evaltop.")


def string_loads(root: Path | None = None) -> list[str]:
    """Dynamic imports, and imports of ours that fall back when missing."""
    root = root or ROOT
    hits = []
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    fn = node.func
                    name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", None)
                    if name in ("import_module", "__import__"):
                        hits.append((rel, node.lineno, f"calls {name}"))
                elif isinstance(node, ast.Import | ast.ImportFrom):
                    mod = node.module if isinstance(node, ast.ImportFrom) else None
                    mods = [mod] if mod else [a.name for a in node.names]
                    for m in mods:
                        if m == "importlib" or (m.startswith("importlib.")
                                                and m != "importlib.resources"):
                            names = [a.name for a in node.names]
                            if not (m == "importlib" and names == ["resources"]):
                                hits.append((rel, node.lineno, f"imports {m}"))
                elif isinstance(node, ast.Try) and _guards_own_import(node):
                    hits.append((rel, node.lineno, "falls back when an evaltop import fails"))
    return [f"{rel}:{line} {what}" for rel, line, what in sorted(hits)]


def _guards_own_import(node: ast.Try) -> bool:
    own = any(
        isinstance(n, ast.Import) and any(_is_own(a.name) for a in n.names)
        or isinstance(n, ast.ImportFrom) and (n.level > 0 or _is_own(n.module or ""))
        for stmt in node.body for n in ast.walk(stmt)
    )
    if not own:
        return False
    for handler in node.handlers:
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if any(isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError")
               for t in types):
            return True
    return False


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer):
    assert forbidden_hits(layer) == []


def test_core_packages_read_one_way():
    assert core_package_hits() == []


def test_no_import_cycles():
    assert unexpected_cycles(ROOT) == []


def test_no_string_loads_of_our_modules():
    assert string_loads() == []


# --- each check can fail -----------------------------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for layer in LAYERS:
        (tmp_path / layer).mkdir(exist_ok=True)
    return tmp_path


def test_checker_catches_a_violation(tmp_path):
    root = _tree(tmp_path, {"store/bad.py": "from ..core import config\nimport textual\n"})
    hits = forbidden_hits("store", root)
    assert any("evaltop.core" in h for h in hits) and any("textual" in h for h in hits)


def test_checker_catches_tui_reading_the_store(tmp_path):
    root = _tree(tmp_path, {"tui/screens/bad.py": "def f():\n    from evaltop.store import db\n"})
    assert forbidden_hits("tui", root) == ["tui/screens/bad.py imports evaltop.store"]


def test_checker_catches_core_flowing_back(tmp_path):
    root = _tree(tmp_path, {
        "core/model/bad.py": "from evaltop.core.views import dashboard\n",
        "core/ingest/bad.py": "def f():\n    from evaltop.core.analysis import stats\n",
        "core/text/bad.py": "from evaltop.core.model import config\n",
        "core/views/ok.py": "from evaltop.core.ops import engine\nfrom . import cases\n",
    })
    assert core_package_hits(root) == [
        "core/model/bad.py imports evaltop.core.views",
        "core/text/bad.py imports evaltop.core.model",
        "core/ingest/bad.py imports evaltop.core.analysis",
    ]


def test_checker_catches_a_deferred_cycle(tmp_path):
    root = _tree(tmp_path, {
        "store/__init__.py": "",
        "store/a.py": "from evaltop.store import b\n",
        "store/b.py": "def f():\n    from evaltop.store.c import g\n",
        "store/c.py": "def g():\n    from . import a\n",
        "store/d.py": "from evaltop.store import a\n",
    })
    assert unexpected_cycles(root) == [["evaltop.store.a", "evaltop.store.b", "evaltop.store.c"]]


def test_checker_catches_string_loads(tmp_path):
    root = _tree(tmp_path, {
        "core/bad.py": (
            "import importlib\nfrom importlib.resources import files\n"
            "m = importlib.import_module('evaltop.store.db')\nn = __import__('evaltop')\n"
            "try:\n    from evaltop.core import x\nexcept ModuleNotFoundError:\n    x = None\n"
            "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n"
        ),
    })
    assert string_loads(root) == [
        "core/bad.py:1 imports importlib",
        "core/bad.py:3 calls import_module",
        "core/bad.py:4 calls __import__",
        "core/bad.py:5 falls back when an evaltop import fails",
    ]
