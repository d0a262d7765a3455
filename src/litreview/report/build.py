"""Build a review's reports: check the tables, assess the review once, write every export
from that assessment (:func:`write_exports`), run every notebook on it, then swap.

All notebooks run in this one process through papermill's Python API (a kernel started
from here is ready in about half a second; a fresh ``jupyter nbconvert`` process costs
seconds before any cell runs). Everything is written to a temporary folder beside
``reports/<review>/`` and moved into place only when every notebook succeeded, so a failed
build leaves the previous good report untouched.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import paths
from ..checks import check_review
from ..grade.assessment import SAVED_NAME, Assessment, blocking
from ..tables.review import Review
from ..tables.schema import Problem
from .sections import write_report

HIDE_CODE_KEY = "hide_code"  # notebook metadata litreview.hide_code: export without inputs


class BuildError(RuntimeError):
    """A build stopped; the message names the notebook and cell or the failed checks."""


@dataclass
class CheckFailed(BuildError):
    problems: list[Problem]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) + f"\n{len(self.problems)} problem(s) found"


def notebooks(root: Path | None = None) -> list[Path]:
    """The numbered notebooks, in execution order."""
    return sorted(paths.notebooks_dir(root).glob("[0-9][0-9]-*.ipynb"))


def _say(message: str, end: str = "\n") -> None:
    print(message, end=end, flush=True)


OFFLINE_TEMPLATE = Path(__file__).parent / "templates" / "nbconvert" / "offline.html.j2"


def export_html(notebook: Path, target: Path) -> None:
    """A self-contained HTML copy (images inline, nothing fetched from the network); code
    hidden when the notebook asks. Widget state is left out, so a widget shows the static
    HTML it carries (the claim explorer's table) instead of a view that cannot load."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata.pop("widgets", None)
    hide = bool(nb.metadata.get("litreview", {}).get(HIDE_CODE_KEY))
    exporter = HTMLExporter(embed_images=True, exclude_input=hide, exclude_input_prompt=hide,
                            exclude_output_prompt=hide, template_file=str(OFFLINE_TEMPLATE))
    body, _ = exporter.from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


@functools.cache
def _ipc_kernel_manager():
    """The kernel manager the build starts its kernels with: local IPC sockets beside the
    kernel's connection file (in Jupyter's runtime folder), never TCP. The build's kernels
    talk only to this process; over TCP ipykernel rightly warns that anyone on the machine
    could listen, and over IPC there is nothing to warn about."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IpcKernelManager(AsyncKernelManager):
        @default("transport")
        def _transport_default(self) -> str:
            return "ipc"

        @default("ip")
        def _ip_default(self) -> str:
            # an absolute socket path in the runtime folder: a relative one ("kernel-ipc") would be
            # read from the kernel's working folder (the notebook's) and from this process's
            # alike, and they are not the same folder
            from jupyter_core.paths import jupyter_runtime_dir

            runtime = Path(jupyter_runtime_dir())
            runtime.mkdir(parents=True, exist_ok=True)
            return str(runtime / f"litreview-{uuid.uuid4().hex[:12]}-ipc")

    return IpcKernelManager


def run_notebook(source: Path, target: Path, parameters: dict) -> None:
    """Execute ``source`` with papermill, writing the executed copy to ``target``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(str(source), str(target), parameters=parameters,
                                   kernel_name="python3", progress_bar=False, log_output=False,
                                   cwd=str(source.parent), kernel_manager_class=_ipc_kernel_manager())
    except PapermillExecutionError as exc:
        first_line = (exc.source or "").strip().splitlines()[:1]
        where = f"cell {exc.exec_count}" if exc.exec_count else f"cell index {exc.cell_index}"
        raise BuildError(f"{source.name}: {where} failed ({first_line[0] if first_line else ''!s}): "
                         f"{exc.ename}: {exc.evalue}") from None


def write_table(frame, path: Path) -> None:
    """One CSV export, swapped in whole."""
    with paths.replacing(path) as tmp:
        frame.to_csv(tmp, index=False)


def write_tables(assessment: Assessment, folder: Path) -> None:
    """The tables of the report: grades.csv, pooled.csv, set_aside.csv, prisma_counts.csv,
    reference_audit.csv."""
    folder = Path(folder)
    write_table(assessment.grades, folder / "grades.csv")
    write_table(assessment.pooled_table(), folder / "pooled.csv")
    write_table(assessment.set_aside_table(), folder / "set_aside.csv")
    write_table(assessment.prisma.as_frame(), folder / "prisma_counts.csv")
    write_table(assessment.audit, folder / "reference_audit.csv")


def write_exports(assessment: Assessment, folder: Path) -> dict:
    """Every export of the report, from the one assessment: the tables (:func:`write_tables`)
    and the documents (summary.html and .pdf, claimreview.jsonld, evidence.xlsx,
    bibliography.bib: :func:`litreview.report.sections.write_report`). Returns the documents'
    sizes."""
    write_tables(assessment, folder)
    return write_report(assessment, Path(folder))


def checked_assessment(review: str, root: Path) -> Assessment:
    """The review's assessment once every check passes; :class:`CheckFailed` otherwise."""
    rv = Review.load(review, root)
    assessment = None if blocking(rv) else Assessment.of(rv)
    problems = check_review(rv, assessment)
    if problems:
        raise CheckFailed(problems)
    return assessment


def build(review: str = paths.DEFAULT_REVIEW, root: Path | None = None,
          say: Callable[..., None] = _say) -> Path:
    """Check, assess, write the exports, execute every notebook on the same assessment,
    export HTML, then replace ``reports/<review>/``.

    Returns the report folder. Raises :class:`CheckFailed` or :class:`BuildError`."""
    root = root or paths.project_root()
    started = time.perf_counter()
    say("check and assessment ...", end=" ")
    try:
        assessment = checked_assessment(review, root)
    except CheckFailed:
        say("failed")
        raise
    say(f"done in {time.perf_counter() - started:.1f} s")
    target = paths.reports_dir(review, root)
    try:
        with paths.staged(target) as tmp:
            (tmp / "notebooks").mkdir()
            t0 = time.perf_counter()
            say("exports ...", end=" ")
            written = write_exports(assessment, tmp)
            say(f"done in {time.perf_counter() - t0:.1f} s (summary.pdf: {written['pages']} pages; "
                f"summary.html: {written['html_bytes'] / 1e6:.1f} MB)")
            assessment.save(tmp)
            books = notebooks(root)
            for i, source in enumerate(books, 1):
                t0 = time.perf_counter()
                say(f"[{i}/{len(books)}] {source.stem} ...", end=" ")
                executed = tmp / "notebooks" / source.name
                run_notebook(source, executed, {"review": review, "output_dir": str(tmp)})
                export_html(executed, tmp / "notebooks" / f"{source.stem}.html")
                say(f"done in {time.perf_counter() - t0:.1f} s")
            (tmp / SAVED_NAME).unlink()
    except BaseException:
        say("failed")
        raise
    say(f"built {target.relative_to(root)} in {time.perf_counter() - started:.1f} s")
    return target


def run_in_place(root: Path | None = None, say: Callable[..., None] = _say) -> None:
    """Re-execute the committed notebooks with their default parameters and store the
    outputs in them (what nbval compares). Executed without timing metadata or widget state."""
    from nbclient import NotebookClient

    for source in notebooks(root):
        t0 = time.perf_counter()
        say(f"{source.name} ...", end=" ")
        nb = nbformat.read(source, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                       kernel_manager_class=_ipc_kernel_manager(),
                       resources={"metadata": {"path": str(source.parent)}}).execute()
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        # the widgets' saved state (every option of every form, hundreds of kilobytes) is not
        # kept: a widget is live only in a running kernel, and nbval compares the outputs
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, source)
        say(f"{time.perf_counter() - t0:.1f} s")


