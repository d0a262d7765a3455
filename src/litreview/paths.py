"""Every path of the workbook, built from the project root.

A review is a name (``calf-massage``); its curated inputs live in ``data/<review>/`` and
``references/<review>/``, its built output in ``reports/<review>/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


class ReviewNotChosen(LookupError):
    """No review was named and there is not exactly one to take."""


def resolve_review(given: str | None, root: Path | None = None) -> str:
    """The review a command works on: the one named, else the only review under ``data/``.
    With several reviews (or none) and none named, refuses and lists them: a forgotten
    ``--review`` must never write into another review."""
    if given:
        return given
    present = reviews(root)
    if len(present) == 1:
        return present[0]
    if not present:
        raise ReviewNotChosen("no review under data/ yet: start one with litreview new NAME --article FILE")
    raise ReviewNotChosen(f"{len(present)} reviews under data/ ({', '.join(present)}): name one with "
                          "--review NAME")


@contextmanager
def locked(path: Path) -> Iterator[Path]:
    """Hold the lock of ``path`` (``fcntl.flock`` on ``.<name>.lock`` beside it, exclusive,
    blocking) for the block: how every writer of a shared file (screening.csv, library.bib,
    evidence.csv, rob.csv) keeps a second notebook or terminal out while it reads and writes."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A new file beside ``path`` to write (and check) in the block. When the block ends
    normally the file is flushed to disk and swapped in with ``os.replace``, keeping ``path``'s
    permissions (0o644 for a new file); when it fails the new file is removed and ``path`` is
    left as it was. A crash leaves the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(handle)
    new = Path(name)
    try:
        yield new
        with open(new, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(new, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(new, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself reaches the disk
        finally:
            os.close(folder)
    finally:
        new.unlink(missing_ok=True)


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A new folder beside ``target`` to write into. When the block ends normally it replaces
    ``target`` (or becomes it); when the block fails it is removed and ``target`` is left as it
    was. Nothing is ever half-written in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.chmod(0o755)  # mkdtemp makes it private; what is written here is meant to be read
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
