"""Agreement between two independent extractions of the same calf-massage evidence rows.

    python benchmarks/agreement.py [--first benchmarks/agreement/first_extraction.csv]
                                   [--second benchmarks/agreement/second_extraction.csv]

The first extraction is the review's own, frozen for the sampled rows as it stood before the
two were reconciled (first_extraction.csv: design, n, direction and the recorded judgement from
evidence.csv, the four answers from indirectness.csv); the second reviewer saw only the claims,
the articles, the library records and the schema (benchmarks/agreement/README.md). For each
field this prints the rows both reviewers filled, the share answered alike and Cohen's kappa
(litreview.appraise.agreement); n as exact agreement; the judgement derived from the four
answers (litreview.appraise.indirectness). Indirectness, being ordered, also gets a
quadratic-weighted kappa. Then every row where the two disagree on direction or on the derived
indirectness. The figures measure the two extractions, so reconciling the shipped data does
not change them; how each conflict was settled is in agreement/reconciliation.csv. This script
only measures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from litreview.appraise.agreement import kappa, percent_agreement
from litreview.appraise.indirectness import QUESTIONS, derive
from litreview.tables.schema import DESIGNS, DIRECTIONS, INDIRECTNESS, INDIRECTNESS_QUESTIONS

HERE = Path(__file__).resolve().parent


def _filled(v) -> bool:
    return not (v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "")


def _line(field: str, a: list, b: list, categories=None, ordered: bool = False) -> dict:
    pairs = [(x, y) for x, y in zip(a, b) if _filled(x) and _filled(y)]
    first, second = [str(x) for x, _ in pairs], [str(y) for _, y in pairs]
    out = {"field": field, "rows": len(pairs),
           "agreement": percent_agreement(first, second) if pairs else None,
           "kappa": kappa(first, second, categories) if pairs and categories else None,
           "kappa_quadratic": kappa(first, second, categories, "quadratic") if pairs and ordered else None}
    return out


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–"
    return f"{v:.2f}" if isinstance(v, float) else str(v)


def _n(v) -> str:
    return str(int(float(v))) if _filled(v) else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--first", type=Path, default=HERE / "agreement" / "first_extraction.csv")
    ap.add_argument("--second", type=Path, default=HERE / "agreement" / "second_extraction.csv")
    args = ap.parse_args()
    second = pd.read_csv(args.second, dtype=str, keep_default_na=False)
    first = pd.read_csv(args.first, dtype=str, keep_default_na=False).set_index("evidence_id")
    first = first.reindex(second["evidence_id"]).fillna("").reset_index()
    derived_1 = [derive({q: r[q] for q in QUESTIONS}) if all(_filled(r[q]) for q in QUESTIONS) else ""
                 for r in first.to_dict("records")]
    derived_2 = [derive({q: r[q] for q in QUESTIONS}) for r in second.to_dict("records")]
    rows = [
        _line("design", list(first["design"]), list(second["design"]), DESIGNS),
        {"field": "n (exact)", "rows": len(second),
         "agreement": percent_agreement([_n(v) for v in first["n"]], [_n(v) for v in second["n"]]),
         "kappa": None, "kappa_quadratic": None},
        _line("direction", list(first["direction"]), list(second["direction"]), DIRECTIONS),
        _line("indirectness (recorded, one free choice)", list(first["indirectness"]),
              list(second["indirectness"]), INDIRECTNESS, ordered=True),
        *(_line(f"question: {q}", list(first[q]), list(second[q]), tuple(INDIRECTNESS_QUESTIONS[q]))
          for q in QUESTIONS),
        _line("indirectness (derived from the questions)", derived_1, derived_2, INDIRECTNESS, ordered=True),
    ]
    table = pd.DataFrame(rows)
    print(f"{len(second)} rows extracted twice ({args.first.name} against {args.second.name})\n")
    shown = table.map(_cell)
    print(shown.to_string(index=False))
    print("\nRows where the two differ on direction or on the derived indirectness (settled in reconciliation.csv):")
    for i, r in second.iterrows():
        d1, d2 = first.at[i, "direction"], r["direction"]
        if (d1 != d2 and _filled(d2)) or derived_1[i] != derived_2[i]:
            print(f"  {r['evidence_id']} {r['claim_id']}: direction {d1} / {d2 or '?'}; "
                  f"indirectness {derived_1[i] or '?'} / {derived_2[i]}")


if __name__ == "__main__":
    main()
