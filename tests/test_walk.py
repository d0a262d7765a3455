"""The README's walk from `litreview new` to an included study, run exactly as written.

The commands are read from the block between ``<!-- walk -->`` and ``<!-- /walk -->`` in
README.md, so the walk and this test cannot drift apart. Each ``.venv/bin/litreview ...``
line runs through the CLI's entry point; a ``cat >> FILE <<'EOF'`` block appends its lines.
The project's folders the walk reads (the article, the stored answers) are copied into a
scratch project that stands for a fresh clone."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from litreview.checks import check_review
from litreview.cli import main
from litreview.collect.prisma import counts_of
from litreview.collect.screening import read_decisions
from litreview.tables.bib import load_bib
from litreview.tables.review import Review

PROGRAM = ".venv/bin/litreview "


def walk_steps() -> list[tuple[str, object]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- walk -->\s*```sh\n(.*?)```\s*<!-- /walk -->", text, re.S)
    assert block, "README.md has no walk block"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    steps, i = [], 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        here = re.fullmatch(r"cat >> (\S+) <<'EOF'", line)
        if here:
            body = []
            while lines[i] != "EOF":
                body.append(lines[i])
                i += 1
            i += 1
            steps.append(("append", (here.group(1), "".join(b + "\n" for b in body))))
        elif line.startswith(PROGRAM):
            steps.append(("litreview", shlex.split(line[len(PROGRAM):])))
        else:
            raise AssertionError(f"a walk step this test cannot run: {line!r}")
    return steps


@pytest.fixture
def clone(tmp_path, monkeypatch) -> Path:
    """A scratch project with what the walk reads from the clone."""
    for part in ("data/calf-massage/articles", "tests/fixtures/walk"):
        shutil.copytree(ROOT / part, tmp_path / part)
    (tmp_path / "pyproject.toml").write_text("[project]\nname='clone'\n")
    monkeypatch.setenv("LITREVIEW_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_walk_runs_as_written(clone, capsys):
    steps = walk_steps()
    assert [s[1][0] for s in steps if s[0] == "litreview"] == [
        "new", "claims", "search", "screen", "screen", "screen", "include", "check"]
    assert [s for s in steps if s[0] != "litreview"] == []  # no step edits a table by hand
    for kind, step in steps:
        if kind == "append":
            path, text = step
            with open(clone / path, "a", encoding="utf-8") as handle:
                handle.write(text)
            continue
        capsys.readouterr()
        code = main(step)
        out = capsys.readouterr()
        assert code in (0, None), f"litreview {' '.join(step)} exited {code}: {out.err}"
        if step[:2] == ["screen", "next"]:
            # what the README says of the queue: records 30 and 51 come first
            shown = re.findall(r"^(S001-pubmed\.ris:\d+)", out.out, re.M)
            assert shown[:2] == ["S001-pubmed.ris:30", "S001-pubmed.ris:51"]
    rv = Review.load("calf-walk", clone)
    assert check_review(rv) == []
    assert list(rv.search_log["hits"]) == [56]
    decisions = read_decisions("calf-walk", clone)
    assert list(zip(decisions["record_key"], decisions["stage"], decisions["decision"])) == [
        ("S001-pubmed.ris:51", "title-abstract", "exclude"),
        ("S001-pubmed.ris:30", "title-abstract", "include"),
        ("S001-pubmed.ris:30", "full-text", "include")]
    [entry] = load_bib(clone / "references/calf-walk/library.bib")
    # the entry is the record's: the same study as the calf-massage library holds
    shipped = {e.key: e for e in load_bib(ROOT / "references/calf-massage/library.bib")}["iwamoto2017effects"]
    assert entry.key == "iwamoto2017effects"
    for field in ("title", "journal", "year", "doi", "pmid"):
        assert entry.fields.get(field) == shipped.fields.get(field), field
    assert entry.fields["url"] == f"https://doi.org/{shipped.fields['doi']}"
    counts = counts_of(rv)
    assert (counts.identified, counts.assessed, counts.included_records, counts.reports_sought) == (56, 2, 1, 1)
    # the 54 records nobody has decided on yet wait; they were not excluded on their titles
    assert (counts.excluded_on_title, counts.not_yet_screened) == (0, 54)
    assert "C01" in rv.unexplained_claims()  # the walk leaves the explanation to the reviewer
