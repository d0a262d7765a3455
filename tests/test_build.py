"""`litreview build`: notebooks run in order, output swapped in only on success."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from litreview.report.build import BuildError, CheckFailed, build


def notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('review = "calf-massage"\noutput_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params] + [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


OK_CELL = ("from pathlib import Path\nfrom litreview.tables.review import Review\n"
           "rv = Review.load(review)\n"
           "Path(output_dir, 'claims.txt').write_text(str(len(rv.claims)))\nprint(len(rv.claims))")


def test_build_runs_every_notebook_and_exports_html(review_root, capsys):
    notebook(review_root / "notebooks/01-first.ipynb", OK_CELL)
    notebook(review_root / "notebooks/02-second.ipynb", "print('second')")
    target = build("ginger", review_root)
    assert (target / "claims.txt").read_text() == "3"
    for stem in ("01-first", "02-second"):
        assert (target / "notebooks" / f"{stem}.ipynb").is_file()
        html = (target / "notebooks" / f"{stem}.html").read_text()
        assert "<html" in html
    out = capsys.readouterr().out
    assert "[1/2] 01-first" in out and "[2/2] 02-second" in out
    # no temporary folder left (the lock file of the folder stays, as every lock file does)
    assert [p.name for p in target.parent.iterdir() if p.name != ".ginger.lock"] == ["ginger"]


def test_failing_notebook_names_notebook_and_cell_and_keeps_previous_report(review_root):
    previous = review_root / "reports/ginger"
    previous.mkdir(parents=True)
    (previous / "summary.html").write_text("the last good report")
    notebook(review_root / "notebooks/01-first.ipynb", OK_CELL)
    notebook(review_root / "notebooks/02-broken.ipynb", "x = 1", "raise ValueError('bad table')")
    with pytest.raises(BuildError) as info:
        build("ginger", review_root)
    message = str(info.value)
    assert "02-broken.ipynb" in message and "cell" in message and "ValueError: bad table" in message
    assert (previous / "summary.html").read_text() == "the last good report"
    assert sorted(p.name for p in previous.iterdir()) == ["summary.html"]
    assert [p.name for p in previous.parent.iterdir() if p.name != ".ginger.lock"] == ["ginger"]


def test_build_stops_before_any_notebook_when_check_fails(review_root):
    notebook(review_root / "notebooks/01-first.ipynb", OK_CELL)
    path = review_root / "data/ginger/evidence.csv"
    path.write_text(path.read_text().replace(",supports,", ",proves,"))
    with pytest.raises(CheckFailed) as info:
        build("ginger", review_root)
    assert "data/ginger/evidence.csv:2:direction" in str(info.value)
    assert not (review_root / "reports/ginger").exists()


def test_the_build_kernels_run_over_ipc_and_print_no_transport_warning(tmp_path, capfd):
    """ipykernel warns on stderr when it runs over TCP without encryption; the build's kernels
    use local IPC sockets, so a build log never shows it (and no socket file lands beside the
    notebook)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from litreview.report.build import run_notebook

    source = tmp_path / "tiny.ipynb"
    nb = new_notebook(cells=[new_code_cell("review = 'x'", metadata={"tags": ["parameters"]}),
                             new_code_cell("print(review * 2)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, source)
    run_notebook(source, tmp_path / "ran.ipynb", {"review": "ab"})
    err = capfd.readouterr().err
    assert "without encryption" not in err
    ran = nbformat.read(tmp_path / "ran.ipynb", as_version=4)
    assert ran.cells[-1].outputs[0]["text"] == "abab\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ran.ipynb", "tiny.ipynb"]
