"""A labelled, fictional record table for testing and timing litreview.collect.dedup.

    from dedup_generator import generate
    records, groups = generate(100_000, seed=0)

Every record is invented: titles are strings of words from a small medical vocabulary,
authors are made-up names, journals are "Journal of ..." names, DOIs use the 10.5555/ test
prefix and PMIDs are random digits. About a third of the records are duplicates of a work
already in the table, written the way another database would export it: case, punctuation
and diacritics changed, DOI or PMID missing, journal abbreviated, title truncated, pages as
``447-54`` or ``447–454``, the first author as ``Smith, John``, ``Smith J`` or ``J. Smith``,
now and then the year of print one later than the year of the e-print.

Near-twins that are *not* duplicates are mixed in, each a separate work: a conference
abstract and its later paper (another year, journal and pages), an erratum ("Erratum:",
"Correction to:"), a reply or comment ("Reply to:", "Comment on:"), a trial protocol and its
results paper, the parts of a series ("Part 1", "Part 2") and one title published again in a
later year; plus short generic titles ("Editorial") by different authors.

``groups`` lists every record in exactly one group (singletons included); the table is
shuffled, so a group's first record in table order is the one a de-duplicator keeps.
Deterministic for a seed.
"""

from __future__ import annotations

import random

import pandas as pd

from litreview.collect.importers import RECORD_COLUMNS

WORDS = ("acute adults analysis association blood cancer care chronic clinical cohort control "
         "disease dose early effect efficacy elderly evidence exercise factor function health heart "
         "hospital infection injury intervention kidney liver long lung management massage model "
         "mortality muscle outcome pain patients placebo plasma pressure prevention primary quality "
         "randomised recovery renal response risk safety screening sleep stress stroke surgery "
         "survival symptoms therapy tissue training treatment trial tumour vitamin women young "
         "activity brain calcium diet fatigue fracture glucose growth immune insulin joint knee "
         "lesion marker nerve obesity oxygen protein recurrent serum skin spine tendon vascular "
         "weight wound anxiety asthma bone cardiac cell child cognitive dental fever gene").split()
LINKS = ("of", "in", "for", "and", "with", "after", "during", "among", "versus", "on")
SYLLABLES = ("ka to mi ra sen lo vi da nor ber gu fe lan tis mo re ha pol ske vin "
             "dor al ma ne ko sti bru che ri").split()
ACCENTED = {"a": "á", "e": "é", "o": "ö", "u": "ü", "i": "í", "n": "ñ", "c": "ç"}
JOURNAL_TOPICS = ("Example Medicine", "Test Surgery", "Sample Cardiology", "Fictional Oncology",
                  "Imaginary Paediatrics", "Model Nursing", "Trial Methods", "Demo Physiotherapy",
                  "Invented Neurology", "Placeholder Nephrology", "Synthetic Dermatology",
                  "Mock Rheumatology")
GENERIC_TITLES = ("Editorial", "Introduction", "Letter from the editor", "Commentary", "Preface",
                  "In this issue")


def _abbreviate(journal: str) -> str:
    """``Journal of Example Medicine`` -> ``J Exam Med``."""
    words = [w for w in journal.split() if w.lower() not in ("of", "the", "and")]
    return " ".join(w[0] if w == "Journal" else w[:4] for w in words)


def _short_last(first: int, last: int) -> str:
    """The last page as MEDLINE writes it: ``447-454`` -> ``54``."""
    a, b = str(first), str(last)
    if len(a) != len(b):
        return b
    same = next(k for k in range(len(a)) if a[k] != b[k])
    return b[same:]


