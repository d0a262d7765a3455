"""Every path of the workbook, built from the project root.

A review is a name (``calf-massage``); its curated inputs live in ``data/<review>/`` and
``references/<review>/``, its built output in ``reports/<review>/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
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


# the locks this process holds, by thread and path: a block that holds a lock may call code
# that takes the same lock again (an import holds the imports' lock and swaps the folder in)
_held: dict[tuple[int, str], int] = {}


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
    blocking) for the block: how every writer of a shared file or folder (screening.csv,
    library.bib, evidence.csv, rob.csv, ``imports/``, ``reports/<review>``) keeps a second
    notebook or terminal out while it reads and writes. Re-entrant within a thread."""
    import fcntl

    key = (threading.get_ident(), os.path.abspath(path))
    if key in _held:
        _held[key] += 1
        try:
            yield path
        finally:
            _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _held[key] = 1
        try:
            yield path
        finally:
            del _held[key]
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


def _swap_names(target: Path) -> tuple[Path, Path, str]:
    """The complete new folder waiting to be swapped in, the folder swapped out, and the
    prefix of folders still being written."""
    return (target.with_name(f".{target.name}.ready"), target.with_name(f".{target.name}.old"),
            f".{target.name}.new-")


def _finish_swap(target: Path) -> None:
    """Swap the ready folder in: ``target`` to ``.old``, ``.ready`` to ``target``, ``.old``
    removed. Each step can be repeated after a crash (:func:`recover`)."""
    ready, old, _ = _swap_names(target)
    if target.exists():
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    ready.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def needs_recovery(target: Path) -> bool:
    """Whether a swap of ``target`` was left half-done or left folders behind (cheap: one
    listing of the parent folder)."""
    ready, old, prefix = _swap_names(target)
    if not target.parent.is_dir():
        return False
    return any(p.name in (ready.name, old.name) or p.name.startswith(prefix) for p in target.parent.iterdir())


def recover(target: Path) -> None:
    """Finish or roll back a swap of :func:`staged` that a crash cut short, and remove what
    killed writers left; the caller holds ``target``'s lock, so no live writer owns them.

    A complete new folder (``.ready``) is swapped in; else a ``target`` that is missing while
    ``.old`` exists is given back its old contents; ``.old`` and unfinished ``.new-*`` folders
    are removed."""
    ready, old, prefix = _swap_names(target)
    if ready.exists():
        _finish_swap(target)
    elif not target.exists() and old.exists():
        old.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    for leftover in target.parent.glob(f"{prefix}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def recovered(target: Path) -> Path:
    """``target`` after :func:`recover`, taken under its lock only when something is left to
    recover: how a reader sees a folder that a crashed writer left half-swapped."""
    if needs_recovery(target):
        with locked(target):
            recover(target)
    return target


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A new folder beside ``target`` to write into, under ``target``'s lock. When the block
    ends normally it replaces ``target`` (or becomes it); when the block fails it is removed
    and ``target`` is left as it was. Nothing is ever half-written in place.

    The swap: the finished folder is renamed ``.<name>.ready`` (complete, whatever happens
    next), ``target`` becomes ``.<name>.old``, ``.ready`` becomes ``target``, ``.old`` is
    removed. A crash at any point leaves the old folder or the ready one, never neither; the
    next writer or reader (:func:`recover`) finishes or rolls back the swap and removes the
    leftovers of killed writers."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target):
        recover(target)
        ready, _, prefix = _swap_names(target)
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        tmp.chmod(0o755)  # mkdtemp makes it private; what is written here is meant to be read
        tmp.rename(ready)
        _finish_swap(target)
