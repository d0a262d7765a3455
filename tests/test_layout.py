"""The package's layout is the pipeline: each stage imports only from itself, from earlier
stages and from ``tables``; no module imports another that (directly or not) imports it back.
Imports inside functions count as much as those at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src" / "litreview"
# earlier first; a stage may import what comes before it
ORDER = ("paths", "tables", "claims", "collect", "appraise", "grade", "checks", "report", "workbook", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every litreview module ``path`` imports, lazily or not, as a dotted name."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("litreview")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("litreview"):
                continue
            for alias in node.names:  # "from pkg import module" names a module
                sub = f"{target}.{alias.name}"
                found.add(sub if (SRC.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (SRC.parent / sub.replace(".", "/")).is_dir() else target)
    return found - {name}


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in SRC.rglob("*.py")}


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "litreview"


def test_every_module_belongs_to_a_stage():
    stray = sorted(m for m in graph() if stage(m) not in ORDER and m != "litreview")
    assert stray == [], f"modules outside the stages {ORDER}: {stray}"


def test_imports_point_from_later_stages_to_earlier_ones():
    wrong = sorted(f"{m} imports {t}" for m, targets in graph().items() if stage(m) in ORDER
                   for t in targets if stage(t) in ORDER and ORDER.index(stage(t)) > ORDER.index(stage(m)))
    assert wrong == []


def test_no_import_cycles():
    edges = graph()
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_checker_sees_lazy_imports(tmp_path, monkeypatch):
    """The test can fail: a lazy import inside a function is found."""
    fake = tmp_path / "litreview" / "tables" / "fake.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from ..report import plots\n    return plots\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path / "litreview")
    assert imports_of(fake) == {"litreview.report"}
