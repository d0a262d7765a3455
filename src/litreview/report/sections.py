"""The report's exports: schema.org ClaimReview JSON-LD, the evidence workbook (xlsx) and
the bibliography (.bib), written beside the HTML and PDF.

Everything here is deterministic: the date of a review is the date of its last logged
search, not the date the report was built, so two builds of the same data agree.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..appraise import double, double_rob, indirectness
from ..appraise.agreement import screening_agreement
from ..collect.status import report_section as status_section
from ..grade import certainty_rules, grading, verdicts
from ..grade.assessment import Assessment
from ..grade.grading import DOMAINS
from ..grade.pooling import HKSJ_BELOW, METHODS
from ..grade.verdicts import BEST_RATING, WORST_RATING
from ..tables.bib import Entry, delatex, split_authors
from ..tables.review import Review
from ..tables.schema import VERDICTS, none_for_missing
from ..tables.words import counted
from . import plots
from .missing import gaps as missing_gaps
from .xlsx import write_sheets

DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m")


def iso_date(shown: str | None) -> str | None:
    """An article's date as it shows it ("Sep 22, 2025") in ISO 8601 ("2025-09-22"), as
    schema.org wants; None when there is none or it is not a date we can read."""
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime((shown or "").strip(), fmt)
        except ValueError:
            continue
        return parsed.strftime("%Y-%m" if fmt == "%Y-%m" else "%Y-%m-%d")
    return None


def review_date(review: Review) -> str:
    """The review's date: its last logged search (ISO 8601)."""
    dates = review.search_log["date"]
    return max(dates) if len(dates) else ""


def claimreviews(review: Review, grades: pd.DataFrame, base_url: str = "") -> list[dict]:
    """One schema.org ClaimReview per claim, rated on the 1-5 scale of
    :data:`litreview.grade.verdicts.RATING_VALUE`; a not-testable claim carries its label only.
    ``base_url``: where the report will be published (its urls are then absolute); without
    it they are relative to the report file. The rating's explanation is the reviewer's
    (``explanations.csv``), else the computed rationale."""
    report_url = (base_url.rstrip("/") + "/summary.html") if base_url else "summary.html"
    articles = review.articles.set_index("article_id")
    claims = review.claims.set_index("claim_id")
    date = review_date(review)
    out = []
    for g in grades.to_dict("records"):
        claim = claims.loc[g["claim_id"]]
        article = articles.loc[claim["article_id"]]
        appearance = {"@type": "CreativeWork", "headline": article["title"]}
        if article["url"]:
            appearance["url"] = article["url"]
        published = iso_date(article["date_shown"])
        if published:
            appearance["datePublished"] = published
        explanation = g.get("explanation")
        rating = {"@type": "Rating", "alternateName": g["rating_label"],
                  "bestRating": BEST_RATING, "worstRating": WORST_RATING,
                  "ratingExplanation": explanation if isinstance(explanation, str) and explanation else g["rationale"]}
        if pd.notna(g["rating_value"]):
            rating["ratingValue"] = int(g["rating_value"])
        out.append({
            "@context": "https://schema.org", "@type": "ClaimReview",
            "url": f"{report_url}#claim-{g['claim_id']}",
            "claimReviewed": claim["quote"],
            "itemReviewed": {"@type": "Claim", "text": claim["claim"], "appearance": appearance},
            "reviewRating": rating,
            "author": {"@type": "Organization", "name": f"litreview review '{review.name}'"},
            "datePublished": date,
        })
    return out


