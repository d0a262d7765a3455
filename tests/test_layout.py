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


# A rule's literals, each found in one file only (outside the tables' own definitions where
# noted): a second copy would be a twin that can drift. Pattern → the one file allowed.
RULE_HOMES = {
    # which designs are reviews: tables.schema.REVIEW_DESIGNS
    r"""[(\[]\s*["']systematic-review["'],\s*["']meta-analysis["']\s*[)\]]""": "tables/schema.py",
    # RoB 2's overall judgement: appraise.rob2.overall
    r"""\bSOME if SOME in\b|["']high["'] if ["']high["'] in""": "appraise/rob2.py",
    # a study without risk-of-bias rows: grading.ROB_WHEN_UNASSESSED
    r"""\.get\(\w+, ["']high["']\)|ROB_WHEN_UNASSESSED =""": "grade/grading.py",
    # direction weighting (a mixed row counts half for, half against): grading.leaning
    r"""0\.5 \* w\[""": "grade/grading.py",
    # the tables a grade is computed from: grade.assessment.GRADED_FROM
    r"""OVERRIDES\.filename|["']overrides\.csv["']""": "grade/assessment.py",
    # where a sentence ends: tables.schema.SENTENCE_BREAK (the finder's spans, the explanations' length)
    r"""\(\?<=\[\.!\?\]\)|\[\.!\?\]\(\?=""": "tables/schema.py",
    # the web services' addresses: collect.sources
    r"""https://(api\.openalex\.org|api\.crossref\.org|eutils\.ncbi|www\.ebi\.ac\.uk/europepmc)""": "collect/sources.py",
    # the studies pooled: pooling.SECONDARY_DESIGNS (built on REVIEW_DESIGNS)
    r"""["']narrative-review["'],\s*["']guideline["']\s*\)""": "grade/pooling.py",
}


def _code_sources():
    for path in SRC.rglob("*.py"):
        if path.parts[-2] != "tables":  # the tables define the vocabularies themselves
            yield path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8")
    import nbformat
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        cells = nbformat.read(nb, as_version=4).cells
        yield nb.name, "\n".join(c.source for c in cells if c.cell_type == "code")


def test_each_rule_has_one_home():
    import re

    sources = list(_code_sources())
    for pattern, home in RULE_HOMES.items():
        found = sorted({name for name, text in sources if re.search(pattern, text)})
        allowed = [] if home.startswith("tables/") else [home]
        assert found == allowed, f"{pattern!r}: found in {found}, its one home is {home}"
