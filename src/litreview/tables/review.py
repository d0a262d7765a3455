"""A review: the curated tables of one folder under ``data/`` and ``references/``, loaded,
validated and cross-checked.

``Review.load(name)`` reads every table it finds; ``review.check()`` returns every problem of
the tables (schema errors, dangling ids, quotes not at their offsets, duplicate studies), each
naming ``file:row:column``. The review is a loader: grading, PRISMA counts and the prose of
what is missing are computed by the stages that own them. A review may be incomplete (no
evidence yet): missing optional tables load as empty frames, and :attr:`Review.missing` says
which.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import paths
from .bib import Entry, check_library, load_bib
from .decisions import STEP, conflicts, final_decisions
from .imports import FILES, folder
from .imports import load as load_imports
from .quotes import locate_problem
from .schema import (
    ARTICLES,
    CLAIMS,
    EVIDENCE,
    EXPLANATIONS,
    EXTRACTIONS,
    INDIRECTNESS_ANSWERS,
    OVERRIDES,
    RECONCILIATION,
    REFERENCE_AUDIT,
    ROB,
    ROB_EXTRACTIONS,
    ROB_RECONCILIATION,
    SCREENING,
    SCREENING_SETTLEMENTS,
    SEARCH_LOG,
    STUDY_STATUS,
    Problem,
    SchemaError,
    TableSchema,
    read_table,
    read_text,
)

SETTINGS_FILE = "review.toml"
# What a review may say about itself in review.toml: the report's wording that only the
# reviewer knows. Everything else in the report is computed.
SETTINGS = {
    "title": "the report's title",
    "search_strategy": "one or two sentences on how the searches were run (methods section)",
    "indirectness_examples": "what made evidence indirect in this review, e.g. 'another body site, animals'",
    "limitations": "a list of limitations of this review, each one sentence",
    "base_url": "where the report will be published, so that its ClaimReview urls are absolute",
    "reviewers": ("how many reviewers work independently at each stage: a [reviewers] table with screening, "
                  "extraction and rob (1 or 2 each) and extraction_share (the share of evidence rows extracted "
                  "twice, 0 to 1; 1 means every row)"),
}
# the stages a [reviewers] table names; each needs 1 reviewer unless it says 2. Two independent
# reviewers at each stage is the Cochrane Handbook's standard (chapter 4.6.4 for screening,
# 5.5.2 for data collection, 7.2.2 and 8.1 for risk of bias); one reviewer checked by a second
# is the handbook's acceptable minimum for extraction, hence extraction_share.
REVIEWER_STAGES = ("screening", "extraction", "rob")

ROB_MISSING = "rob-missing"  # the code of the problem: a study with evidence and no rob.csv rows
REQUIRED_TABLES = (ARTICLES, CLAIMS)
# a review extracted or appraised by two reviewers has these (litreview.appraise.double,
# litreview.appraise.double_rob)
DOUBLE_EXTRACTION_TABLES = (EXTRACTIONS, RECONCILIATION, ROB_EXTRACTIONS, ROB_RECONCILIATION)
OPTIONAL_TABLES = (SEARCH_LOG, SCREENING, EVIDENCE, INDIRECTNESS_ANSWERS, ROB, REFERENCE_AUDIT, OVERRIDES, EXPLANATIONS,
                   STUDY_STATUS)
# tables a review has only when it uses what they hold (two reviewers: screening settlements, each
# reviewer's extraction and risk of bias and their reconciliation); a review with one reviewer never
# needs them, so an absent one is not loaded (its accessor gives an empty frame, :meth:`Review.table`)
# and is not listed as missing
WHEN_USED_TABLES = (SCREENING_SETTLEMENTS, *DOUBLE_EXTRACTION_TABLES)


@dataclass
class Review:
    name: str
    root: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    library: list[Entry] = field(default_factory=list)
    cited: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # tables or .bib files that did not load
    loaded: set[str] = field(default_factory=set)  # tables read without a schema error
    settings: dict = field(default_factory=dict)  # review.toml, checked against SETTINGS
    _imports: object = field(default=None, repr=False)

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, name: str = paths.DEFAULT_REVIEW, root: Path | None = None) -> Review:
        """Read every table; problems are collected in ``review.problems``, not raised."""
        root = root or paths.project_root()
        review = cls(name, root)
        data = paths.data_dir(name, root)
        if not data.is_dir():
            raise FileNotFoundError(f"no review named {name!r}: {review.label(data)} does not exist "
                                    f"(reviews: {', '.join(paths.reviews(root)) or 'none'})")
        for schema in REQUIRED_TABLES + OPTIONAL_TABLES:
            review.tables[schema.filename] = review._read(data / schema.filename, schema)
        for schema in WHEN_USED_TABLES:
            if (data / schema.filename).is_file():
                review.tables[schema.filename] = review._read(data / schema.filename, schema)
        refs = paths.references_dir(name, root)
        for attr, filename in (("library", "library.bib"), ("cited", "cited.bib")):
            path = refs / filename
            if not path.is_file():
                review.missing.append(review.label(path))
                continue
            try:
                setattr(review, attr, load_bib(path, review.label(path)))
            except SchemaError as exc:
                review.problems.extend(exc.problems)
                review.failed.add(filename)
        review._read_articles()
        review._read_settings(data / SETTINGS_FILE)
        return review

    @classmethod
    def settings_only(cls, name: str = paths.DEFAULT_REVIEW, root: Path | None = None) -> Review:
        """The review with only review.toml read (its problems in ``problems``): what a writer
        needs to know (how many reviewers screen) without reading every table."""
        review = cls(name, root or paths.project_root())
        review._read_settings(paths.data_dir(name, review.root) / SETTINGS_FILE)
        return review

    def _read_settings(self, path: Path) -> None:
        if not path.is_file():
            return
        label = self.label(path)
        try:
            settings = tomllib.loads(read_text(path, label).removeprefix("\ufeff"))
        except tomllib.TOMLDecodeError as exc:
            line = re.search(r"at line (\d+)", str(exc))
            self.problems.append(Problem(label, int(line.group(1)) if line else None, None,
                                         f"not valid TOML: {exc}"))
            return
        except SchemaError as exc:
            self.problems.extend(exc.problems)
            return
        for key, value in settings.items():
            if key not in SETTINGS:
                self.problems.append(Problem(label, None, key, f"unknown setting; expected one of "
                                                               f"{', '.join(SETTINGS)}"))
            elif key == "reviewers":
                self._read_reviewers(label, value)
            elif key == "limitations" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                self.problems.append(Problem(label, None, key, "expected a list of sentences"))
            elif key != "limitations" and not isinstance(value, str):
                self.problems.append(Problem(label, None, key, f"expected text ({SETTINGS[key]})"))
            else:
                self.settings[key] = value

    def _read_reviewers(self, label: str, value: object) -> None:
        if not isinstance(value, dict):
            self.problems.append(Problem(label, None, "reviewers", f"expected a table ({SETTINGS['reviewers']})"))
            return
        kept: dict = {}
        for stage, count in value.items():
            column = f"reviewers.{stage}"
            if stage == "extraction_share":
                if isinstance(count, bool) or not isinstance(count, (int, float)) or not 0 <= count <= 1:
                    self.problems.append(Problem(label, None, column, f"expected a share from 0 to 1, got {count!r}"))
                    continue
            elif stage not in REVIEWER_STAGES:
                self.problems.append(Problem(label, None, column, f"unknown stage; expected one of "
                                                                  f"{', '.join(REVIEWER_STAGES)}, extraction_share"))
                continue
            elif count not in (1, 2) or isinstance(count, bool):
                self.problems.append(Problem(label, None, column, f"expected 1 or 2 reviewers, got {count!r}"))
                continue
            kept[stage] = count
        self.settings["reviewers"] = kept

    def reviewers_needed(self, stage: str) -> int:
        """How many independent reviewers ``stage`` (one of :data:`REVIEWER_STAGES`) needs:
        review.toml's ``[reviewers]`` table, else 1."""
        if stage not in REVIEWER_STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(REVIEWER_STAGES)}")
        return int(self.settings.get("reviewers", {}).get(stage, 1))

    @property
    def extraction_share(self) -> float:
        """The share of evidence rows extracted by two reviewers: 0 with one extraction reviewer,
        else review.toml's ``reviewers.extraction_share`` (1, every row, when not given)."""
        if self.reviewers_needed("extraction") < 2:
            return 0.0
        return float(self.settings["reviewers"].get("extraction_share", 1.0))

    def label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def _read(self, path: Path, schema: TableSchema) -> pd.DataFrame:
        if not path.is_file() and schema not in REQUIRED_TABLES:
            self.missing.append(self.label(path))
            return schema.empty()
        try:
            frame = read_table(path, schema, self.label(path))
            self.loaded.add(schema.filename)
            return frame
        except SchemaError as exc:
            self.problems.extend(exc.problems)
            self.failed.add(schema.filename)
            return schema.empty()

    def _read_articles(self) -> None:
        folder = paths.data_dir(self.name, self.root) / "articles"
        articles = self.tables[ARTICLES.filename]
        label = articles.attrs.get("path", ARTICLES.filename)
        for line, row in zip(articles.attrs.get("lines", []), articles.itertuples()):
            path = folder / row.file
            if not path.is_file():
                self.problems.append(Problem(label, line, "file", f"article file {self.label(path)} is missing"))
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != row.sha256:
                self.problems.append(Problem(label, line, "sha256",
                                             f"expected {row.sha256} (as registered), found {digest}: "
                                             f"the article text changed"))
            try:
                self.texts[row.article_id] = read_text(path, self.label(path))
            except SchemaError as exc:
                self.problems.extend(exc.problems)

    # --- accessors --------------------------------------------------------------------------
    @property
    def articles(self) -> pd.DataFrame:
        return self.tables[ARTICLES.filename]

    @property
    def claims(self) -> pd.DataFrame:
        return self.tables[CLAIMS.filename]

    @property
    def evidence(self) -> pd.DataFrame:
        return self.tables[EVIDENCE.filename]

    @property
    def indirectness(self) -> pd.DataFrame:
        """The indirectness questions answered per evidence row (:mod:`litreview.appraise.indirectness`)."""
        return self.tables[INDIRECTNESS_ANSWERS.filename]

    def unanswered_indirectness(self) -> list[str]:
        """Evidence rows whose indirectness questions are not answered yet: a gap of a review
        in progress (their recorded judgement still counts), not an error."""
        answered = set(self.indirectness["evidence_id"])
        return [e for e in self.evidence["evidence_id"] if e not in answered]

    @property
    def extractions(self) -> pd.DataFrame:
        """Each reviewer's own extraction of an evidence row (:mod:`litreview.appraise.double`)."""
        return self.table(EXTRACTIONS)

    @property
    def reconciliation(self) -> pd.DataFrame:
        """The conflicts between two extractions, each settled with a reason."""
        return self.table(RECONCILIATION)

    @property
    def rob_extractions(self) -> pd.DataFrame:
        """Each reviewer's own risk-of-bias rows (:mod:`litreview.appraise.double_rob`)."""
        return self.table(ROB_EXTRACTIONS)

    @property
    def rob_reconciliation(self) -> pd.DataFrame:
        """The conflicts between two reviewers' risk-of-bias judgements, each settled with a reason."""
        return self.table(ROB_RECONCILIATION)

    @property
    def rob(self) -> pd.DataFrame:
        return self.tables[ROB.filename]

    @property
    def search_log(self) -> pd.DataFrame:
        return self.tables[SEARCH_LOG.filename]

    @property
    def screening(self) -> pd.DataFrame:
        return self.tables[SCREENING.filename]

    @property
    def settlements(self) -> pd.DataFrame:
        """How conflicting screening decisions of two reviewers were settled."""
        return self.table(SCREENING_SETTLEMENTS)

    def table(self, schema: TableSchema) -> pd.DataFrame:
        """A table as loaded; an empty one of ``schema`` for a table of :data:`WHEN_USED_TABLES`
        the review does not have."""
        return self.tables.get(schema.filename, schema.empty())

    @property
    def final_screening(self) -> pd.DataFrame:
        """Each record's final decision at each stage (:func:`litreview.tables.decisions.final_decisions`):
        what PRISMA, inclusion and the search log's screened count read."""
        return final_decisions(self.screening, self.settlements, self.reviewers_needed("screening"))

    def screening_pending(self) -> pd.DataFrame:
        """The rows of screening.csv whose record has no final decision at their stage yet (two
        reviewers: one has decided it, or the two disagree and have not settled it)."""
        final = self.final_screening
        done = pd.MultiIndex.from_frame(final[STEP]) if len(final) else pd.MultiIndex.from_tuples([], names=STEP)
        return self.screening[~pd.MultiIndex.from_frame(self.screening[STEP]).isin(done)] if len(self.screening) \
            else self.screening

    def screening_conflicts(self) -> pd.DataFrame:
        """The records two screening reviewers decided differently, with their settlement if any."""
        return conflicts(self.screening, self.settlements)

    @property
    def reference_audit(self) -> pd.DataFrame:
        return self.tables[REFERENCE_AUDIT.filename]

    @property
    def overrides(self) -> pd.DataFrame:
        return self.tables[OVERRIDES.filename]

    @property
    def explanations(self) -> pd.DataFrame:
        return self.tables[EXPLANATIONS.filename]

    @property
    def study_status(self) -> pd.DataFrame:
        """Retractions, corrections and metadata checks per study (:mod:`litreview.collect.status`)."""
        return self.tables[STUDY_STATUS.filename]

    @property
    def imports(self):
        """Imported database exports and their de-duplication (:mod:`litreview.tables.imports`),
        read on first use: a library of 100,000 records is not read by every notebook."""
        if self._imports is None:
            self._imports = load_imports(self.name, self.root)
        return self._imports

    def _imported_record_ids(self) -> set[str]:
        """Ids of the imported records (screening.csv keys of litreview.collect.screening)."""
        if not (paths.data_dir(self.name, self.root) / "imports" / "records.csv").is_file():
            return set()
        try:
            return set(self.imports.records["record_id"])
        except SchemaError:
            return set()  # a damaged imports table is reported once, by _check_imports

    def searched_claims(self) -> set[str]:
        """Claims named by at least one logged search."""
        return {c for ids in self.search_log["claim_ids"] for c in (ids or [])}

    def unexplained_claims(self) -> list[str]:
        """Testable claims with evidence or a logged search but no explanation: the claims a
        reviewer has worked on and owes the reader two to four sentences about."""
        worked = set(self.evidence["claim_id"]) | self.searched_claims()
        testable = self.claims.loc[self.claims["testable"], "claim_id"]
        explained = set(self.explanations["claim_id"])
        return [c for c in testable if c in worked and c not in explained]

    # --- checking ---------------------------------------------------------------------------
    def check(self) -> list[Problem]:
        """The problems of the tables: what loading found plus the cross-references between
        them. Checks that need a later stage (study status, explanations against the grades)
        are added by :func:`litreview.checks.check_review`, which ``litreview check`` runs."""
        problems = list(self.problems)
        problems += self._check_claims()
        problems += self._check_references()
        problems += self._check_links()
        problems += self._check_imports()
        return problems

    def _check_imports(self) -> list[Problem]:
        """A search whose export was imported has as many hits as records imported."""
        try:
            imported = self.imports.by_search()
        except SchemaError as exc:
            return exc.problems
        known = set(self.search_log["search_id"])
        manifest = self.label(folder(self.name, self.root) / FILES["manifest"])
        problems = [Problem(manifest, None, "search_id",
                            f"unknown search {sid!r} (not in search_log.csv)") for sid in imported if sid not in known]
        label, rows = self.rows_of(SEARCH_LOG)
        for line, row in rows:
            if row["search_id"] in imported and row["hits"] != imported[row["search_id"]]:
                problems.append(Problem(label, line, "hits", f"expected {imported[row['search_id']]} (the records "
                                                             f"imported for {row['search_id']}), found {row['hits']}"))
        return problems

    def rows_of(self, schema: TableSchema):
        """``(file label, (line, row) pairs)`` of one table, for messages naming file:row:column."""
        frame = self.table(schema)
        label = frame.attrs.get("path", schema.filename)
        return label, zip(frame.attrs.get("lines", []), frame.to_dict("records"))

    def _check_claims(self) -> list[Problem]:
        problems = []
        label, rows = self.rows_of(CLAIMS)
        for line, row in rows:
            if row["article_id"] not in set(self.articles["article_id"]):
                problems.append(Problem(label, line, "article_id",
                                        f"{row['claim_id']}: unknown article {row['article_id']!r}; "
                                        f"expected one of articles.csv"))
                continue
            text = self.texts.get(row["article_id"])
            if text is None:
                continue
            message = locate_problem(row, text)
            if message:
                problems.append(Problem(label, line, "quote", message))
        return problems

    def _check_references(self) -> list[Problem]:
        problems = []
        refs = paths.references_dir(self.name, self.root)
        problems += check_library(self.library, self.label(refs / "library.bib"))
        return problems

    def _check_links(self) -> list[Problem]:
        """Every id used in one table exists where it is defined."""
        claim_ids = set(self.claims["claim_id"])
        study_keys = {e.key for e in self.library}
        cited_keys = {e.key for e in self.cited}
        search_ids = set(self.search_log["search_id"])
        evidence_ids = set(self.evidence["evidence_id"])
        problems = []

        defined_in = {id(claim_ids): CLAIMS.filename, id(study_keys): "library.bib",
                      id(cited_keys): "cited.bib", id(search_ids): SEARCH_LOG.filename,
                      id(evidence_ids): EVIDENCE.filename}

        def dangling(schema, column, known, what, many=False):
            if defined_in[id(known)] in self.failed:
                return  # already reported: the defining table did not load
            label, rows = self.rows_of(schema)
            for line, row in rows:
                values = row[column] if many else [row[column]]
                for value in values or []:
                    if value not in (None, "") and value not in known:
                        problems.append(Problem(label, line, column, f"unknown {what} {value!r}"))

        dangling(CLAIMS, "cited_keys", cited_keys, "key of cited.bib", many=True)
        dangling(EVIDENCE, "claim_id", claim_ids, "claim (not in claims.csv)")
        dangling(EVIDENCE, "study_key", study_keys, "study (not in library.bib)")
        dangling(ROB, "study_key", study_keys, "study (not in library.bib)")
        dangling(EXTRACTIONS, "claim_id", claim_ids, "claim (not in claims.csv)")
        dangling(EXTRACTIONS, "study_key", study_keys, "study (not in library.bib)")
        dangling(ROB_EXTRACTIONS, "study_key", study_keys, "study (not in library.bib)")
        dangling(INDIRECTNESS_ANSWERS, "evidence_id", evidence_ids, "evidence row (not in evidence.csv)")
        dangling(SEARCH_LOG, "claim_ids", claim_ids, "claim (not in claims.csv)", many=True)
        dangling(SCREENING, "search_id", search_ids, "search (not in search_log.csv)")
        dangling(REFERENCE_AUDIT, "cited_key", cited_keys, "key of cited.bib")
        for column in ("matched_key", "also_matches", "nearest_keys"):
            dangling(REFERENCE_AUDIT, column, study_keys, "study (not in library.bib)",
                     many=column != "matched_key")
        dangling(REFERENCE_AUDIT, "search_ids", search_ids, "search (not in search_log.csv)", many=True)
        dangling(OVERRIDES, "claim_id", claim_ids, "claim (not in claims.csv)")
        # a study with evidence but no rob.csv rows yet is a gap of a review in progress (extraction
        # comes before appraisal), listed by litreview.report.missing.gaps, not a problem
        return problems + self._check_screening(study_keys)

    def rob_coverage_problems(self) -> list[Problem]:
        """Every study of library.bib with evidence has a risk-of-bias judgement (reported on
        its first evidence row)."""
        study_keys = {e.key for e in self.library}
        problems: list[Problem] = []
        if ROB.filename in self.failed or "library.bib" in self.failed:
            return problems  # already reported: a table it needs did not load
        assessed = set(self.rob["study_key"])
        label, rows = self.rows_of(EVIDENCE)
        for line, row in rows:
            if row["study_key"] in study_keys and row["study_key"] not in assessed:
                problems.append(Problem(label, line, "study_key",
                                        f"{row['study_key']} has no risk-of-bias rows in rob.csv",
                                        code=ROB_MISSING, subject=row["study_key"]))
                assessed.add(row["study_key"])
        return problems

    def _check_screening(self, study_keys: set[str]) -> list[Problem]:
        """A search's ``screened`` count is its records' final decisions; an included record is a
        study; one reviewer decides a record once, two at most twice, and a settlement settles a
        conflict (litreview.tables.decisions)."""
        problems = self._check_reviewers()
        # screening of imported records (litreview.collect.screening): their rows are written one
        # decision at a time and counted from screening.csv itself, and an included record
        # is an import id until it is added to library.bib
        imported_ids = self._imported_record_ids()
        final = self.final_screening
        # a search's `screened` count is the number of records its final decisions show
        if SCREENING.filename in self.loaded:
            per_search = final.groupby("search_id").size()
            screened_imports = set(self.screening.loc[self.screening["record_key"].isin(imported_ids), "search_id"])
            # a search whose records still await a second reviewer or a settlement is counted once they
            # have their final decisions (until then they are a gap: litreview.report.missing.gaps)
            in_progress = set(self.screening_pending()["search_id"])
            label, rows = self.rows_of(SEARCH_LOG)
            for line, row in rows:
                if row["search_id"] in screened_imports | in_progress:
                    continue
                recorded = int(per_search.get(row["search_id"], 0))
                if row["screened"] != recorded:
                    problems.append(Problem(label, line, "screened",
                                            f"expected {recorded} (the screening rows of {row['search_id']}), "
                                            f"found {row['screened']}"))
        # an included screening record is a library study
        if "library.bib" in self.failed:
            return problems  # already reported: library.bib did not load
        included = set(zip(*(final.loc[final["decision"] == "include", c] for c in STEP)))
        label, rows = self.rows_of(SCREENING)
        for line, row in rows:
            step = tuple(row[c] for c in STEP)
            if step in included and row["record_key"] not in study_keys | imported_ids:
                problems.append(Problem(label, line, "record_key",
                                        f"included record {row['record_key']!r} is not in library.bib"))
                included.discard(step)
        return problems

    def _check_reviewers(self) -> list[Problem]:
        """With one screening reviewer a record has one row at a stage; with two, at most two,
        and every settlement settles a conflict of theirs."""
        problems: list[Problem] = []
        allowed = self.reviewers_needed("screening")
        label, rows = self.rows_of(SCREENING)
        seen: dict[tuple, list[int]] = {}
        for line, row in rows:
            at = seen.setdefault(tuple(row[c] for c in STEP), [])
            at.append(line)
            if len(at) > allowed:
                more = ("one reviewer screens this review (review.toml [reviewers] screening)" if allowed == 1
                        else "two reviewers screen this review; a third settles a conflict with litreview screen "
                             "settle")
                step = " ".join(str(row[c]) for c in STEP)
                problems.append(Problem(label, line, "record_key", f"duplicate record_key/search_id/stage {step!r}; "
                                                                   f"first at row {at[0]} ({more})"))
        label, rows = self.rows_of(SCREENING_SETTLEMENTS)
        disputed = set(zip(*(self.screening_conflicts()[c] for c in STEP)))
        for line, row in rows:
            if allowed < 2:
                problems.append(Problem(label, line, None, "a settlement, but one reviewer screens this review "
                                                           "(review.toml [reviewers] screening)"))
            elif tuple(row[c] for c in STEP) not in disputed:
                problems.append(Problem(label, line, "record_key",
                                        f"{row['record_key']} at {row['stage']}: no conflict to settle (two "
                                        "reviewers' different decisions)"))
        return problems
