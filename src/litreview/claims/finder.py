"""The claim finder: it proposes claim spans in new text (the quotes' offsets and their
check are in :mod:`litreview.tables.quotes`).

The finder (:func:`suggest`) knows nothing about any particular article: it splits text
into sentences and scores each by general cues of health-claim language — benefit and
causal verbs, hedges, dosage and duration phrases, safety warnings, anatomical location —
next to a health or body term. Its recall and precision against a curated claims table are
measured by ``benchmarks/claim_finder.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_W = r"(?:\b|(?<=\W))"

CUES: dict[str, str] = {
    # verbs of benefit, harm and cause, in their common inflections
    "benefit-verb": r"\b(?:improv|reduc|reliev|prevent|boost|increas|enhanc|promot|stimulat|"
                    r"strengthen|heal|cure|treat|alleviat|lower|protect|restor|regulat|eas(?:e|es|ing)\b|"
                    r"sooth|fight|repair|speed|recover|relax|calm|drain|activat|detox|eliminat|"
                    r"nourish|balanc|support|benefi|deliver|remov|break(?:s|ing)? up|burn|boost|"
                    r"unblock|clear|release|trigger|lessen|shrink|tone|firm|flush|cleans|purif|relie[fv])\w*",
    "causal": r"\b(?:caus\w*|leads? to|leading to|results? in|due to|because|thanks to|since|"
              r"by (?:applying|stimulating|pressing|reducing|improving|promoting)|which in turn|"
              r"helps?(?: to)?|works? by|through|(?:connected|linked|related) to|associated with|"
              r"(?:acts?|functions?|serves?|works?) as)\b",
    "hedge": r"\b(?:can|may|might|could|will|would)\b(?: \w+){0,2} (?:help|improve|reduce|relieve|"
             r"prevent|boost|increase|enhance|promote|be)\b|\b(?:is|are) (?:\w+ )?(?:believed|thought|"
             r"said|known|shown|associated|linked|used)\b|(?:positive|negative|beneficial) (?:effect|impact)|"
             r"\b(?:effective(?:ly)?|beneficial|powerful|proven|"
             r"significant(?:ly)?|natural way|important part)\b",
    "dosage": r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
              r"twenty|thirty|few)(?:[- ](?:or|to)[- ]\w+)?(?:[- ]plus)?[- ](?:seconds?|minutes?|"
              r"hours?|days?|weeks?|months?|sessions?|times|finger[- ]?widths?|cm|mm|inch(?:es)?)\b|"
              r"\b(?:daily|weekly|twice|once a|every day|per (?:day|week|leg|session)|a day\b)",
    "safety": r"\b(?:safe(?:ly|ty)?|harm\w*|risk\w*|danger\w*|side effects?|avoid\w*|"
              r"consult\w*|contraindicat\w*|caution|warning|hurt\w*|injur\w*|overdo\w*|"
              r"excessive|too much|over\w*ing|(?:should|must) not|doctor|physician|medical advice)\b",
    "comparison": r"\b(?:better|faster|quicker|easier|stronger|healthier|more efficient(?:ly)?|"
                  r"no comparison|compared (?:to|with)|rather than|instead of|(?:more|less) than)\b",
    "instruction": r"^(?:\w+, )?(?:start|begin|use|apply|press|rub|give|soak|try|avoid|combine|"
                   r"consult|hold|repeat|place|move|stretch|take|keep|don[’']t|never|always|"
                   r"make sure|remember)\b",
    "evaluation": r"\b(?:(?:a )?good thing|worth it|helpful|useful|valuable|ideal for|perfect for|"
                  r"great for|good for|bad for|essential for|crucial for)\b",
    "location": r"\b(?:located|situated|lies|found) (?:\w+ ){0,3}(?:below|above|on|in|at|between|"
                r"behind)\b|\b(?:below|above) the (?:knee|ankle|elbow|wrist|navel)\w*",
}

HEALTH_TERMS = (
    r"\b(?:pain\w*|ach\w*|blood|circulat\w*|vein\w*|arter\w*|heart|cardio\w*|immun\w*|"
    r"digest\w*|stomach|bowel|gut|constipat\w*|nause\w*|sleep\w*|insomnia|stress\w*|anxi\w*|"
    r"mood|depress\w*|inflamm\w*|swell\w*|oedema|edema|muscle\w*|tendon\w*|nerv\w*|"
    r"endorphin\w*|hormon\w*|toxin\w*|lymph\w*|energy|fatigue|metabol\w*|recover\w*|"
    r"injur\w*|heal\w*|health\w*|organ\w*|liver|kidney\w*|gallbladder|clot\w*|thromb\w*|"
    r"cramp\w*|tension|tight\w*|knots?|adhesions?|mobility|flexib\w*|gait|performance|"
    r"oxygen|nutrients?|wellness|well\s*-\s*being|vitality|symptom\w*|disease\w*|"
    r"arthrit\w*|sciatica|spine|joint\w*|skin|weight|fat|size|body|"
    r"qi|meridian\w*|acupressure|acupuncture|massag\w*|therap\w*|point\w*|"
    # body parts
    r"head|neck|shoulders?|arms?|hands?|wrists?|back|hips?|legs?|thighs?|knees?|calf|calves|"
    r"shins?|ankles?|feet|foot|toes?|chest|abdom\w*|limbs?|extremit\w*)\b"
)

_COMPILED = {name: re.compile(p, re.I) for name, p in CUES.items()}
_HEALTH = re.compile(HEALTH_TERMS, re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_ANAPHOR = re.compile(r"^(?:\w+, )?(?:this|that|these|those|it|they)\b", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def sentences(text: str) -> list[Sentence]:
    """Split into sentences with offsets: at line breaks, and after ``.!?`` followed by a
    capital. Bullet markers are excluded from the span."""
    out = []
    for line in re.finditer(r"[^\n]+", text):
        base = line.start()
        body = line.group()
        bullet = _BULLET.match(body)
        offset = bullet.end() if bullet else 0
        pieces = _SENTENCE_END.split(body[offset:])
        pos = base + offset
        for piece in pieces:
            at = text.index(piece, pos) if piece else pos
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                out.append(Sentence(at + lead, at + lead + len(stripped), stripped))
            pos = at + len(piece)
    return out


def _is_heading(s: Sentence, text: str) -> bool:
    """A whole line in Title Case without a closing full stop: a heading, not a claim."""
    line_start = text.rfind("\n", 0, s.start) + 1
    line_end = text.find("\n", s.end)
    whole_line = text[line_start:line_end if line_end != -1 else len(text)].strip() == s.text
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", s.text) if w.lower() not in _SMALL_WORDS]
    capitalised = sum(w[0].isupper() for w in words)
    return whole_line and not s.text.endswith(".") and bool(words) and capitalised / len(words) >= 0.6


_SMALL_WORDS = frozenset("a an the of on in for and to with at by from or as is are does do how why "
                         "what when through".split())


def cues(sentence: str) -> list[str]:
    """Names of the claim cues present in a sentence."""
    return [name for name, rx in _COMPILED.items() if rx.search(sentence)]


def suggest(text: str, min_score: int = 1) -> pd.DataFrame:
    """Candidate claim spans of an article it has never seen.

    A sentence is proposed when it names a health or body term (or opens with a pronoun
    pointing back at a proposed sentence: "That's what ... do") and shows at least
    ``min_score`` cue types, or when it shows a strong cue (dosage, safety, location,
    instruction) on its own. Sentences of fewer than four words (headings) are skipped.
    Returns ``start, end, quote, cues, category_guess, score``, sorted by position."""
    rows = []
    previous_proposed = False
    for s in sentences(text):
        found = cues(s.text)
        health = bool(_HEALTH.search(s.text)) or (previous_proposed and bool(_ANAPHOR.match(s.text)))
        strong = {"dosage", "safety", "location", "instruction"} & set(found)
        score = len(found)
        previous_proposed = False
        if len(s.text.split()) < 4 or _is_heading(s, text):
            continue
        if (health and score >= min_score) or strong:
            previous_proposed = True
            rows.append({"start": s.start, "end": s.end, "quote": s.text,
                         "cues": " ".join(found), "category_guess": _guess(s.text, found),
                         "score": score})
    frame = pd.DataFrame(rows, columns=["start", "end", "quote", "cues", "category_guess", "score"])
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def _guess(text: str, found: list[str]) -> str:
    if re.search(r"\b(?:qi|meridian\w*|yin|yang|chakra\w*)\b", text, re.I):
        return "traditional-theory"
    if "location" in found:
        return "anatomy"
    if "dosage" in found:
        return "dosage"
    if "safety" in found:
        return "safety"
    if "causal" in found and "hedge" not in found:
        return "mechanism"
    return "efficacy"


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def evaluate(suggested: pd.DataFrame, claims: pd.DataFrame) -> dict[str, float]:
    """Recall: share of curated claims whose span overlaps a suggestion. Precision: share of
    suggestions that overlap at least one curated claim. Both on one article's offsets.

    Lenient: one sentence-long suggestion over three claims counts all three found; see
    :func:`matched` for the one-to-one measure."""
    overlaps = _overlaps
    hit_claims = sum(any(overlaps(c.start, c.end, s.start, s.end) for s in suggested.itertuples())
                     for c in claims.itertuples())
    hit_suggestions = sum(any(overlaps(c.start, c.end, s.start, s.end) for c in claims.itertuples())
                          for s in suggested.itertuples())
    return {"claims": len(claims), "suggested": len(suggested), "claims_found": hit_claims,
            "suggestions_on_claims": hit_suggestions,
            "recall": hit_claims / len(claims) if len(claims) else float("nan"),
            "precision": hit_suggestions / len(suggested) if len(suggested) else float("nan")}


def matched(suggested: pd.DataFrame, claims: pd.DataFrame) -> dict:
    """One-to-one recall and precision: each curated claim may be found by one suggestion and
    each suggestion may find one claim (a maximum matching of overlapping spans, so a sentence
    bundling three claims finds one of them). ``pairs`` are ``(suggestion row, claim row)``
    positions; ``category_agrees`` counts the matched pairs whose guess is the claim's category."""
    sug = list(suggested[["start", "end"]].itertuples(index=False))
    cla = list(claims[["start", "end"]].itertuples(index=False))
    edges = [[j for j, c in enumerate(cla) if _overlaps(s.start, s.end, c.start, c.end)] for s in sug]
    owner: dict[int, int] = {}  # claim position -> suggestion position

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(sug)):
        augment(i, set())
    pairs = sorted((i, j) for j, i in owner.items())
    guesses = list(suggested["category_guess"]) if "category_guess" in suggested else [None] * len(sug)
    categories = list(claims["category"]) if "category" in claims else [None] * len(cla)
    agree = sum(guesses[i] == categories[j] for i, j in pairs)
    return {"claims": len(cla), "suggested": len(sug), "matched": len(pairs), "pairs": pairs,
            "category_agrees": agree,
            "recall": len(pairs) / len(cla) if cla else float("nan"),
            "precision": len(pairs) / len(sug) if sug else float("nan")}
