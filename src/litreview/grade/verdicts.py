"""From a graded body of evidence to the words a reader sees: two verdict scales, the
overstatement rule, and the schema.org ClaimReview rating.

Direction and certainty stay apart. The *expert* label says both at once, on the scale of
Medizin Transparent (Danube University Krems / Cochrane Austria), whose rating criteria
read a GRADE-style certainty and the direction of the evidence into one label:

- certainty high → "yes" / "no", moderate → "probably", low → "possibly" (the criteria of
  April 2017, https://www.medizin-transparent.at/ueber/bewertung);
- results of at least moderately informative studies that contradict each other →
  "contradictory"; evidence too thin to judge (here: very low certainty, or none) →
  "evidence lacking" ("nicht (ausreichend) erforscht");
- a small effect adds "a little" ("ein bisschen", the current criteria,
  https://medizin-transparent.at/ueber-uns/bewertungs-kriterien/).

The *fact-check* label is the one-word verdict a fact-checker publishes; it is a function of
the expert label, the claim's kind and the overstatement flag (:data:`FACT_CHECK`). Both map
to a ClaimReview ``ratingValue`` from 1 (false) to 5 (true) (:data:`RATING_VALUE`); the
report prints the whole mapping.
"""

from __future__ import annotations

import re

from ..tables.schema import EXPERT_VERDICTS, VERDICTS

# --- the expert scale ---------------------------------------------------------------------------

# certainty → the hedge Medizin Transparent puts before yes/no (criteria of April 2017)
HEDGE = {"high": "", "moderate": "probably ", "low": "possibly "}

# SMD below this is a small effect: Cohen (1988), Statistical Power Analysis for the Behavioral
# Sciences, 2nd ed., ch. 2: 0.2 small, 0.5 medium, 0.8 large. An effect under "medium" is what
# Medizin Transparent's "a little" describes.
SMALL_SMD = 0.5


def expert_label(direction: str, certainty: str | None, small_effect: bool = False,
                 kind: str = "intervention") -> str:
    """The Medizin Transparent label for a body of evidence leaning ``direction`` at
    ``certainty``. ``direction``: supports, contradicts, no-effect, mixed or none. The scale
    answers "does it work / is it true"; a description of a tradition (``kind``
    "tradition") or traditional theory gets "not applicable", so that an accurate description
    never reads as a "yes"."""
    if certainty is None or kind in ("tradition", "traditional-theory"):
        return "not applicable"
    if direction == "none" or certainty == "very low":
        return "evidence lacking"
    if direction == "mixed":
        return "contradictory"
    answer = "yes" if direction == "supports" else "no"
    label = HEDGE[certainty] + answer
    return label + ", a little" if small_effect and answer == "yes" else label


# --- the fact-check scale --------------------------------------------------------------------

# expert label (without ", a little") → fact-check verdict, for claims about an effect or a
# fact of physiology, advice or safety
FACT_CHECK = {
    "yes": "supported",
    "probably yes": "supported",
    "possibly yes": "partly supported",
    "contradictory": "disputed",
    "evidence lacking": "unsupported",
    "possibly no": "contradicted",
    "probably no": "contradicted",
    "no": "contradicted",
}
# a descriptive claim about a tradition (where a point lies) is judged against the
# tradition's own standard; "accurate" never reads as support for an effect
DESCRIPTION = {"supports": "accurate description", "mixed": "partly accurate description",
               "contradicts": "inaccurate description", "no-effect": "inaccurate description"}


def fact_check(expert: str, kind: str, direction: str, overstated: bool, certainty: str | None = None) -> str:
    """The fact-check verdict. An overstated claim that some evidence backs reads
    "overstated" instead of supported or partly supported. A description of a tradition is
    judged accurate or not unless its certainty is very low."""
    if kind == "traditional-theory":
        return "not testable"
    if kind == "tradition":
        return DESCRIPTION[direction] if direction in DESCRIPTION and certainty not in (None, "very low") \
            else "unsupported"
    verdict = FACT_CHECK[expert.removesuffix(", a little")]
    if overstated and verdict in ("supported", "partly supported"):
        return "overstated"
    return verdict


# ClaimReview ratingValue, 1 (false) … 5 (true): the scale schema.org's examples and the
# fact-checkers' Rating use (bestRating 5, worstRating 1)
BEST_RATING, WORST_RATING = 5, 1
RATING_VALUE = {
    "supported": 5, "accurate description": 5,
    "partly supported": 4, "partly accurate description": 4,
    "overstated": 3, "disputed": 3, "unsupported": 2,
    "contradicted": 1, "inaccurate description": 1,
}
assert set(RATING_VALUE) | {"not testable"} == set(VERDICTS), "every verdict needs a rating"


