"""The ``litreview`` command: ``new``, ``check``, ``build``, ``import``, ``undo-import``, ``dedup``,
``verify-refs``, ``verify-library``, ``search``, ``log-search``, ``screen``, ``include``, ``indirectness``,
``claims``, ``reconcile``, ``lab``, ``run-notebooks``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import paths


def _cmd_new(args: argparse.Namespace) -> int:
    from .claims.scaffold import SUGGESTED, ScaffoldError, new_review

    try:
        made = new_review(args.name, args.article, title=args.title, url=args.url, date=args.date,
                          site=args.site)
    except ScaffoldError as exc:
        print(exc, file=sys.stderr)
        return 2
    root = made.data.parents[1]
    print(f"review {made.name}: article {made.article_id} registered in {made.data.relative_to(root)}/\n"
          f"  {made.suggestions} candidate claim(s) in {made.data.relative_to(root)}/{SUGGESTED}: confirm them "
          f"with notebook 01's claims form or litreview claims --review {made.name} (list, accept, split, add)\n"
          f"  its own notebooks: make lab REVIEW={made.name} (litreview lab --review {made.name})\n"
          f"  then: litreview build --review {made.name}")
    return 0


def _problems(exc) -> int:
    """Print a SchemaError's problems, one ``file:row:column: message`` per line; exit 1."""
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    return 1


def _claim_ids(text: str) -> list[str]:
    """``--claims C01,C02`` (or space-separated) as a list of ids."""
    return text.replace(",", " ").split()


