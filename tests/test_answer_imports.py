"""Answering works on plain records: nothing it imports, however indirectly, reaches SQLite."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("sqlite3", "docpipe.index.store", "docpipe.index.search")


def _module_file(name: str) -> Path | None:
    base = ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(name: str, path: Path) -> set[str]:
    """Modules a file imports at load time or in any function (all count: a call may run them)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names if _module_file(f"{base}.{a.name}")}
    # Importing a.b.c runs a/__init__.py and a/b/__init__.py first.
    for mod in list(out):
        parts = mod.split(".")
        out |= {".".join(parts[:i]) for i in range(1, len(parts))}
    return out


def _reached(start: list[str]) -> dict[str, str]:
    """Every module reachable from `start`, each with the module that first imported it."""
    seen: dict[str, str] = {s: "" for s in start}
    todo = list(start)
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None:
            continue  # outside docpipe: not followed (third-party code does not import docpipe)
        for dep in _imports(name, path):
            if dep not in seen:
                seen[dep] = name
                if dep.split(".")[0] == "docpipe":
                    todo.append(dep)
    return seen


def test_answering_never_imports_sqlite_or_the_store() -> None:
    start = [
        f"docpipe.answer.{p.stem}" if p.stem != "__init__" else "docpipe.answer"
        for p in sorted((ROOT / "docpipe" / "answer").glob("*.py"))
    ]
    reached = _reached(start)
    assert "docpipe.index.records" in reached  # the walk does follow docpipe imports
    bad = {m: by for m, by in reached.items() if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)}
    assert not bad, f"answering reaches {bad} (module: imported by)"


def test_the_walk_sees_sqlite_through_the_store() -> None:
    assert "sqlite3" in _reached(["docpipe.index.search"])
