"""The package's shape, checked so it stays that way: folders are the pipeline's stages,
imports go one way (in the order data flows), no cycles, the CLI is imported by nothing.

Every `import` counts, including those inside functions and under TYPE_CHECKING: a deferred
import is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "docpipe"

# Stage of each top-level name and its place in the flow. A module may import its own stage and
# any stage of a lower rank; stages of the same rank are siblings and do not import each other.
RANKS: dict[str, int] = {
    "__init__": 0,
    "errors": 0,
    "runtime": 0,
    "pins": 0,
    "registry": 0,
    "options": 0,
    "config": 0,
    "document": 0,
    "parse": 1,
    "serialize": 2,
    "llm": 2,
    "index": 3,
    "answer": 4,
    "extract": 4,
    "measure": 4,
    "model": 4,
    "api": 5,
    "jobs": 6,
    "server": 7,
    "cli": 8,
}
# The foundation every stage uses.
SHARED = {"__init__", "errors", "runtime", "pins", "registry", "options", "config", "document"}
TOP_LEVEL_MODULES = {"__init__", "api", "config", "document", "errors", "options", "pins", "registry", "runtime"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The docpipe module an import names (`from docpipe.x import y` may name module x.y or
    attribute y of x)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("docpipe"):
                assert node.module is not None
                targets = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level > 0:
                pytest.fail(f"{path}: relative import (use docpipe.… so the graph reads plainly)")
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("docpipe")]
            for t in targets:
                resolved = _resolve(t, modules)
                if resolved is not None and resolved != name:
                    graph[name].add(resolved)
    return graph


def stage_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for src, targets in sorted(graph.items()):
        a = stage_of(src)
        for dst in sorted(targets):
            b = stage_of(dst)
            if a == b or (a in SHARED and b in SHARED):
                continue
            if RANKS[b] >= RANKS[a]:
                bad.append(f"{src} -> {dst} ({a} rank {RANKS[a]} imports {b} rank {RANKS[b]})")
    return bad


def test_every_module_belongs_to_a_known_stage() -> None:
    unknown = sorted({stage_of(m) for m in _modules()} - set(RANKS))
    assert not unknown, f"new top-level names need a place in RANKS (and in docs/architecture.md): {unknown}"


def test_the_top_level_holds_only_what_every_stage_shares() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL_MODULES, f"modules at the top beyond the shared ones: {sorted(top - TOP_LEVEL_MODULES)}"


def test_every_stage_package_says_what_it_owns() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text()))
        assert doc and len(doc) > 20, f"{init.relative_to(PACKAGE.parent)} needs a docstring saying what it owns"


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_imports_go_one_way_in_the_order_data_flows() -> None:
    assert upward_imports(import_graph()) == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The graph checks on a made-up graph: a cycle, an upward and a sibling import are found."""
    graph = {
        "docpipe.parse.a": {"docpipe.parse.b"},
        "docpipe.parse.b": {"docpipe.parse.a", "docpipe.index.x"},
        "docpipe.index.x": {"docpipe.document"},
        "docpipe.answer.y": {"docpipe.extract.z"},
        "docpipe.extract.z": set(),
        "docpipe.document": set(),
    }
    assert cycles(graph) == [["docpipe.parse.a", "docpipe.parse.b"]]
    bad = upward_imports(graph)
    assert any(b.startswith("docpipe.parse.b -> docpipe.index.x") for b in bad)
    assert any(b.startswith("docpipe.answer.y -> docpipe.extract.z") for b in bad)
    assert len(bad) == 2


def test_the_real_graph_is_read() -> None:
    """Guards the guard: the walker sees the package's real dependencies."""
    graph = import_graph()
    assert "docpipe.parse.converter" in graph["docpipe.api"]
    assert "docpipe.document" in graph["docpipe.parse.converter"]
    assert len(graph) > 60