def write_claimreview(path: Path, reviews: list[dict]) -> None:
    path.write_text(json.dumps(reviews, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def studies_frame(library: list[Entry]) -> pd.DataFrame:
    fields = ["author", "year", "title", "journal", "volume", "number", "pages", "doi", "pmid", "url", "note"]
    return pd.DataFrame([{"study_key": e.key, **{f: e.get(f) for f in fields}} for e in library])


def write_workbook(path: Path, review: Review, grades: pd.DataFrame, audit: pd.DataFrame) -> None:
    """``evidence.xlsx``: claims, evidence, studies, risk of bias, grades, citation audit."""
    sheets = {
        "claims": review.claims.assign(cited_keys=review.claims["cited_keys"].str.join(" ")),
        "evidence": review.evidence,
        "studies": studies_frame(review.library),
        "risk of bias": review.rob,
        "grades": grades,
        "citation audit": audit,
        "searches": review.search_log.assign(claim_ids=review.search_log["claim_ids"].str.join(" ")),
    }
    write_sheets(path, sheets)  # text stays text: no cell becomes a formula


def write_bibliography(path: Path, library: list[Entry], keys: set[str] | None = None) -> None:
    """The studies the report cites, as BibTeX (fields in a fixed order)."""
    order = ["author", "title", "journal", "year", "volume", "number", "pages", "doi", "pmid", "url", "note"]
    blocks = []
    for e in sorted(library, key=lambda e: e.key):
        if keys is not None and e.key not in keys:
            continue
        lines = [f"@{e.entry_type}{{{e.key},"]
        lines += [f"  {f} = {{{e.get(f)}}}," for f in order + sorted(set(e.fields) - set(order)) if e.get(f)]
        blocks.append("\n".join(lines) + "\n}")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")


# --- the summary report (HTML and PDF) ---------------------------------------------------------

CITATION_STYLE = "harvard-cite-them-right"  # bundled with citeproc-py; one style throughout
# BibTeX entry type → CSL type; a journal article must not fall through to a type the style
# labels "[Preprint]"
CSL_TYPES = {"article": "article-journal", "book": "book", "inbook": "chapter", "incollection": "chapter",
             "inproceedings": "paper-conference", "misc": "webpage", "online": "webpage", "techreport": "report",
             "phdthesis": "thesis", "mastersthesis": "thesis"}


def format_bibliography(entries: list[Entry]) -> list[dict]:
    """Entries formatted by citeproc-py in :data:`CITATION_STYLE`, sorted as the style sorts."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    def csl(e: Entry) -> dict:
        people = []
        for name in split_authors(e.get("author")):
            if name.lower() == "others":
                continue
            if name.startswith("{"):
                people.append({"literal": delatex(name)})
            elif "," in name:
                family, given = (p.strip() for p in name.split(",", 1))
                people.append({"family": delatex(family), "given": delatex(given)})
            else:
                people.append({"literal": delatex(name)})
        csl_type = CSL_TYPES.get(e.entry_type.lower(), "article-journal")
        if csl_type == "article-journal" and not e.get("volume") and not e.get("pages"):
            # the style prints "[Preprint]" for a journal article with neither volume nor pages;
            # a published article whose record shows neither is set as a magazine-style article
            csl_type = "article-magazine"
        item = {"id": e.key, "type": csl_type,
                "title": delatex(e.get("title")), "publisher": delatex(e.get("publisher")),
                "URL": e.get("url") if e.entry_type.lower() in ("misc", "online") else None,
                "container-title": delatex(e.get("journal") or e.get("booktitle")), "volume": e.get("volume"),
                "issue": e.get("number"), "page": e.get("pages").replace("--", "-"), "DOI": e.get("doi")}
        if people:
            item["author"] = people
        if e.get("year").isdigit():
            item["issued"] = {"date-parts": [[int(e.get("year"))]]}
        return {k: v for k, v in item.items() if v}

    source = CiteProcJSON([csl(e) for e in entries])
    style = CitationStylesStyle(CITATION_STYLE, validate=False)
    bib = CitationStylesBibliography(style, source, formatter.plain)
    for e in entries:
        bib.register(Citation([CitationItem(e.key)]))
    by_key = {e.key: e for e in entries}
    out = []
    for key, item in zip(bib.keys, bib.bibliography()):
        text = str(item)
        e = by_key[key]
        url = e.get("url")
        if e.get("doi") and f"https://doi.org/{e.get('doi')}" in text:
            url = "" if url == f"https://doi.org/{e.get('doi')}" else url
        if e.get("pmid"):
            text += f" PMID: {e.get('pmid')}."
        out.append({"key": key, "text": text, "url": url})
    return out


def _figure_png(fig, dpi: int = 200) -> str:
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


HOLDS = ("supported", "accurate description", "partly supported", "partly accurate description")
FAILS = ("contradicted", "inaccurate description", "disputed", "overstated")


def article_headline(rows: pd.DataFrame, searched: set[str] = frozenset()) -> dict:
    """What holds, what does not, and what could harm a reader who believed it, for one
    article's graded claims (``rows``: claims merged with their grades). A claim could harm a
    reader when it is a safety statement or advice and the evidence searched for it is against
    it or lacking; one not yet searched (``searched``: the claims a logged search names, or
    with evidence rows) is listed apart as not judged yet."""
    testable = rows[rows["testable"].astype(bool)]
    holds = testable[testable["verdict"].isin(HOLDS)]
    fails = testable[testable["verdict"].isin(FAILS)]
    lacking = testable[testable["verdict"] == "unsupported"]
    risky = testable[(testable["category"] == "safety") | (testable["kind"] == "advice-safety")]
    looked_for = risky["claim_id"].isin(searched) | (risky["evidence_rows"].fillna(0) > 0)
    harm = risky[looked_for & risky["verdict"].isin((*FAILS, "unsupported"))]

    def listed(frame):
        return [{"claim_id": r["claim_id"], "claim": r["claim"], "verdict": r["verdict"]} for _, r in frame.iterrows()]

    return {"holds": listed(holds), "fails": listed(fails), "harm": listed(harm), "n_lacking": len(lacking),
            "n_testable": len(testable), "risky_unsearched": listed(risky[~looked_for])}


def report_context(assessment: Assessment, with_figures: bool = True) -> dict:
    """Everything the report template shows, from the review's assessment (no number typed,
    nothing graded or pooled again): one builder per section, each a small function of what it
    reads."""
    review, grades, audit, pooled = assessment.review, assessment.grades, assessment.audit, assessment.pooled
    claims = none_for_missing(review.claims.merge(
        grades.drop(columns=["article_id", "group", "category", "kind", "testable"]), on="claim_id", how="left"))
    ev = review.evidence
    testable = grades[grades["testable"]]
    gaps = missing_gaps(review, assessment)
    c = assessment.prisma
    verdict_tab = grading.verdict_table()
    return {
        "title": _title(review),
        "gaps": gaps,
        "lede": _lede(review, grades),
        "review": review.name, "date": review_date(review), "n_claims": len(review.claims),
        "n_studies": ev["study_key"].nunique(), "n_rows": len(ev),
        "sections": _contents(gaps),
        "verdict_counts": [(v, int(grades["verdict"].value_counts().get(v, 0))) for v in VERDICTS],
        "summary_paragraphs": _summary_paragraphs(review, assessment.judged, testable, audit),
        "key_claims": _key_claims(claims, review.searched_claims())[:14],
        "articles": _articles(review), "claim_tables": _claim_tables(review, claims),
        "sof": _summary_of_findings(claims, testable),
        "figures": _figures(assessment) if with_figures else [],
        "audit_intro": ("Each printed reference was compared field by field with the real record after normalising "
                        "case, punctuation, diacritics, author initials and page-range styles; the status follows from "
                        "that comparison."),
        "audit": none_for_missing(audit).to_dict("records"),
        "methods": _methods(review, assessment.judged, c, pooled, assessment.method),
        "scale_rows": verdicts.scale_table(),
        "status": status_section(review.study_status, ev),
        "verdict_columns": list(verdict_tab.columns),
        "verdict_rows": [(d, [(v.split(" (")[0], v.split(" (")[1].rstrip(")")) for v in verdict_tab.loc[d]])
                         for d in verdict_tab.index],
        "search_sources": [{"source": s, "searches": len(g), "first": g["date"].min(), "last": g["date"].max(),
                            "hits": int(g["hits"].sum())} for s, g in review.search_log.groupby("source")],
        "limitations": _limitations(assessment),
        "bibliography": _bibliography(review, audit),
        # every "<" escaped: quoted article text can neither close the block nor read as markup
        "jsonld": json.dumps(claimreviews(review, grades), ensure_ascii=False).replace("<", "\\u003c"),
        "css": (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8"),
    }


def _title(review: Review) -> str:
    """review.toml's title, else one naming the article (or counting the articles)."""
    if review.settings.get("title"):
        return review.settings["title"]
    titles = [t for t in review.articles["title"] if t]
    what = f"“{titles[0]}”" if len(review.articles) == 1 and titles else counted(len(review.articles), "article")
    return f"Do the claims hold up? A graded review of {what}"


def _contents(gaps: list[str]) -> list[tuple[str, str]]:
    """The report's sections in order: (anchor, heading)."""
    return [*([("missing", "What is missing")] if gaps else []), ("summary", "Executive summary"),
            ("articles", "The articles"), ("claims", "Claim by claim"), ("sof", "Summary of findings"),
            ("figures", "Figures"), ("audit", "The articles' own citations"),
            ("retractions", "Retractions and corrections"), ("methods", "Methods"), ("limitations", "Limitations"),
            ("bibliography", "Bibliography")]


def _lede(review: Review, grades: pd.DataFrame) -> str:
    """The paragraph under the title: what was checked, and the verdicts in brief."""
    counts = grades["verdict"].value_counts()
    articles = counted(len(review.articles), "popular article")
    if review.claims.empty:
        return f"No claims confirmed yet from {articles}."
    studies = counted(review.evidence["study_key"].nunique(), "study", "studies")
    return (f"{counted(len(review.claims), 'claim')} quoted from {articles} "
            f"{'was' if len(review.claims) == 1 else 'were'} checked against {studies}. "
            f"Supported or accurate at least in part: {sum(counts.get(v, 0) for v in HOLDS)}; "
            f"overstated: {counts.get('overstated', 0)}; disputed: {counts.get('disputed', 0)}; "
            f"unsupported: {counts.get('unsupported', 0)}; contradicted or inaccurate: "
            f"{counts.get('contradicted', 0) + counts.get('inaccurate description', 0)}; "
            f"statements of traditional theory that no experiment can test: {counts.get('not testable', 0)}.")


def _holds_sentence(testable: pd.DataFrame, best: pd.DataFrame, against: pd.DataFrame, no_evidence: list[str],
                    unsearched: list[str]) -> str:
    """The executive summary's first paragraph: how many testable claims hold, lean against, found
    nothing, or wait for a search; a count of none is said once, not listed as "(none)"."""
    if not len(testable):
        return "No testable claims yet."

    def ids(claims) -> str:
        return f" ({', '.join(claims)})" if len(claims) else ""

    parts = [f"Of {counted(len(testable), 'testable claim')}, "
             + (f"{counted(len(best), 'reaches', 'reach')} at least partial support{ids(best['claim_id'])}"
                if len(best) else "none reaches even partial support")
             + (f"; for {len(against)} the best evidence leans against the claim{ids(against['claim_id'])}."
                if len(against) else ".")]
    if no_evidence:
        parts.append(f"For {len(no_evidence)} no study was found{ids(no_evidence)}, which the grade counts against "
                     "the claim.")
    if unsearched:
        parts.append(f"{counted(len(unsearched), 'claim is', 'claims are')} not searched yet{ids(unsearched)}.")
    return " ".join(parts)


def _summary_paragraphs(review: Review, ev: pd.DataFrame, testable: pd.DataFrame, audit: pd.DataFrame) -> list[str]:
    """The executive summary: what holds, the evidence's directness, the articles' own references."""
    searched = review.searched_claims()
    without = testable.loc[testable["evidence_rows"] == 0, "claim_id"]
    no_evidence = [c for c in without if c in searched]
    unsearched = [c for c in without if c not in searched]
    best = testable[testable["verdict"].isin(HOLDS)]
    against = testable[testable["direction"].isin(["contradicts", "no-effect"])]
    indirect = (ev["indirectness"] != "none").mean() if len(ev) else 0
    graded = testable["certainty"].dropna()
    very_low = (graded == "very low").mean() if len(graded) else 0
    statuses = audit["status"].value_counts()
    return [
        _holds_sentence(testable, best, against, no_evidence, unsearched),
        (f"{indirect:.0%} of the evidence rows are indirect"
         + (f" ({review.settings['indirectness_examples']})" if "indirectness_examples" in review.settings else "")
         + (f". Certainty is very low for {very_low:.0%} of the graded claims, and a very low certainty cannot "
            "support a claim." if very_low >= 0.5 else f"; certainty is very low for {very_low:.0%} of the "
            "graded claims.")) if len(ev) else "No evidence has been recorded yet.",
        (f"Of the {len(audit)} references the articles print, "
         + ", ".join(f"{n} {s}" for s, n in statuses.items())
         + f"; {int((audit['supports_claims'] == 'yes').sum())} back the claims they are attached to.")
        if len(audit) else "The articles print no references of their own.",
    ]


def _key_claims(claims: pd.DataFrame, searched: set[str]) -> list[dict]:
    """The claims a reader should see first, each with why: safety, evidence against, the
    best supported, overstated, nothing found."""
    key_rows = []
    for _, r in claims.iterrows():
        why = []
        if r["category"] == "safety":
            why.append("a safety claim")
        if r["direction"] in ("contradicts", "no-effect"):
            why.append("the evidence leans against it")
        if r["verdict"] in HOLDS:
            why.append("the best-supported claims")
        if r["overstated"]:
            why.append("overstated")
        if r["testable"] and r["evidence_rows"] == 0:
            why.append("no study found" if r["claim_id"] in searched else "not searched yet")
        if why:
            key_rows.append({**r.to_dict(), "why": "; ".join(why)})
    key_rows.sort(key=lambda r: (r["verdict"] not in HOLDS, r["category"] != "safety", r["claim_id"]))
    return key_rows


def _articles(review: Review) -> list[dict]:
    return [{"title": a.title, "site": a.site, "date_shown": a.date_shown,
             "claims": int((review.claims["article_id"] == a.article_id).sum()),
             "refs": (f"{sum(1 for e in review.cited if e.get('article') == a.article_id)} "
                      "printed, none cited in the text") if a.has_references else "none"}
            for a in review.articles.itertuples()]


def study_label(entry: Entry) -> str:
    """``Dupuy et al. 2018``: how a study is named in a narrow column (its key, up to 32
    letters in one word, cannot be set there without breaking it)."""
    names = split_authors(delatex(entry.get("author")))
    first = names[0] if names else ""
    surname = first.split(",")[0].strip() if "," in first else (first.split() or [entry.key])[-1]
    return f"{surname}{' et al.' if len(names) > 1 else ''} {entry.get('year')}".strip()


def _claim_tables(review: Review, claims: pd.DataFrame) -> list[dict]:
    """Per article: its headline and its claims, each with its largest key studies."""
    ev = review.evidence

    entries = {e.key: e for e in review.library}

    def key_studies(row) -> list[dict]:
        ids = (row["primary_evidence"] or "").split()
        rows = ev[ev["evidence_id"].isin(ids)].copy()
        rows["n_sort"] = rows["n"].fillna(0).astype(float)
        keys = list(dict.fromkeys(rows.sort_values("n_sort", ascending=False)["study_key"]))[:3]
        return [{"key": k, "label": study_label(entries[k]) if k in entries else k} for k in keys]

    tables = []
    for a in review.articles.itertuples():
        mine = claims[claims["article_id"] == a.article_id]
        rows = [{**r.to_dict(), "key_studies": key_studies(r) if r["testable"] else []} for _, r in mine.iterrows()]
        headline = article_headline(mine, review.searched_claims()) if len(mine) else None
        tables.append({"title": a.title, "rows": rows, "headline": headline})
    return tables


def _summary_of_findings(claims: pd.DataFrame, testable: pd.DataFrame) -> list[dict]:
    """GRADE's Summary-of-Findings table per group of claims."""
    sof = []
    for group in sorted(testable["group"].unique()):
        rows = [{"claim_id": r["claim_id"], "claim": r["claim"], "studies": r["studies"],
                 "participants": r["participants"] or "—", "start": r["starting_certainty"],
                 "domains": [grading.domain_mark(r[d.replace(" ", "_")]) for d in DOMAINS],
                 "certainty": r["certainty"], "verdict": r["verdict"], "expert": r["expert_verdict"]}
                for _, r in claims[(claims["group"] == group) & claims["testable"]].iterrows()]
        sof.append({"name": group.replace("-", " "), "rows": rows})
    return sof


def _searches_methods(review: Review, c) -> str:
    """The searches sentence: how many, over which dates, what was read and included; on a review
    with no search logged yet, that."""
    log = review.search_log
    if log.empty:
        return "Searches. No search has been logged yet (search_log.csv has no rows)."
    first, last = min(log["date"]), review_date(review)
    when = f"on {first}" if first == last else f"between {first} and {last}"
    return (f"Searches. {counted(len(log), 'search', 'searches')} {when}, each logged with its query and the number of "
            f"records returned; {c.assessed} distinct records were read beyond the title and {c.included_records} "
            f"included. " + review.settings.get("search_strategy", "")).strip()


def _methods(review: Review, judged: pd.DataFrame, c, pooled, method: str) -> list[str]:
    """The methods section, its numbers from the tables and its thresholds from the grading."""
    return [
        (f"Claims. Every checkable statement of the articles was quoted exactly with its character offsets "
         f"({len(review.claims)} claims; sentences making several claims were split). Statements of traditional "
         "theory were recorded and marked not testable."),
        _searches_methods(review, c),
        *_screening_agreement_methods(review),
        _indirectness_methods(review, judged),
        *filter(None, [extraction_agreement_methods(review), rob_agreement_methods(review)]),
        ("Risk of bias. RoB 2 domains for randomised trials, the main AMSTAR 2 items for systematic reviews, and "
         "one design-based judgement for other designs; the overall judgement is derived from the domains."),
        ("Certainty. GRADE, computed, by the standard of each claim's kind: for an intervention, GRADE as its "
         "handbook states it (trials and their reviews start high, observational studies low, other designs very "
         "low); for a fact of physiology or anatomy, direct human measurement or a physiology reference may be "
         "high; for a description of a tradition, its standard reference; for advice and safety, clinical "
         "guidance and harm reports. Studies at high risk of bias and rows seriously indirect to the claim "
         "(another intervention, site or population) are set aside as context and never decide the direction. "
         "Domains are rated down only on GRADE's triggers, by weight (participants, each population counted "
         "once): risk of bias one level unless most of the weight is at low risk and two when most is at high "
         "risk (a review is judged by the risk of bias it reports for its trials, and a review silent on them "
         "counts as unclear); inconsistency when "
         f"{grading.OPPOSING_WEIGHT:.0%} or more of the weight points the other way, when a pooled or reported I² "
         f"is above {grading.I2_SERIOUS:.0%} (two levels above {grading.I2_VERY_SERIOUS:.0%} when the estimates also "
         "point different ways), when a review's test "
         "for heterogeneity or its own words show it, or when sham-controlled and other comparisons lean "
         "different ways (a review that reports none of these leaves its trials' consistency unknown: the "
         "grade's reason and What is missing say so, and it is not rated down); "
         f"indirectness when more than {grading.INDIRECT_WEIGHT:.0%} of the weight is "
         "indirect; imprecision when an interval crosses the decision threshold (two levels when it reaches "
         "appreciable benefit and appreciable harm), and otherwise when the information falls short: below "
         f"{grading.OPTIMAL_INFORMATION_SIZE} participants for a continuous outcome, below the events a trial "
         f"powered for a {certainty_rules.RELATIVE_RISK_REDUCTION:.0%} relative risk reduction needs for a "
         "dichotomous one (without its events, below the participants such a trial needs at the control "
         f"group's risk the rows report), two levels below {grading.VERY_SMALL_BODY} participants in all, whatever the "
         "interval; publication bias when every study is small and "
         "favourable or a review reports small-study effects. When a "
         "systematic review reports its own GRADE certainty for the outcome, the grade starts there and is rated "
         "down only for indirectness to the claim. Reviewer overrides, if any, are listed with their "
         "justification beside the computed value."),
        ("Verdicts. Direction and certainty stay apart: each claim gets Medizin Transparent's label (yes, "
         "probably, possibly; contradictory; evidence lacking; possibly, probably no) and a fact-check verdict "
         "derived from it, both mapped to a ClaimReview rating as tabulated below. A claim whose wording "
         "(\u201ceffectively\u201d, \u201csignificantly\u201d, \u201cwill help you heal faster\u201d) goes beyond "
         "low certainty or a small effect is marked overstated. Each graded claim leads with the reviewer's "
         "explanation in their own words."),
        (f"Pooling. Random effects ({METHODS[method]}) with τ² truncated at zero, I² from that τ² and a "
         "prediction interval, only across independent primary studies with the same measure among the rows a "
         "claim's grade rests on (its best design, not set aside, no retracted study), so the pooled estimate is "
         f"the one graded; below {HKSJ_BELOW} studies the interval is Hartung-Knapp-Sidik-Jonkman's; "
         f"{counted(len(list(pooled)), 'comparison')} qualified. "
         "Estimates from systematic reviews are shown unpooled, since two reviews may share trials."),
    ]


def _screening_agreement_methods(review: Review) -> list[str]:
    """With two screening reviewers, one paragraph: their agreement at each stage (percent and
    Cohen's kappa over the records both decided), the conflicts and how they were settled."""
    if review.reviewers_needed("screening") < 2:
        return []
    stages = screening_agreement(review.screening, review.settlements)
    text = ("Screening agreement. Two reviewers screened each record independently, neither seeing the other's "
            "decisions.")
    if not stages:
        return [text + " No record has been decided by both yet."]
    for a in stages:
        ways = [f"{n} settled by {how}" for n, how in ((a.by_consensus, "consensus"),
                                                       (a.by_third_reviewer, "a third reviewer")) if n]
        ways += [f"{a.unsettled} not settled yet"] if a.unsettled else []
        where = "title/abstract" if a.stage == "title-abstract" else "full text"
        text += (f" At {where}, both decided {counted(a.records, 'record')} and agreed on "
                 f"{a.records - a.conflicts} ({a.agreement:.0%}; Cohen's {_kappa(a.kappa)}); "
                 + (f"{counted(a.conflicts, 'conflict')}: {', '.join(ways)}." if a.conflicts else "no conflict."))
    return [text]


def _indirectness_methods(review: Review, judged: pd.DataFrame) -> str:
    """How indirectness was judged, and every override of the derived judgement with its reason."""
    answered = len(review.evidence) - len(review.unanswered_indirectness())
    text = (f"Indirectness. For each evidence row ({answered} of {len(review.evidence)} answered) four questions "
            "against the claim as the article states it: population (same, related, different), intervention "
            "with its body site and mode (same, related, different), comparator (fits, does not fit, none) and "
            "outcome (same, surrogate, different). The judgement is derived (GRADE guidelines 8): any "
            "'different', or indirect in two ways, answers another question and is set aside as context; one "
            "indirect answer rates down; an absent comparator is a matter of design.")
    over = indirectness.overrides(judged)
    if over.empty:
        return text + " No derived judgement was overridden."
    listed = "; ".join(f"{r.evidence_id} {r.derived} → {r.override} ({r.reason})" for r in over.itertuples())
    return text + f" Overridden by the reviewer, with the reason: {listed}."


def extraction_agreement_methods(review: Review) -> str | None:
    """How the rows were extracted by two reviewers and how well they agreed, from extractions.csv
    and reconciliation.csv (:func:`litreview.appraise.double.agreement`) and review.toml's
    ``[reviewers]``; None when no row was extracted twice."""
    a = double.agreement(review)
    if a is None:
        return None
    share = review.extraction_share
    if review.reviewers_needed("extraction") < 2:
        plan = "a check beyond the review's plan, whose review.toml names one extraction reviewer"
    elif share >= 1:
        plan = "every row to be extracted twice"
    else:
        plan = (f"the plan: every row that grades a claim, and a {share:.0%} sample of the rest drawn by hashing "
                "each row's id")
    settled = sum(a.settled.values())
    ways = ", ".join(f"{a.settled[k]} {what}" for k, what in (("first-kept", "by keeping the first reviewer's answer"),
                                                                ("second-taken", "by taking the second's"),
                                                                ("third-answer", "by a third answer"))
                     if a.settled.get(k))
    open_ = a.conflicts - settled
    return (f"Double extraction. Two reviewers extracted {a.rows} of {a.evidence_rows} evidence rows independently "
            f"({plan}), each blind to the other's answers. Agreement: direction {_kappa(a.direction_kappa)} over "
            f"{counted(a.direction_rows, 'row')} both judged; indirectness, derived from each reviewer's four "
            f"answers, {_kappa(a.indirectness_kappa)} over {counted(a.indirectness_rows, 'row')}; design identical in "
            f"{a.design_agreement:.0%} and n in {a.n_agreement:.0%} of the rows. "
            f"{counted(a.conflicts, 'field')} differed"
            + (f"; {settled} {'was' if settled == 1 else 'were'} settled with a reason ({ways})" if settled else "")
            + (f"; {open_} {'is' if open_ == 1 else 'are'} not settled yet" if open_ else "")
            + ". The consensus is what was graded.")


def rob_agreement_methods(review: Review) -> str | None:
    """Risk of bias judged by two reviewers: kappa per domain and how their conflicts were settled
    (:func:`litreview.appraise.double_rob.agreement`); None when no study was judged twice."""
    lines = double_rob.agreement(review)
    if lines is None:
        return None
    *domains, total = lines
    per = "; ".join(f"{d['domain'].replace('-', ' ')} {_kappa(d['kappa'])} "
                    f"({counted(d['studies'], 'study', 'studies')})" for d in domains)
    settled = sum(total["settled"].values())
    planned = counted(review.reviewers_needed("rob"), "risk-of-bias reviewer")
    return (f"Risk of bias by two reviewers. {counted(total['studies'], 'study', 'studies')} were judged by two "
            f"reviewers independently (review.toml: {planned})."
            f" Agreement per domain, over the studies "
            f"both judged with the same tool: {per or 'none judged with the same tool'}. "
            f"{counted(total['conflicts'], 'judgement')} differed; {settled} settled with a reason"
            + (f" ({', '.join(f'{v} {k}' for k, v in sorted(total['settled'].items()))})" if settled else "") + ".")


def _kappa(value: float | None) -> str:
    """Cohen's kappa as the Methods print it."""
    return "κ undefined (one answer throughout)" if value is None else f"κ {value:.2f}"


def rated_down(grades: pd.DataFrame) -> dict[str, int]:
    """GRADE domain → how many graded claims it rated down (serious or very serious), in the
    order of :data:`litreview.grade.grading.DOMAINS`; domains that rated none down are left out."""
    out = {}
    for d in DOMAINS:
        column = grades.get(d.replace(" ", "_"), pd.Series(dtype=object))
        n = int(column.isin(("serious", "very serious")).sum())
        if n:
            out[d] = n
    return out


def _rated_down_sentence(grades: pd.DataFrame) -> list[str]:
    """The domains that rated grades down, counted over the claims with evidence (a claim
    without any is very low for want of evidence, not rated down)."""
    graded = grades[grades["testable"].astype(bool) & (grades["evidence_rows"].fillna(0) > 0)]
    if graded.empty:
        return []
    down = rated_down(graded)
    if not down:
        return [f"No grade of the {counted(len(graded), 'claim')} with evidence was rated down in any GRADE domain."]
    return ["Grades were rated down for " + "; ".join(f"{d} in {counted(n, 'claim')}" for d, n in down.items())
            + f" (of {counted(len(graded), 'claim')} with evidence)."]


def _limitations(assessment: Assessment) -> list[str]:
    """What limits the review: the GRADE domains that rated grades down, risk of bias, the
    reviewer's own list, pooling, missing urls. Every sentence is counted from the grades."""
    review, grades, pooled = assessment.review, assessment.grades, assessment.pooled
    rob_some = assessment.rob_by_study
    share_some = sum(v == "some-concerns" for v in rob_some.values()) / max(1, len(rob_some))
    with_effects = assessment.effects
    return [
        *_rated_down_sentence(grades),
        *([f"{share_some:.0%} of the assessed studies have 'some concerns' about risk of bias."] if rob_some else []),
        *review.settings.get("limitations", []),
        *([("No two independent primary studies shared a comparable effect, so nothing was pooled; "
            "the forest plot shows reported estimates only.") if not list(pooled) else
           "Pooled estimates combine few studies; their prediction intervals are wide."] if len(with_effects) else []),
        *(["Some articles carry no web address, so their ClaimReview records name them by title only."]
          if (review.articles["url"].fillna("") == "").any() else []),
    ]


def _bibliography(review: Review, audit: pd.DataFrame) -> list[dict]:
    """The studies with evidence rows and those the articles' references matched or neared."""
    ev = review.evidence
    named = " ".join(audit["also_matches"].fillna("") + " " + audit["nearest_keys"].fillna("")).split()
    return format_bibliography([e for e in review.library if e.key in set(ev["study_key"])
                                or e.key in set(audit["matched_key"].dropna()) or e.key in named])


def _figures(assessment: Assessment) -> list[dict]:
    """The report's figures, each only when there is something to draw (a new review may
    have no searches or no evidence yet; the "what is missing" section says so). The forest
    plot shows the rows the assessment reads (no retracted study) and its pooled estimates."""
    review, grades, c, pooled = assessment.review, assessment.grades, assessment.prisma, assessment.pooled
    ev = review.evidence
    with_effects = assessment.effects
    rob_by_study = assessment.rob_by_study
    rob_shown = review.rob[review.rob["study_key"].isin(with_effects["study_key"])]
    candidates = [
        (len(grades), "fig-verdicts", "", lambda: plots.verdicts_by_certainty(grades),
         "Claims by final certainty, coloured by verdict."),
        (c.identified, "fig-prisma", "", lambda: plots.prisma_flow(c),
         "PRISMA 2020 flow of records, computed from the search log and the screening record."),
        (len(with_effects), "fig-forest", "wide-figure", lambda: plots.forest(with_effects, pooled=list(pooled)),
         "Effect estimates as their sources report them (95% intervals), by measure; green supports the claim, "
         "amber mixed, grey no effect, red contradicts. Mean differences are on each study's own scale."),
        (len(rob_shown), "fig-rob", "", lambda: plots.rob_traffic_lights(rob_shown, rob_by_study),
         "Risk of bias of the studies with effect estimates, by domain (RoB 2 for trials, AMSTAR 2 items for "
         "reviews)."),
        (len(ev), "fig-map", "wide-figure", lambda: plots.evidence_map(ev, review.claims),
         "Evidence map: claims against studies; colour is the direction, size the number of participants."),
    ]
    shown = [(fig_id, cls, draw, caption) for present, fig_id, cls, draw, caption in candidates if present]
    return [{"id": fig_id, "cls": cls, "png": _figure_png(draw()), "caption": f"Figure {i}. {caption}"}
            for i, (fig_id, cls, draw, caption) in enumerate(shown, 1)]


def render_html(context: dict) -> str:
    """The self-contained report: styles, figures and structured data inline, no external
    resource. Autoescaping makes every quoted article text inert."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=False)
    return env.get_template("report.html.j2").render(**context)


def write_pdf(html_text: str, path: Path) -> int:
    """Print the report with WeasyPrint (paged media: page numbers, TOC page references,
    PDF bookmarks from the headings). Returns the page count."""
    from weasyprint import HTML

    document = HTML(string=html_text, base_url=str(path.parent)).render()
    tmp = path.with_suffix(".tmp.pdf")
    document.write_pdf(tmp)
    tmp.replace(path)
    return len(document.pages)


def write_report(assessment: Assessment, output_dir: Path) -> dict:
    """The report's documents into ``output_dir``: summary.html, summary.pdf,
    claimreview.jsonld, evidence.xlsx, bibliography.bib (the tables are written beside them by
    :func:`litreview.report.build.write_exports`). Returns sizes."""
    review, grades, audit = assessment.review, assessment.grades, assessment.audit
    output_dir = Path(output_dir)
    html_text = render_html(report_context(assessment))
    (output_dir / "summary.html").write_text(html_text, encoding="utf-8")
    pages = write_pdf(html_text, output_dir / "summary.pdf")
    write_claimreview(output_dir / "claimreview.jsonld",
                      claimreviews(review, grades, review.settings.get("base_url", "")))
    write_workbook(output_dir / "evidence.xlsx", review, grades, audit)
    write_bibliography(output_dir / "bibliography.bib", review.library)
    return {"pages": pages, "html_bytes": len(html_text.encode("utf-8"))}
