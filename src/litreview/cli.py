"""The ``litreview`` command: ``check``, ``build``, ``run-notebooks``."""

from __future__ import annotations

import argparse
import sys

from . import paths


def _cmd_check(args: argparse.Namespace) -> int:
    from .review import Review

    try:
        review = Review.load(args.review)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    problems = review.check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in review {args.review}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{len(frame)} {name.removesuffix('.csv')}" for name, frame in review.tables.items())
    print(f"review {args.review}: ok ({counts}; {len(review.library)} studies in library.bib)")
    for missing in review.missing:
        print(f"  not yet present: {missing}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import BuildError, build

    try:
        build(args.review)
    except (BuildError, FileNotFoundError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def _cmd_run_notebooks(args: argparse.Namespace) -> int:
    from .build import run_in_place

    run_in_place()
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="litreview", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def with_review(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--review", default=paths.DEFAULT_REVIEW,
                        help=f"review name, a folder under data/ (default {paths.DEFAULT_REVIEW})")
        return sp

    with_review(sub.add_parser("check", help="validate every table of a review")).set_defaults(func=_cmd_check)
    with_review(sub.add_parser("build", help="check, run the notebooks, write reports/<review>/")
                ).set_defaults(func=_cmd_build)
    sub.add_parser("run-notebooks", help="re-execute the committed notebooks in place"
                   ).set_defaults(func=_cmd_run_notebooks)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