class _Maker:
    """Random fictional works and their exported variants, from one seeded generator."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)
        self.journals = [f"Journal of {topic}" for topic in JOURNAL_TOPICS] + [
            f"{prefix} Journal of {topic}" for prefix in ("International", "European", "Asian")
            for topic in JOURNAL_TOPICS]
        self.families = sorted({self._name(2, 4) for _ in range(6000)})
        self.given = sorted({self._name(2, 3) for _ in range(400)})
        self.ids: set[str] = set()

    def _name(self, low: int, high: int) -> str:
        return "".join(self.rnd.choice(SYLLABLES) for _ in range(self.rnd.randint(low, high))).capitalize()

    def _token(self, digits: int) -> str:
        while True:
            token = "".join(self.rnd.choice("0123456789") for _ in range(digits))
            if token[0] != "0" and token not in self.ids:
                self.ids.add(token)
                return token

    def title(self) -> str:
        r = self.rnd
        words = [r.choice(WORDS) for _ in range(r.randint(7, 14))]
        for k in range(2, len(words) - 1, r.randint(2, 4)):
            words.insert(k, r.choice(LINKS))
        if r.random() < 0.3:
            words.insert(r.randint(3, len(words) - 1), f"{r.choice(WORDS)}-{r.choice(WORDS)}")
        if r.random() < 0.3:
            words[len(words) // 2] += ":"
        return " ".join(words).capitalize()

    def authors(self) -> list[tuple[str, str]]:
        r = self.rnd
        names = []
        for _ in range(r.randint(1, 6)):
            family = r.choice(self.families)
            if r.random() < 0.1:  # a diacritic another database may drop
                k = r.randrange(len(family))
                family = family[:k] + ACCENTED.get(family[k], family[k]) + family[k + 1:]
            names.append((family, r.choice(self.given)))
        return names

    def work(self, **fixed) -> dict:
        r = self.rnd
        first = r.randint(1, 2400)
        work = dict(title=self.title(), authors=self.authors(), journal=r.choice(self.journals),
                    year=r.randint(1975, 2024), volume=str(r.randint(1, 180)), issue=str(r.randint(1, 12)),
                    first=first, last=first + r.randint(0, 14),
                    doi=f"10.5555/{self._token(7)}" if r.random() < 0.75 else "",
                    pmid=self._token(8) if r.random() < 0.6 else "", entry_type="article")
        work.update(fixed)
        return work

    # --- near-twins: distinct works derived from a work ----------------------------------------

    def twins(self, base: dict) -> list[dict]:
        """One kind of near-twin of ``base``: extra distinct works (and ``base`` may change)."""
        r = self.rnd
        fresh = dict(doi=f"10.5555/{self._token(7)}" if base["doi"] else "",
                     pmid=self._token(8) if base["pmid"] else "")
        later = dict(first=base["last"] + r.randint(20, 400))
        later["last"] = later["first"] + r.randint(0, 2)
        kind = r.choice(("abstract", "erratum", "reply", "protocol", "parts", "reprint"))
        if kind == "abstract":
            return [dict(base, **fresh, year=base["year"] - 1, journal=f"Abstracts of the {r.randint(2, 40)}th "
                         f"Congress of {r.choice(JOURNAL_TOPICS)}", volume=str(r.randint(1, 180)),
                         first=r.randint(1, 900), last=0, entry_type="conference")]
        if kind == "erratum":
            prefix = r.choice(("Erratum: ", "Correction to: ", "Corrigendum to: "))
            return [dict(base, **fresh, **later, title=prefix + base["title"])]
        if kind == "reply":
            prefix = r.choice(("Reply to: ", "Response to: ", "Comment on: ", "In reply: "))
            return [dict(base, **fresh, **later, title=prefix + base["title"], authors=self.authors())]
        if kind == "protocol":
            stem = base["title"].rstrip(":")
            base["title"] = f"{stem}: a randomised controlled trial"
            return [dict(base, **fresh, title=f"{stem}: protocol for a randomised controlled trial",
                         year=base["year"] - r.randint(1, 4), journal="Journal of Trial Methods",
                         volume=str(r.randint(1, 180)), first=r.randint(1, 900), last=0)]
        if kind == "parts":
            numerals = r.choice((("1", "2"), ("I", "II")))
            stem = base["title"].rstrip(":")
            base["title"] = f"{stem}. Part {numerals[0]}"
            return [dict(base, **fresh, **later, title=f"{stem}. Part {numerals[1]}")]
        return [dict(base, **fresh, year=base["year"] + r.randint(2, 8), volume=str(int(base["volume"]) + 3),
                     first=r.randint(1, 2400), last=0)]

    # --- exported records ------------------------------------------------------------------------

    def export(self, work: dict, duplicate: bool) -> dict:
        """The record of ``work`` as one database shows it; a duplicate varies the details."""
        r = self.rnd
        title, journal, year = work["title"], work["journal"], str(work["year"])
        first, last = work["first"], max(work["last"], work["first"])
        pages = f"{first}-{last}" if last > first else str(first)
        name_style = 0
        doi, pmid, volume, issue = work["doi"], work["pmid"], work["volume"], work["issue"]
        if duplicate:
            title = self._vary_title(title)
            if r.random() < 0.4:
                journal = _abbreviate(journal)
            if r.random() < 0.4 and last > first:
                pages = r.choice((f"{first}-{_short_last(first, last)}", f"{first}–{last}", f"{first}--{last}"))
            name_style = r.randint(0, 2)
            doi = doi if r.random() < 0.6 else ""
            doi = doi.upper() if doi and r.random() < 0.2 else doi
            pmid = pmid if r.random() < 0.5 else ""
            if r.random() < 0.08:
                volume, issue = "", ""
            if r.random() < 0.05:
                pages = ""
            if r.random() < 0.03 and volume:
                year = str(work["year"] + 1)  # year of print after the e-print
        return dict(entry_type=work["entry_type"], authors="; ".join(self._name_as(n, name_style, duplicate)
                                                                    for n in work["authors"]),
                    title=title, journal=journal, year=year, volume=volume, issue=issue, pages=pages,
                    doi=doi, pmid=pmid, abstract="")

    def _vary_title(self, title: str) -> str:
        r = self.rnd
        change = r.random()
        if change < 0.25:
            title = title.lower()
        elif change < 0.4:
            title = title.upper()
        elif change < 0.55:
            title = title.title()
        if r.random() < 0.3:
            title += "."
        if r.random() < 0.2:
            title = title.replace("-", " ").replace(":", " -")
        if r.random() < 0.15:
            title = "".join(ACCENTED.get(c, c) if r.random() < 0.05 else c for c in title)
        words = title.split()
        if r.random() < 0.08 and len(words) >= 12:
            title = " ".join(words[: int(len(words) * r.uniform(0.75, 0.9))])
        elif r.random() < 0.05:  # a typo
            k = r.randrange(len(title))
            title = title[:k] + title[k + 1:]
        return title

    def _name_as(self, name: tuple[str, str], style: int, duplicate: bool) -> str:
        family, given = name
        if duplicate and self.rnd.random() < 0.5:
            family = family.translate(str.maketrans("áéöüíñç", "aeouinc"))
        return (f"{family}, {given}", f"{family} {given[0]}", f"{given[0]}. {family}")[style]


def generate(n_records: int, seed: int = 0) -> tuple[pd.DataFrame, list[list[str]]]:
    """``n_records`` fictional records (``RECORD_COLUMNS``, shuffled) and the true groups of
    duplicates (record ids; every record in exactly one group, singletons included)."""
    maker = _Maker(seed)
    r = maker.rnd
    exported: list[tuple[int, dict]] = []  # (work number, record)
    n_works = 0
    while len(exported) < n_records:
        if r.random() < 0.01:
            works = [maker.work(title=r.choice(GENERIC_TITLES), doi="", pmid="")]
        else:
            base = maker.work()
            works = [base] + (maker.twins(base) if r.random() < 0.08 else [])
        for work in works:
            copies = 1 + (r.choices((0, 1, 2, 3), weights=(60, 28, 9, 3))[0] if work is works[0] else
                          r.choices((0, 1), weights=(70, 30))[0])
            for copy in range(copies):
                exported.append((n_works, maker.export(work, duplicate=copy > 0)))
            n_works += 1
    exported = exported[:n_records]
    r.shuffle(exported)
    rows, members = [], {}
    for n, (work, record) in enumerate(exported, start=1):
        record_id = f"generated:{n}"
        rows.append(dict(record, record_id=record_id, source_file="generated.ris", source_line=str(n),
                         search_id=r.choice(("search-a", "search-b", "search-c"))))
        members.setdefault(work, []).append(record_id)
    records = pd.DataFrame(rows, columns=list(RECORD_COLUMNS), dtype=object)
    return records, list(members.values())
