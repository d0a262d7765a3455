"""Run All in every notebook, at every stage of a new review, on the review's own working
copies (``litreview lab``): a step not done yet is a gap shown under the first cell, never an
exception, and the shipped notebooks are never written."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import ROOT, write_review
from litreview.cli import main
from litreview.report.build import _ipc_kernel_manager
from litreview.workbook.lab import lab_dir, working_copies

EMPTY = {"claims.csv", "evidence.csv", "rob.csv", "explanations.csv"}


def header_only(root: Path, *tables: str) -> None:
    for name in tables:
        path = root / "data" / "ginger" / name
        path.write_text(path.read_text().splitlines()[0] + "\n")


def stage(root: Path, name: str) -> None:
    """The ginger review (tests/conftest.py) cut back to one stage of its making."""
    if name == "empty":  # as `litreview new` leaves it: no claims confirmed
        header_only(root, "claims.csv", "search_log.csv", "screening.csv", "evidence.csv", "rob.csv",
                    "explanations.csv")
        (root / "references" / "ginger" / "library.bib").write_text("")
    elif name == "claims without evidence":
        header_only(root, "screening.csv", "evidence.csv", "rob.csv", "explanations.csv")
        log = root / "data" / "ginger" / "search_log.csv"
        log.write_text(log.read_text().replace(",12,2,", ",12,0,"))  # searched, nothing screened yet
        (root / "references" / "ginger" / "library.bib").write_text("")
    elif name == "evidence without risk of bias":
        header_only(root, "rob.csv", "explanations.csv")


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.ipynb"))}


@pytest.mark.parametrize("name", ["empty", "claims without evidence", "evidence without risk of bias"])
def test_run_all_works_in_every_notebook_at_every_stage(name, tmp_path, monkeypatch):
    root = write_review(tmp_path)
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("screenshots"))
    monkeypatch.setenv("LITREVIEW_ROOT", str(root))
    stage(root, name)
    shipped = digests(root / "notebooks")
    assert main(["lab", "--no-launch"]) == 0  # the only review: no --review needed
    copies = working_copies("ginger", root)
    assert [c.parent for c in copies] == [lab_dir("ginger", root)] * 6
    monkeypatch.chdir(lab_dir("ginger", root))  # the kernel's IPC sockets are named relative to the cwd
    for copy in copies:
        nb = nbformat.read(copy, as_version=4)
        assert nb.cells[1].source == 'review = "ginger"\noutput_dir = ""'
        NotebookClient(nb, timeout=300, startup_timeout=120, kernel_name="python3", kernel_manager_class=_ipc_kernel_manager(),
                       resources={"metadata": {"path": str(copy.parent)}}).execute()  # raises on any error
        first = "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[2].outputs)
        if name == "empty":
            assert "No claims confirmed yet" in first, copy.name
        elif name == "claims without evidence":
            assert "No evidence rows yet" in first, copy.name
        elif name == "evidence without risk of bias":
            assert "viljoen2014systematic" in first and "no risk-of-bias judgement" in first, copy.name
    assert digests(root / "notebooks") == shipped


def test_the_working_copies_are_kept_until_asked_fresh(review_root, capsys):
    shutil.copytree(ROOT / "notebooks", review_root / "notebooks", ignore=shutil.ignore_patterns("screenshots"))
    [first, *_] = working_copies("ginger")
    first.write_text(first.read_text().replace('review = \\"ginger\\"', 'review = \\"ginger\\"  # mine'))
    working_copies("ginger")
    assert "# mine" in first.read_text()
    assert main(["lab", "--review", "ginger", "--no-launch", "--fresh"]) == 0
    assert "# mine" not in first.read_text()
    assert main(["lab", "--review", "nope", "--no-launch"]) == 2


def test_the_lab_turns_the_news_pop_up_off(tmp_path):
    """JupyterLab asks "Would you like to get notified about official Jupyter news?" while its
    fetchNews setting is "none"; the override the lab writes makes JupyterLab's own settings
    reader give "false" (never), and the server is started with the news feed off."""
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import get_settings

    from litreview.workbook.lab import command, quiet_settings

    schemas = str(Path(get_app_dir()) / "schemas")
    plugin = "@jupyterlab/apputils-extension:notification"

    def defaults(app_settings: Path) -> dict:
        found, _ = get_settings(str(app_settings), schemas, str(tmp_path / "user"), schema_name=plugin)
        return {k: found["schema"]["properties"][k]["default"] for k in ("fetchNews", "checkForUpdates")}

    assert defaults(tmp_path / "plain" / "settings")["fetchNews"] == "none"  # JupyterLab's own: ask
    quiet_settings(tmp_path / "app")
    assert defaults(tmp_path / "app" / "settings") == {"fetchNews": "false", "checkForUpdates": False}
    assert "--LabApp.news_url=None" in command("ginger", tmp_path)
