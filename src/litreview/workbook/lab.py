"""``litreview lab`` / ``make lab REVIEW=name``: JupyterLab on one review's own notebooks.

The numbered notebooks in ``notebooks/`` are the shipped review's: nbval compares their stored
outputs, and JupyterLab saves a notebook it has open (autosave) as soon as a cell is changed.
So the lab never opens them. It opens ``lab/<review>/``, a working copy of each numbered
notebook with its parameters cell set to that review and its outputs cleared, made the first
time the review is opened there and kept afterwards (the reviewer's own cells and outputs are
theirs); ``--fresh`` copies the shipped notebooks again. ``lab/`` is ignored by git. The build
never reads these copies: it runs the shipped notebooks with the review as a parameter.

The lab is started with JupyterLab's news feed and update check off (a pop-up asking about
"official Jupyter news" otherwise covers the widgets), by a settings override of this
environment's JupyterLab (``overrides.d/litreview.json``) and by the server's own options.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

from .. import paths
from ..report.build import notebooks

FOLDER = "lab"
PARAMETERS_TAG = "parameters"
# JupyterLab's notification settings (schema @jupyterlab/apputils-extension:notification): "false"
# is "Never" for the news feed; the update check needs the feed and is turned off with it
SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
SERVER_OPTIONS = ("--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate")


def lab_dir(review: str, root: Path | None = None) -> Path:
    return (root or paths.project_root()) / FOLDER / review


def working_copies(review: str, root: Path | None = None, fresh: bool = False) -> list[Path]:
    """The review's own copies of the numbered notebooks under ``lab/<review>/``: made when
    missing (or when ``fresh``), else left as the reviewer left them."""
    root = root or paths.project_root()
    if not paths.data_dir(review, root).is_dir():
        raise FileNotFoundError(f"no review {review!r}: data/{review}/ does not exist "
                                f"(reviews: {', '.join(paths.reviews(root)) or 'none'})")
    target = lab_dir(review, root)
    target.mkdir(parents=True, exist_ok=True)
    made = []
    for source in notebooks(root):
        copy = target / source.name
        if fresh or not copy.exists():
            nb = nbformat.read(source, as_version=4)
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                cell.outputs, cell.execution_count = [], None
                if PARAMETERS_TAG in cell.metadata.get("tags", []):
                    cell.source = f"review = {json.dumps(review)}\noutput_dir = \"\""
            nb.metadata.pop("widgets", None)
            with paths.replacing(copy) as new:
                nbformat.write(nb, new)
        made.append(copy)
    return made


def quiet_settings(app_dir: Path) -> Path:
    """Write the settings override that turns JupyterLab's news feed and update check off into
    ``app_dir``'s ``settings/overrides.d/`` (JupyterLab reads every file there); return it."""
    target = app_dir / "settings" / "overrides.d" / "litreview.json"
    with paths.replacing(target) as new:
        new.write_text(json.dumps(SETTINGS, indent=2) + "\n", encoding="utf-8")
    return target


def command(review: str, root: Path | None = None) -> list[str]:
    """The ``jupyter lab`` command line that opens the review's working copies."""
    return [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={lab_dir(review, root)}", *SERVER_OPTIONS]


__all__ = ["FOLDER", "SERVER_OPTIONS", "SETTINGS", "command", "lab_dir", "quiet_settings", "working_copies"]