def _cmd_check(args: argparse.Namespace) -> int:
    from .checks import check_review, summarised, warnings
    from .report.missing import gaps as missing_gaps
    from .tables.review import Review

    try:
        review = Review.load(args.review)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    problems = check_review(review)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in review {args.review}", file=sys.stderr)
        return 1
    warned = warnings(review)
    for line in ([str(w) for w in warned] if args.all_warnings else summarised(warned)):
        print(f"warning: {line}", file=sys.stderr)
    counts = ", ".join(f"{name.removesuffix('.csv')} {len(frame)}" for name, frame in review.tables.items())
    print(f"review {args.review}: ok ({counts}; {len(review.library)} studies in library.bib)")
    for missing in review.missing:
        print(f"  not yet present: {missing}")
    gaps = missing_gaps(review)
    if gaps:
        print("What is missing (not errors: the review builds, and the report lists them too):")
        for gap in gaps:
            print(f"  - {gap}")
    if warned:
        print(f"  {len(warned)} warning(s): see above")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .report.build import BuildError, build

    try:
        build(args.review)
    except (BuildError, FileNotFoundError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def _cmd_verify_refs(args: argparse.Namespace) -> int:
    """Look up each printed reference online and show the candidate records with their
    differences. Says plainly when the network is not there; writes nothing but its cache."""
    import pandas as pd

    from .collect.audit import candidates_online
    from .collect.sources import Crossref, HttpClient, NetworkUnavailable, PubMed, SourceError
    from .tables.review import Review

    review = Review.load(args.review)
    http = HttpClient(cache_dir=paths.project_root() / ".cache" / "sources", timeout=args.timeout)
    crossref, pubmed = Crossref(http), PubMed(http)
    rows = []
    for entry in review.cited:
        try:
            rows += candidates_online(entry, crossref, pubmed)
        except NetworkUnavailable as exc:
            print(f"network unavailable: {exc}. Nothing was looked up; the audit in "
                  f"data/{args.review}/reference_audit.csv is unchanged.", file=sys.stderr)
            return 3
        except SourceError as exc:
            print(f"{entry.key}: {exc}", file=sys.stderr)
    if not rows:
        print("no candidates found")
        return 0
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(pd.DataFrame(rows)[["cited_key", "source", "title_matches", "status_if_matched", "year",
                                  "doi", "pmid", "differences"]].to_string(index=False))
    return 0


def _cmd_verify_library(args: argparse.Namespace) -> int:
    """Look every library study and cited reference up in Crossref, PubMed and OpenAlex;
    write data/<review>/study_status.csv (a row that cannot be verified today keeps what was
    seen before). With no network, says so and changes nothing."""
    import datetime

    from .collect.sources import Crossref, HttpClient, NetworkUnavailable, OpenAlex, PubMed
    from .collect.status import Clients, merge, report_section, verify_all, write
    from .tables.review import Review
    from .tables.schema import STUDY_STATUS

    review = Review.load(args.review)
    blocking = [p for p in review.problems if any(p.path.endswith(n) for n in ("library.bib", "cited.bib",
                                                                               STUDY_STATUS.filename))]
    if blocking:
        for problem in blocking:
            print(problem, file=sys.stderr)
        print("fix these first: nothing was looked up", file=sys.stderr)
        return 1
    today = args.date or datetime.date.today().isoformat()
    # answers cached per day: a run interrupted today resumes from the cache, a run on a later
    # day asks again (a retraction can appear at any time)
    http = HttpClient(cache_dir=paths.project_root() / ".cache" / "sources" / f"status-{today}",
                      timeout=args.timeout)
    clients = Clients(Crossref(http), PubMed(http), OpenAlex(http))
    matched = {r["cited_key"]: r["matched_key"] for r in review.reference_audit.to_dict("records")}
    target = paths.data_dir(args.review) / STUDY_STATUS.filename
    try:
        fresh = verify_all(review.library, review.cited, matched, clients, today,
                           say=lambda s: print(s, file=sys.stderr))
    except NetworkUnavailable as exc:
        print(f"network unavailable: {exc}. Nothing was written; {review.label(target)} is unchanged.",
              file=sys.stderr)
        return 3
    table = merge(review.study_status, fresh)
    write(table, target)
    section = report_section(table)
    counts = ", ".join(f"{n} {s}" for s, n in section["counts"].items() if n)
    print(f"{review.label(target)}: {len(table)} rows ({counts}). {section['sentence']}")
    return 0


WARNINGS_SHOWN = 20  # records without a title named one by one; more are counted


def _cmd_import(args: argparse.Namespace) -> int:
    from .collect.importers import BadBlocks
    from .collect.imports import ImportRefused, import_files
    from .tables.schema import SchemaError

    try:
        summary = import_files(args.review, args.files, search_id=args.search_id, skip_bad=args.skip_bad,
                               say=lambda s: print(s, file=sys.stderr))
    except (ImportRefused, FileNotFoundError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except SchemaError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        # --skip-bad helps only with records that could not be read, not with a file or table
        print(f"{len(exc.problems)} problem(s); nothing was imported."
              + (" Fix the blocks named, or pass --skip-bad to import the readable records and list the rest."
                 if isinstance(exc, BadBlocks) else ""), file=sys.stderr)
        return 1
    for f in summary.files:
        print(f"{f['file']}: {f['records']:,} records ({f['format']})"
              + (f", {f['skipped']} block(s) skipped" if f["skipped"] else ""))
    for problem in summary.skipped:
        print(f"  skipped {problem}")
    for problem in summary.warnings[:WARNINGS_SHOWN]:
        print(f"warning: {problem}", file=sys.stderr)
    if len(summary.warnings) > WARNINGS_SHOWN:
        print(f"warning: and {len(summary.warnings) - WARNINGS_SHOWN:,} more record(s) without a title",
              file=sys.stderr)
    print(f"library: {summary.library.describe()} ({summary.before:,} records before); {summary.seconds:.1f} s")
    print(f"review the merges in data/{args.review}/imports/dedup_log.csv; reverse one with "
          f"litreview dedup --review {args.review} --keep-apart RECORD_ID DUPLICATE_OF")
    return 0


def _cmd_dedup(args: argparse.Namespace) -> int:
    from .collect.imports import ImportRefused, decide, rededup

    try:
        if args.keep_apart or args.merge:
            pair, decision = (args.keep_apart, "keep-apart") if args.keep_apart else (args.merge, "merge")
            result = decide(args.review, pair[0], pair[1], decision)
        else:
            result = rededup(args.review)
    except (ImportRefused, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{result.describe()}; {len(result.decisions)} reviewer decision(s)")
    return 0


# --- searches run elsewhere, imports taken back (litreview.collect.logged) --------------------------

def _cmd_log_search(args: argparse.Namespace) -> int:
    from .collect.logged import LogRefused, log_search
    from .tables.schema import SchemaError

    claims = _claim_ids(args.claims)
    try:
        search_id = log_search(args.review, args.source, args.query, claims, args.hits, date=args.date,
                               note=args.note)
    except LogRefused as exc:
        print(f"{exc}. Nothing was written.", file=sys.stderr)
        return 2
    except SchemaError as exc:
        return _problems(exc)
    print(f"{search_id} logged in data/{args.review}/search_log.csv; import its export with\n"
          f"  litreview import FILE --review {args.review} --search-id {search_id}")
    return 0


def _cmd_undo_import(args: argparse.Namespace) -> int:
    from .collect.imports import ImportRefused
    from .collect.logged import undo_import

    try:
        undone = undo_import(args.review, args.target)
    except ImportRefused as exc:
        print(exc, file=sys.stderr)
        return 2
    print(undone.describe(args.review))
    return 0


# --- search (litreview.collect.search) --------------------------------------------------------------

def _cmd_search(args: argparse.Namespace) -> int:
    from .collect.search import SearchError, run
    from .collect.sources import HttpClient, NetworkUnavailable, SourceError
    from .tables.schema import SchemaError

    claims = _claim_ids(args.claims)
    try:
        result = run(args.review, args.source, args.query, claims, limit=args.max, replay=args.replay or None,
                     answers=args.answers, http=HttpClient(cache_dir=None, timeout=args.timeout))
    except NetworkUnavailable as exc:
        print(f"network unavailable: {exc}. Nothing was searched or written.", file=sys.stderr)
        return 3
    except (SourceError, SearchError) as exc:
        print(f"{exc}. Nothing was written.", file=sys.stderr)
        return 2
    except SchemaError as exc:
        return _problems(exc)
    print(f"{result.search_id} {result.source}: {result.total:,} found, {result.retrieved:,} retrieved in "
          f"{result.requests} request(s); {result.import_line}")
    return 0


# --- screening (litreview.collect.screening) -------------------------------------------------------

def _cmd_screen(args: argparse.Namespace) -> int:
    """The screening queue and decisions: ``next``, ``decide``, ``undo``, ``status``; with two
    reviewers ``conflicts``, ``settle`` and ``unsettle``."""
    from .collect.screening import ScreeningError, decide, queue, undo
    from .tables.schema import SCREENING_DECISIONS, SchemaError

    who = args.reviewer or None
    try:
        if args.action in ("conflicts", "settle", "unsettle"):
            return _screen_conflicts(args)
        if args.action == "decide":
            if not args.record or args.decision not in SCREENING_DECISIONS:
                print("usage: litreview screen decide RECORD_ID include|exclude [--reason WORD]", file=sys.stderr)
                return 2
            made = decide(args.review, args.record, args.decision, args.reason or "", args.stage, reviewer=who)
            print(f"{made.record_key}: {made.decision} at {made.stage}"
                  + (f" ({made.reason})" if made.reason else "") + f" by {made.reviewer or 'an unnamed reviewer'}, "
                  f"written to data/{args.review}/screening.csv")
        elif args.action == "undo":
            gone = undo(args.review, args.record or None, args.stage if args.record else None, reviewer=who)
            print(f"undone: {gone.record_key} {gone.decision} at {gone.stage} ({gone.whose()})")
        q = queue(args.review, args.stage, reviewer=who)
        if args.action in ("next", "status"):
            print(q.progress())
            print(q.stopping().describe())
        if args.action == "next":
            for _, rec in q.pending().head(args.n).iterrows():
                print(f"\n{rec['record_id']}  [{rec['search_id']}] {rec['journal']} {rec['year']}\n  {rec['title']}")
                if args.abstracts and rec["abstract"]:
                    print(f"  {rec['abstract']}")
    except ScreeningError as exc:
        print(exc, file=sys.stderr)
        return 2
    except SchemaError as exc:
        return _problems(exc)
    return 0


def _screen_conflicts(args: argparse.Namespace) -> int:
    """``screen conflicts``: the records two reviewers decided differently, side by side;
    ``settle`` and ``unsettle`` one."""
    from .collect.screening import conflicts_of, reviewers, settle, unsettle

    if args.action == "settle":
        if not args.record or not args.decision_of or not args.how:
            print("usage: litreview screen settle RECORD_ID --decision include|exclude [--reason WORD] "
                  "--how consensus|third-reviewer --note TEXT [--stage STAGE]", file=sys.stderr)
            return 2
        made = settle(args.review, args.record, args.decision_of, args.how, args.note, args.reason or "",
                      args.stage, reviewer=args.reviewer or None)
        print(f"settled: {made.describe()}; written to data/{args.review}/screening_settlements.csv")
        if made.stage == "full-text" and made.decision == "include":  # its library entry, as an include writes it
            from .appraise.inclusion import include

            print(include(args.review, made.record_key).describe(args.review))
        return 0
    if args.action == "unsettle":
        gone = unsettle(args.review, args.record, args.stage)
        print(f"taken back: the settlement {gone.describe()}")
        return 0
    if reviewers(args.review) != 2:
        print(f"one reviewer screens {args.review} (review.toml [reviewers] screening): no conflicts")
        return 0
    found = conflicts_of(args.review, args.stage)
    if found.empty:
        print(f"no conflicts at {args.stage}")
    for row in found.itertuples():
        sides = "; ".join(f"{getattr(row, f'{s}_reviewer') or 'unnamed'}: {getattr(row, f'{s}_decision')}"
                          + (f" ({getattr(row, f'{s}_reason')})" if getattr(row, f"{s}_reason") else "")
                          for s in ("first", "second"))
        state = (f"settled {row.settled} by {row.how.replace('-', ' ')}: {row.note}" if row.settled
                 else "not settled")
        print(f"{row.record_key}  [{row.search_id}] {sides} -- {state}")
    unsettled = int(found["settled"].isna().sum())
    print(f"{len(found)} conflict(s) at {args.stage}, {unsettled} not settled")
    return 0


# --- inclusion (litreview.appraise.inclusion) --------------------------------------------------------

def _cmd_include(args: argparse.Namespace) -> int:
    """Add a record included at full text to library.bib; print its key."""
    from .appraise.inclusion import InclusionError, include
    from .tables.schema import SchemaError

    try:
        done = include(args.review, args.record, decide=args.decide, reviewer=args.reviewer or None)
    except InclusionError as exc:
        print(exc, file=sys.stderr)
        return 2
    except SchemaError as exc:
        return _problems(exc)
    print(done.key)
    print(done.describe(args.review), file=sys.stderr)
    return 0


def _cmd_indirectness(args: argparse.Namespace) -> int:
    from .appraise.indirectness import AnswerError, save_answers, why
    from .tables.schema import SchemaError

    answers = {"population": args.population, "intervention": args.intervention,
               "comparator": args.comparator, "outcome": args.outcome}
    try:
        judged = save_answers(args.review, args.evidence_id, answers, args.note, args.override, args.reason)
    except (AnswerError, KeyError) as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return 2
    except SchemaError as exc:
        return _problems(exc)
    because = f"override: {args.reason}" if args.override else why(answers)
    print(f"{args.evidence_id}: indirectness {judged} ({because})")
    return 0


# --- confirming claims (litreview.claims.confirm) ----------------------------------------------------

_CLAIM_FIELDS = ("claim", "category", "kind", "group", "population", "intervention", "comparator", "outcome",
                 "testable", "cited")


def _claims_help() -> str:
    from .tables.schema import CATEGORY_MEANINGS, KIND_MEANINGS, TESTABLE_MEANINGS

    def block(title, meanings):
        return f"{title}:\n" + "\n".join(f"  {k:<19} {v}" for k, v in meanings.items())

    return "\n\n".join([
        "examples:\n  litreview claims list --review R\n"
        '  litreview claims accept S005 --claim "Massage eases calf cramps." --category efficacy '
        "--kind intervention --group cramps --outcome cramps\n"
        '  litreview claims split S005 --part "reduces soreness" --part "improves circulation" '
        '--claim "It reduces soreness." --claim "It improves circulation." --category efficacy --category mechanism '
        "--kind intervention --group recovery\n"
        '  litreview claims add --article ID --text "exact words of the article" --claim ...\n'
        "  litreview claims reject S007;  litreview claims undo\n"
        "A field given once applies to every part of a split; given once per --part, each part has its own.",
        block("--category", CATEGORY_MEANINGS), block("--kind", KIND_MEANINGS),
        block("--testable (default: from --kind)", TESTABLE_MEANINGS)])


def _claim_fields(args: argparse.Namespace, n: int) -> list:
    """One ClaimFields per part from the repeated options (once: every part; n times: each its own)."""
    from .claims.confirm import ConfirmError, parse_fields

    values = {}
    for name in _CLAIM_FIELDS:
        given = getattr(args, name) or []
        if len(given) not in (0, 1, n):
            raise ConfirmError(f"--{name} is given {len(given)} times: give it once, or once per part ({n})")
        values[name] = [given[0]] * n if len(given) == 1 else (given or [""] * n)
    missing = [f"--{name}" for name in ("claim", "category", "kind", "group") if not getattr(args, name)]
    if missing:
        raise ConfirmError(f"{', '.join(missing)} required (see litreview claims --help)")
    out = []
    for i in range(n):
        if values["testable"][i] not in ("true", "false", ""):
            raise ConfirmError(f"--testable {values['testable'][i]!r}: expected true or false")
        testable = {"true": True, "false": False, "": None}[values["testable"][i]]
        out.append(parse_fields(values["claim"][i], values["category"][i], values["kind"][i], values["group"][i],
                                population=values["population"][i], intervention=values["intervention"][i],
                                comparator=values["comparator"][i], outcome=values["outcome"][i],
                                testable=testable, cited_keys=values["cited"][i]))
    return out


def _cmd_claims(args: argparse.Namespace) -> int:
    """Confirm the claim finder's suggestions into claims.csv: list, accept, split, add, reject, undo."""
    from .claims import confirm
    from .tables.schema import SchemaError

    try:
        if args.action == "list":
            table = confirm.suggestions(args.review) if args.all else confirm.pending(args.review)
            if args.article:
                table = table[table["article_id"] == args.article]
            for r in table.itertuples():
                state = f"  {r.decision} {r.claim_ids}".rstrip() if r.decision else ""
                print(f"{r.suggestion_id} [{r.category_guess}] {r.article_id} [{r.start}, {r.end}){state}\n  {r.quote}")
            print(f"{len(table)} suggestion(s)" + ("" if args.all else " pending"), file=sys.stderr)
            return 0
        if args.action in ("accept", "split", "reject") and not args.suggestion:
            raise confirm.ConfirmError(f"usage: litreview claims {args.action} SUGGESTION_ID ...")
        if args.action == "accept":
            saved = [confirm.accept(args.review, args.suggestion, _claim_fields(args, 1)[0], phrase=args.words)]
        elif args.action == "split":
            if not args.part:
                raise confirm.ConfirmError("split needs --part \"exact words\" for each claim")
            fields = _claim_fields(args, len(args.part))
            saved = confirm.split(args.review, args.suggestion, list(zip(args.part, fields)))
        elif args.action == "add":
            if not args.article or not args.text:
                raise confirm.ConfirmError('usage: litreview claims add --article ID --text "exact words" --claim ...')
            saved = [confirm.add(args.review, args.article, args.text, _claim_fields(args, 1)[0], near=args.near)]
        elif args.action == "reject":
            saved = [confirm.reject(args.review, args.suggestion)]
        else:
            gone = confirm.undo(args.review)
            print(f"undone: {gone.claim_id or gone.suggestion_id} ({gone.decision})")
            return 0
    except confirm.ConfirmError as exc:
        print(f"{exc}", file=sys.stderr)
        return 2
    except SchemaError as exc:
        print("nothing was written:", file=sys.stderr)
        return _problems(exc)
    for s in saved:
        print(s.describe(args.review))
    return 0


def _claims_parser(sub, with_review) -> None:
    """The `litreview claims` subcommand."""
    cl = with_review(sub.add_parser("claims", help="confirm the claim finder's suggestions into claims.csv: "
                                                   "list, accept, split, add, reject, undo",
                                    description=_cmd_claims.__doc__, epilog=_claims_help(),
                                    formatter_class=argparse.RawDescriptionHelpFormatter))
    cl.add_argument("action", choices=("list", "accept", "split", "add", "reject", "undo"))
    cl.add_argument("suggestion", nargs="?", default="", help="suggestion id, e.g. S005 (accept, split, reject)")
    cl.add_argument("--all", action="store_true", help="list decided suggestions too")
    cl.add_argument("--article", default="", help="article id (add; filters list)")
    cl.add_argument("--text", default="", help="add: the claim's exact words in the article")
    cl.add_argument("--near", type=int, default=None, help="add: take the occurrence nearest this offset")
    cl.add_argument("--words", default="", help="accept: only these exact words of the suggestion")
    cl.add_argument("--part", action="append", help="split: the exact words of one claim (repeat)")
    for name, meaning in (("claim", "the claim restated in one line"), ("category", "see below"),
                          ("kind", "see below"), ("group", "the Summary-of-Findings group, e.g. recovery"),
                          ("population", "P of PICO"), ("intervention", "I of PICO"), ("comparator", "C of PICO"),
                          ("outcome", "O of PICO"), ("testable", "true or false (default: from --kind)"),
                          ("cited", "keys of cited.bib the article cites for it, space-separated")):
        cl.add_argument(f"--{name}", action="append", help=meaning)
    cl.set_defaults(func=_cmd_claims)


def _cmd_lab(args: argparse.Namespace) -> int:
    """Make (or keep) the review's own notebooks under lab/<review>/ and open JupyterLab on them."""
    import subprocess

    from .workbook.lab import command, lab_dir, quiet_settings, working_copies

    try:
        copies = working_copies(args.review, fresh=args.fresh)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    where = lab_dir(args.review).relative_to(paths.project_root())
    print(f"{len(copies)} notebooks of review {args.review} in {where}/"
          + (" (copied again from notebooks/)" if args.fresh else ""))
    if args.no_launch:
        return 0
    from jupyterlab.commands import get_app_dir

    try:
        quiet_settings(Path(get_app_dir()))
    except OSError as exc:  # an environment this user cannot write: the lab still opens, and may ask once
        print(f"could not turn JupyterLab's news pop-up off ({exc}); answer it once with 'No'", file=sys.stderr)
    return subprocess.call(command(args.review))


def _cmd_reconcile(args: argparse.Namespace) -> int:
    """List the rows whose two extractions differ; show one row side by side; settle one field."""
    from .appraise import double
    from .tables.review import Review

    if args.field and not args.take:
        print("litreview reconcile: --field needs --take first|second|VALUE and --reason", file=sys.stderr)
        return 2
    review = Review.load(args.review)
    if args.study:
        return _reconcile_rob(args)
    if not args.evidence:
        _list_rob_conflicts(review)
        compared = [p for p in double.pairs(review) if p.unsettled or (len(p.rows) == 2 and not p.unsettled
                                                                        and p.evidence_id not in
                                                                        set(review.evidence["evidence_id"]))]
        if not compared:
            print(f"review {args.review}: no conflict to settle and no consensus left to write")
        for p in compared:
            fields = ", ".join(f"{c.field} ({c.first} / {c.second})" for c in p.unsettled)
            print(f"{p.evidence_id} {p.claim_id} {p.study_key} [{' / '.join(p.reviewers)}]: "
                  + (fields if fields else "settled; write the consensus with --evidence {p.evidence_id} --write"))
        return 0
    return _reconcile_one(args, lambda d: double.settle(args.review, args.evidence, d),
                          lambda: double.pair(review, args.evidence),
                          f"data/{args.review}/evidence.csv and indirectness.csv")


def _reconcile_one(args: argparse.Namespace, settle, show, written_to: str) -> int:
    """Show one row's (or study's) two extractions and their conflicts, settling one field or
    writing the consensus first when asked; a refusal is one line, nothing written."""
    from .tables.schema import SchemaError

    try:
        after = (settle({args.field: (args.take, args.reason)} if args.field else {}) if args.field or args.write
                 else show())
    except SchemaError as exc:
        return _problems(exc)
    except (KeyError, ValueError) as exc:  # a refusal: nothing was written
        print(f"{exc.args[0] if exc.args else exc}; nothing was written", file=sys.stderr)
        return 2
    name = getattr(after, "evidence_id", None) or after.study_key
    print(f"{name}: first {after.reviewers[0]}"
          + (f", second {after.reviewers[1]}" if len(after.reviewers) > 1 else " (one reviewer)"))
    for c in after.conflicts:
        settled = (f"-> {c.settled['consensus'] or '(empty)'} ({c.settled['settled_by']}: {c.settled['reason']})"
                   if c.settled else "-> not settled")
        print(f"  {c.field}: {c.first or '(empty)'} / {c.second or '(empty)'} {settled}")
    if after.consensus() is None:
        print(f"  {len(after.unsettled)} conflict(s) left; the consensus is written once all are settled")
    elif args.field or args.write:
        print(f"  consensus written to {written_to}")
    return 0


def _list_rob_conflicts(review) -> None:
    from .appraise import double_rob

    written = set(review.rob["study_key"])
    for p in double_rob.pairs(review):
        if p.unsettled or (len(p.rows) == 2 and p.study_key not in written):
            said = ", ".join(f"{c.field} ({c.first} / {c.second})" for c in p.unsettled)
            print(f"risk of bias {p.study_key} [{' / '.join(p.reviewers)}]: "
                  + (said or f"settled; write the consensus with --study {p.study_key} --write"))


def _reconcile_rob(args: argparse.Namespace) -> int:
    """One study's two risk-of-bias assessments: show them, settle a domain (or the tool), write."""
    from .appraise import double_rob
    from .tables.review import Review

    return _reconcile_one(args, lambda d: double_rob.settle(args.review, args.study, d),
                          lambda: double_rob.pair(Review.load(args.review), args.study), f"data/{args.review}/rob.csv")


def _cmd_run_notebooks(args: argparse.Namespace) -> int:
    from .report.build import run_in_place

    run_in_place()
    return 0


def parser() -> argparse.ArgumentParser:
    from .collect.search import SOURCES
    from .tables.schema import SCREENING_DECISIONS, SCREENING_STAGES, SETTLEMENT_WAYS

    p = argparse.ArgumentParser(prog="litreview", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def with_review(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--review", default=None,
                        help="review name, a folder under data/ (default: the only review there is; with "
                             "several, the command refuses and lists them)")
        return sp

    new = sub.add_parser("new", help="start a new review from an article (plain-text file)")
    new.add_argument("name", help="review name: lower-case letters, digits, hyphens")
    new.add_argument("--article", type=Path, required=True, help="the article's text, UTF-8")
    new.add_argument("--title", default="", help="article title (default: its first line)")
    new.add_argument("--url", default="", help="where the article was published")
    new.add_argument("--date", default="", help="date shown on the article, YYYY-MM-DD")
    new.add_argument("--site", default="", help="site or publisher (default: the url's host)")
    new.set_defaults(func=_cmd_new)
    ch = with_review(sub.add_parser("check", help="validate every table of a review"))
    ch.add_argument("--all-warnings", action="store_true",
                    help="one line per warning (by default, many warnings of one kind are one line)")
    ch.set_defaults(func=_cmd_check)
    with_review(sub.add_parser("build", help="check, run the notebooks, write reports/<review>/")
                ).set_defaults(func=_cmd_build)
    vr = with_review(sub.add_parser("verify-refs", help="look up the cited references in Crossref and PubMed"))
    vr.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    vr.set_defaults(func=_cmd_verify_refs)
    vl = with_review(sub.add_parser("verify-library", help="look up retractions, corrections and metadata of "
                                                           "every study (Crossref, PubMed, OpenAlex)"))
    vl.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    vl.add_argument("--date", default="", help="date to record as checked_on, YYYY-MM-DD (default today)")
    vl.set_defaults(func=_cmd_verify_library)
    imp = with_review(sub.add_parser("import", help="read database exports (RIS, MEDLINE, BibTeX, CSV) "
                                                    "into the review and de-duplicate"))
    imp.add_argument("files", nargs="+", type=Path, help="exported files")
    imp.add_argument("--search-id", default="", help="the search_log.csv row these records came from "
                     "(required; litreview log-search makes the row for a search run elsewhere)")
    imp.add_argument("--skip-bad", action="store_true", help="import the readable records, list the rest")
    imp.set_defaults(func=_cmd_import)
    dd = with_review(sub.add_parser("dedup", help="de-duplicate the imported records again, or record a decision"))
    group = dd.add_mutually_exclusive_group()
    group.add_argument("--keep-apart", nargs=2, metavar=("RECORD_ID", "OTHER_ID"), help="reverse a merge")
    group.add_argument("--merge", nargs=2, metavar=("RECORD_ID", "OTHER_ID"), help="force a merge")
    dd.set_defaults(func=_cmd_dedup)
    ls = with_review(sub.add_parser("log-search", help="log a search run in a database's own interface "
                                                       "(source, date, query, count); print its id"))
    ls.add_argument("--source", required=True, help="the database, e.g. Embase (Ovid)")
    ls.add_argument("--query", required=True, help="the query exactly as run there")
    ls.add_argument("--hits", required=True, type=int, help="the number of records the database reported")
    ls.add_argument("--claims", required=True, help="the claim ids searched for, e.g. C01,C02")
    ls.add_argument("--date", default="", help="the day it was run, YYYY-MM-DD (default today)")
    ls.add_argument("--note", default="", help="limits, filters, anything a reader needs to rerun it")
    ls.set_defaults(func=_cmd_log_search)
    ui = with_review(sub.add_parser("undo-import", help="take back an import: one file, or every file of a search"))
    ui.add_argument("target", help="the imported file's name (imports/manifest.csv) or a search id")
    ui.set_defaults(func=_cmd_undo_import)
    se = with_review(sub.add_parser("search", help="search PubMed, Europe PMC, OpenAlex or Crossref; log the "
                                                   "search, keep the answers, import the records"))
    se.add_argument("--source", required=True, choices=SOURCES)
    se.add_argument("--query", required=True, help="the query, in the service's own syntax")
    se.add_argument("--claims", required=True, help="the claim ids searched for, e.g. C01,C02")
    se.add_argument("--max", type=int, default=1000, help="records to retrieve at most (default 1000)")
    se.add_argument("--replay", default="", metavar="SEARCH_ID",
                    help="run a logged search again from its stored answers, offline, and check its records")
    se.add_argument("--answers", type=Path, default=None, metavar="DIR",
                    help="take the service's answers from DIR (requests.csv + files, as a search keeps them) "
                         "instead of the network")
    se.add_argument("--timeout", type=float, default=20.0, help="seconds per request (default 20)")
    se.set_defaults(func=_cmd_search)
    sc = with_review(sub.add_parser("screen", help="screen imported records: next, decide, undo, status; with two "
                                                   "reviewers conflicts, settle, unsettle"))
    sc.add_argument("action", choices=("next", "decide", "undo", "status", "conflicts", "settle", "unsettle"))
    sc.add_argument("record", nargs="?", default="", help="record id (decide, undo, settle, unsettle)")
    sc.add_argument("decision", nargs="?", default="", help="include or exclude (decide)")
    sc.add_argument("--reason", default="", help="why excluded: one of the exclusion reasons")
    sc.add_argument("--stage", default=SCREENING_STAGES[0], choices=SCREENING_STAGES)
    sc.add_argument("--reviewer", default="", help="who decides (default $LITREVIEW_REVIEWER, else the login name)")
    sc.add_argument("--decision", dest="decision_of", default=None, choices=SCREENING_DECISIONS,
                    help="the settled decision (settle)")
    sc.add_argument("--how", default=None, choices=SETTLEMENT_WAYS, help="how the conflict was settled (settle)")
    sc.add_argument("--note", default="", help="what settled it, in your words (settle)")
    sc.add_argument("--n", type=int, default=5, help="records to show (next; default 5)")
    sc.add_argument("--abstracts", action="store_true", help="show abstracts (next)")
    sc.set_defaults(func=_cmd_screen)
    inc = with_review(sub.add_parser("include", help="add a record included at full text to library.bib, "
                                                     "from the record's own metadata; print its key"))
    inc.add_argument("record", help="record id (data/<review>/imports/records.csv)")
    inc.add_argument("--decide", action="store_true",
                     help="record the full-text include in screening.csv first")
    inc.add_argument("--reviewer", default="", help="who decides (--decide; default $LITREVIEW_REVIEWER, else the "
                                                    "login name)")
    inc.set_defaults(func=_cmd_include)
    from .tables.schema import INDIRECTNESS, INDIRECTNESS_QUESTIONS

    ind = with_review(sub.add_parser("indirectness", help="answer the indirectness questions of one evidence row "
                                                          "against its claim; the judgement is derived"))
    ind.add_argument("evidence_id", help="a row of evidence.csv, e.g. E012")
    for question, options in INDIRECTNESS_QUESTIONS.items():
        ind.add_argument(f"--{question}", required=True, choices=tuple(options),
                         help="; ".join(f"{a}: {m}" for a, m in options.items()).replace("%", "%%"))
    ind.add_argument("--note", required=True, help="why these answers apply, in your words")
    ind.add_argument("--override", default="", choices=("", *INDIRECTNESS),
                     help="a judgement other than the derived one (needs --reason)")
    ind.add_argument("--reason", default="", help="why the derived judgement does not fit")
    ind.set_defaults(func=_cmd_indirectness)
    rc = with_review(sub.add_parser("reconcile", help="two reviewers' extractions: list the rows that differ, "
                                                     "show one side by side, settle a field with a reason"))
    rc.add_argument("--evidence", default="", help="the evidence row, e.g. E012 (without it: list the conflicts)")
    rc.add_argument("--study", default="", help="a study judged for risk of bias by two reviewers (instead of "
                                               "--evidence)")
    rc.add_argument("--field", default="", help="the field to settle (design, n, direction, population, ...; with "
                                               "--study a domain such as randomisation, or tool)")
    rc.add_argument("--take", default="", help="first, second, or the answer to record (a third answer)")
    rc.add_argument("--reason", default="", help="why, in one sentence")
    rc.add_argument("--write", action="store_true",
                    help="write the consensus of a row whose extractions agree (or are all settled)")
    rc.set_defaults(func=_cmd_reconcile)
    _claims_parser(sub, with_review)
    lab = with_review(sub.add_parser("lab", help="open JupyterLab on the review's own copies of the notebooks "
                                                 "(lab/<review>/), never on the shipped ones"))
    lab.add_argument("--fresh", action="store_true", help="copy the shipped notebooks again (your copies are replaced)")
    lab.add_argument("--no-launch", action="store_true", help="make the copies, do not start JupyterLab")
    lab.set_defaults(func=_cmd_lab)
    sub.add_parser("run-notebooks", help="re-execute the committed notebooks in place"
                   ).set_defaults(func=_cmd_run_notebooks)
    return p


def _expected_failure(exc: Exception) -> int | None:
    """Say a failure that a command meets in normal use (bad input, no network, a review or
    file missing, a refusal) in one line, or one line per problem, and return its exit code:
    3 for no network, 1 for problems in the tables, 2 otherwise. ``None`` for anything else,
    a defect, which keeps its traceback."""
    from .appraise.inclusion import InclusionError
    from .collect.imports import ImportRefused
    from .collect.screening import ScreeningError
    from .collect.search import SearchError
    from .collect.sources import NetworkUnavailable, SourceError
    from .tables.schema import SchemaError

    if isinstance(exc, SchemaError):
        return _problems(exc)
    if isinstance(exc, NetworkUnavailable):
        print(f"network unavailable: {exc}. Nothing was changed.", file=sys.stderr)
        return 3
    if isinstance(exc, (SourceError, ImportRefused, SearchError, ScreeningError, InclusionError)):
        print(f"{exc}. Nothing was changed." if isinstance(exc, SourceError) else exc, file=sys.stderr)
        return 2
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)):
        print(f"{exc.filename or ''}: {exc.strerror or exc}" if exc.filename else exc, file=sys.stderr)
        return 2
    return None


def main(argv: list[str] | None = None) -> int:
    # every line out as soon as it is printed: where stdout and stderr meet (a log, a pipe), a
    # summary or warning on stderr then follows the lines it sums up instead of overtaking them
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    args = parser().parse_args(argv)
    if "review" in args:
        try:
            args.review = paths.resolve_review(args.review)
        except (paths.ReviewNotChosen, FileNotFoundError) as exc:
            print(f"litreview {args.command}: {exc}; nothing was done", file=sys.stderr)
            return 2
    try:
        return args.func(args)
    except Exception as exc:
        code = _expected_failure(exc)
        if code is None:
            raise
        return code


if __name__ == "__main__":
    sys.exit(main())
