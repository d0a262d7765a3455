"""Every path of the workbook, built from the project root.

A review is a name (``calf-massage``); its curated inputs live in ``data/<review>/`` and
``references/<review>/``, its built output in ``reports/<review>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_REVIEW = "calf-massage"


def project_root() -> Path:
    """The workbook root: ``$LITREVIEW_ROOT`` if set, else the nearest parent with a
    ``pyproject.toml`` and a ``data/`` folder (so notebooks work from any cwd)."""
    env = os.environ.get("LITREVIEW_ROOT")
    if env:
        return Path(env).resolve()
    for start in (Path.cwd(), Path(__file__).resolve()):
        for parent in (start, *start.parents):
            if (parent / "pyproject.toml").is_file() and (parent / "data").is_dir():
                return parent
    raise FileNotFoundError("cannot find the workbook root (a folder with pyproject.toml and data/); "
                            "set LITREVIEW_ROOT")


def data_dir(review: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "data" / review


def references_dir(review: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "references" / review


def reports_dir(review: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "reports" / review


def notebooks_dir(root: Path | None = None) -> Path:
    return (root or project_root()) / "notebooks"


def reviews(root: Path | None = None) -> list[str]:
    """Names of the reviews present under ``data/``, sorted."""
    base = (root or project_root()) / "data"
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
