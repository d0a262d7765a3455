"""Start a new review from an article file: ``litreview new NAME --article FILE``.

The new review is the calf-massage review's shape with nothing in it yet: the article copied
byte-for-byte and registered with its SHA-256, every table with its header and no rows, an
empty ``library.bib`` and ``cited.bib``, and ``claims.suggested.csv``: the claim finder's
proposals (quote, offsets, category guess) for the reviewer to confirm into ``claims.csv``.

Nothing is half-written: both folders are assembled beside their final place and renamed
into it at the end, and an existing review is never overwritten.
"""

from __future__ import annotations

import csv
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .. import paths
from ..tables.review import SETTINGS, SETTINGS_FILE
from ..tables.schema import ARTICLES, TABLES, SchemaError, calendar_date, read_text
from .finder import suggest

NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
SUGGESTED = "claims.suggested.csv"
URL = next(c.pattern for c in ARTICLES.columns if c.name == "url")
SUGGESTED_COLUMNS = ("suggestion_id", "article_id", "quote", "start", "end", "category_guess", "cues")


class ScaffoldError(ValueError):
    """``litreview new`` cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class NewReview:
    name: str
    data: Path
    references: Path
    article_id: str
    suggestions: int


def article_id_for(file: Path) -> str:
    """A key from the file name: ``Why Calf Massage.txt`` -> ``why-calf-massage``."""
    slug = re.sub(r"[^a-z0-9]+", "-", file.stem.lower()).strip("-")
    return slug or "article"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def new_review(name: str, article: Path, *, title: str = "", url: str = "", date: str = "",
               site: str = "", root: Path | None = None) -> NewReview:
    """Scaffold ``data/<name>/`` and ``references/<name>/`` around one article."""
    root = root or paths.project_root()
    if not NAME.fullmatch(name):
        raise ScaffoldError(f"review name {name!r}: use lower-case letters, digits and hyphens "
                            "(e.g. ginger-tea)")
    data, refs = paths.data_dir(name, root), paths.references_dir(name, root)
    for folder in (data, refs):
        if folder.exists():
            raise ScaffoldError(f"{folder.relative_to(root)} already exists: a review named {name!r} "
                                "is there; choose another name (nothing was changed)")
    if not article.is_file():
        raise ScaffoldError(f"{article}: no such file")
    try:
        text = read_text(article, str(article))
    except SchemaError as exc:
        raise ScaffoldError(f"{exc}\nThe article must be plain text in UTF-8 (save the page as text first).") from None
    if not text.strip():
        raise ScaffoldError(f"{article}: the file is empty")
    if url and not re.fullmatch(URL, url):
        raise ScaffoldError(f"--url {url!r}: expected an address starting with http:// or https://")
    if date and (wrong := calendar_date(date)):
        raise ScaffoldError(f"--date: {wrong}")

    article_id = article_id_for(article)
    file_name = re.sub(r"[^A-Za-z0-9._-]+", "-", article.name)
    suggestions = suggest(text)
    with paths.staged(data) as tmp_data, paths.staged(refs) as tmp_refs:
        (tmp_data / "articles").mkdir()
        shutil.copyfile(article, tmp_data / "articles" / file_name)
        for schema in TABLES.values():
            _write_csv(tmp_data / schema.filename, tuple(schema.names), [])
        _write_csv(tmp_data / ARTICLES.filename, tuple(ARTICLES.names), [{
            "article_id": article_id, "file": file_name, "title": title or _first_line(text),
            "site": site or urlparse(url).hostname or "unknown", "date_shown": date, "url": url,
            "sha256": hashlib.sha256(article.read_bytes()).hexdigest(), "has_references": "false",
            "note": "registered with litreview new"}])
        _write_csv(tmp_data / SUGGESTED, SUGGESTED_COLUMNS, [
            {"suggestion_id": f"S{i:03d}", "article_id": article_id, **row}
            for i, row in enumerate(suggestions.to_dict("records"), 1)])
        (tmp_data / SETTINGS_FILE).write_text(_settings_template(), encoding="utf-8")
        for bib in ("library.bib", "cited.bib"):
            (tmp_refs / bib).write_text("", encoding="utf-8")
    return NewReview(name, data, refs, article_id, len(suggestions))


def _settings_template() -> str:
    """review.toml with every setting explained and commented out: the report is complete
    without them."""
    lines = ["# Wording of the report that only the reviewers know; everything else is computed.",
             "# Uncomment what applies (limitations is a list of sentences)."]
    for key, meaning in SETTINGS.items():
        example = '["..."]' if key == "limitations" else '"..."'
        lines.append(f"# {key} = {example}    # {meaning}")
    return "\n".join(lines) + "\n"


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