def rating(verdict: str, expert: str, certainty: str | None) -> tuple[int | None, str]:
    """``(ratingValue, alternateName)`` for ClaimReview; not-testable claims carry no number.
    The name says both scales and the certainty, e.g. "Contradicted: possibly no (low
    certainty)"."""
    if verdict == "not testable":
        return None, "Not testable"
    detail = f"{expert} ({certainty} certainty)" if expert != "not applicable" else f"{certainty} certainty"
    return RATING_VALUE[verdict], f"{verdict.capitalize()}: {detail}"


def scale_table() -> list[dict]:
    """Every expert label with the fact-check verdict and the ClaimReview rating it gives, for
    the report's methods."""
    rows = []
    for expert in EXPERT_VERDICTS:
        if expert == "not applicable":
            continue
        verdict = FACT_CHECK[expert.removesuffix(", a little")]
        rows.append({"expert": expert, "verdict": verdict, "rating": RATING_VALUE[verdict]})
    rows += [{"expert": "(a description of a tradition)", "verdict": v, "rating": RATING_VALUE[v]}
             for v in dict.fromkeys(DESCRIPTION.values())]
    rows.append({"expert": "(evidence backs it, wording goes further)", "verdict": "overstated",
                 "rating": RATING_VALUE["overstated"]})
    return rows


# --- overstatement -----------------------------------------------------------------------------

# Wording that asserts more than "it may help": strength, certainty, speed or perfection.
# Health-claim guidance treats these as claims of their own (e.g. the EU's Regulation (EC)
# No 1924/2006, art. 3 and 5: a claim must not be misleading about the extent of a benefit;
# the UK CAP Code, rule 12.1 and 3.7, "efficacy" and "objective claims"). One list, matched as
# whole words, case-insensitively.
OVERSTATEMENT_CUES = {
    "strength": r"effective(?:ly)?|significant(?:ly)?|powerful(?:ly)?|dramatic(?:ally)?|extraordinar(?:y|ily)"
                r"|greatly|profound(?:ly)?|remarkabl[ey]|strongly|particularly beneficial|more efficiently",
    "certainty": r"definitely|certainly|proven|guarantee[ds]?|always|will (?:help|heal|improve|cure|make|reduce)",
    "speed": r"quick(?:ly)?|fast(?:er)?|rapid(?:ly)?|instant(?:ly)?|immediate(?:ly)?",
    "perfection": r"perfect|best|miracle|cures?",
}
_CUES = re.compile(r"\b(?:" + "|".join(OVERSTATEMENT_CUES.values()) + r")\b", re.IGNORECASE)


def overstatement_cues(quote: str) -> list[str]:
    """The overstating words of a quote, in order, lower-cased and without repeats."""
    return list(dict.fromkeys(m.group(0).lower() for m in _CUES.finditer(quote or "")))


def overstatement(quote: str, kind: str, direction: str, certainty: str | None,
                  small_effect: bool) -> str:
    """Why a claim asserts more than its evidence shows, or "" when it does not.

    A claim is overstated when its wording is strong (:data:`OVERSTATEMENT_CUES`) and the
    evidence leans its way but only at low or very low certainty, or shows a small effect.
    Evidence that leans against a claim makes it contradicted, not overstated."""
    if kind in ("traditional-theory", "tradition") or direction not in ("supports", "mixed"):
        return ""
    cues = overstatement_cues(quote)
    if not cues:
        return ""
    weak = certainty in ("low", "very low")
    if not (weak or small_effect):
        return ""
    because = [f"{certainty} certainty"] if weak else []
    if small_effect:
        because.append(f"a small effect (SMD below {SMALL_SMD})")
    return f"the wording ({', '.join(cues)}) goes beyond {' and '.join(because)}"


# --- an explanation may name a verdict only if it is the computed one ------------------------

_LABELS = sorted({*VERDICTS, *(e.removesuffix(", a little") for e in EXPERT_VERDICTS if " " in e)},
                 key=len, reverse=True)
_LABEL_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(v) for v in _LABELS) + r")(?![\w-])", re.IGNORECASE)


def verdicts_named(text: str) -> set[str]:
    """The verdict labels of either scale a text names (longest match first, so "partly
    supported" is not also read as "supported"; one-word expert labels "yes"/"no" are too
    common in prose to count)."""
    return {m.group(1).lower() for m in _LABEL_RE.finditer(text or "")}
