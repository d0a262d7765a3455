"""The claim finder: it proposes claim spans in new text (the quotes' offsets and their
check are in :mod:`litreview.tables.quotes`).

The finder (:func:`suggest`) knows nothing about any particular article: it splits text
into sentences and scores each by general cues of health-claim language — benefit and
causal verbs, hedges, dosage and duration phrases, safety warnings, anatomical location —
next to a health or body term. A proposed sentence is cut into its claims (:func:`parts`:
"reduces soreness, improves circulation and eases tension" is three), and each claim's
category is guessed from its own predicate (:func:`guess_category`), not from a keyword
anywhere in the sentence. Its recall and precision, against the shipped review's claims and
against labelled articles it was never tuned on, are measured by
``benchmarks/claim_finder.py`` (one-to-one: a sentence bundling three claims finds one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..tables.schema import SENTENCE_BREAK

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
        pieces = SENTENCE_BREAK.split(body[offset:])
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
    """Candidate claim spans of an article it has never seen, one per claim.

    A sentence is proposed when it names a health or body term (or opens with a pronoun
    pointing back at a proposed sentence: "That's what ... do") and shows at least
    ``min_score`` cue types, or when it shows a strong cue (dosage, safety, location,
    instruction) on its own. Sentences of fewer than four words (headings) are skipped.
    A proposed sentence that bundles claims is split (:func:`parts`): one suggestion per
    benefit, each with its own span and a category guessed from its own predicate
    (:func:`guess_category`). Returns ``start, end, quote, cues, category_guess, score``,
    sorted by position."""
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
            for start, end in parts(s.text):
                quote = s.text[start:end]
                rows.append({"start": s.start + start, "end": s.start + end, "quote": quote,
                             "cues": " ".join(cues(quote)), "category_guess": guess_category(quote),
                             "score": score})
    frame = pd.DataFrame(rows, columns=["start", "end", "quote", "cues", "category_guess", "score"])
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


# --- splitting a sentence into its claims -----------------------------------------------------

# Verbs that state a benefit, an effect or a means, as base form, -s form and -ing form only (a
# past participle is usually an adjective, "improved circulation", and an -ion word a noun).
_VERB_STEMS = ("improve reduce relieve prevent boost increase enhance promote stimulate strengthen heal cure "
               "treat alleviate lower protect restore regulate ease soothe fight repair speed relax calm drain "
               "activate detoxify eliminate nourish support deliver remove release trigger lessen shrink tone "
               "firm flush cleanse purify aid help facilitate provide allow make lead cause raise tighten clear "
               "burn squeeze send decrease accelerate loosen lengthen combat fend unblock break balance").split()


def _inflections(verb: str) -> list[str]:
    """``[base, -s form, -ing form]``."""
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return [verb, verb[:-1] + "ies", verb + "ing"]
    es = verb + ("es" if verb.endswith(("s", "sh", "ch", "x", "z")) else "s")
    ing = (verb[:-1] if verb.endswith("e") and not verb.endswith("ee") else verb) + "ing"
    return [verb, es, ing]


def _alternatives(words: set[str]) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b"


_VERB = _alternatives({f for v in _VERB_STEMS for f in _inflections(v)})
_VERB_BASE = frozenset(_VERB_STEMS)
_ING_OR_S = _alternatives({f for v in _VERB_STEMS for f in _inflections(v)[1:]})
_MODAL = re.compile(r"\b(?:can|may|might|could|will|would|to|helps?)\b", re.I)
# where a new claim begins inside a sentence: the means ("by increasing"), a relative clause
# with its own predicate (", which increases"), a reason (", as the suction ..."), and a
# coordinated predicate (", reduce ...", "and reducing ...", "or improves ...")
_MEANS = re.compile(r"(?:,\s*(?:and\s+|or\s+)?|\s+)(?=(?:by|through)\s+\w+ing\b)", re.I)
_RELATIVE = re.compile(r",\s*(?=which\s+(?:in turn\s+)?(?:(?:can|may|might|could|will|would|also)\s+)*"
                       r"(?:" + _VERB + r"|have|has)\b)", re.I)
_REASON = re.compile(r",\s*(?=(?:as|because)\s+(?:the|it|they|this|these|its|their)\b)", re.I)
_FRONTED_MEANS = re.compile(r"(?:By|Through)\s+" + _ING_OR_S + r"[^,]*,\s*", re.I)
_ADVERB = r"(?:(?:also|even|simply|further|then|thus|therefore|significantly|greatly|effectively)\s+)?"
_COORDINATE = re.compile(r"(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?=" + _ADVERB + r"(?P<verb>" + _VERB + r"))",
                         re.I)
_LIST_HEAD = re.compile(r"\b(?:" + _VERB + r"|such as|including)\s+", re.I)
_DASH = re.compile(r"\s+[—–]\s+")
_LIST_SEPARATOR = re.compile(r",\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_LABEL = re.compile(r"[A-Z][\w’'-]*(?:\s+[\w’'-]+){0,4}:\s+")  # "Pain Relief: ...", "Improved range of motion: ..."
LIST_ITEM_WORDS = 5  # a list item longer than this is a clause, not one benefit of a list


def parts(sentence: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each claim in one sentence, relative to it.

    A new claim starts at a coordinated predicate of benefit ("reduces soreness, improves
    circulation and eases tension": three), at a means ("... by increasing blood flow"), a
    relative clause with its own predicate (", which increases blood flow"), a reason
    (", as the suction ..."), and at each item of a list of three or more short items after a
    benefit verb or "such as" ("relieve pain in the back, knees, and legs": three). A base-form
    verb starts a claim only after a modal or "to" (otherwise "support" and "release" are often
    nouns). A leading label ("Pain Relief: ") and connectives and end punctuation are left out
    of the spans."""
    lead = _LABEL.match(sentence)
    first = lead.end() if lead else 0
    cuts = {first}
    fronted = _FRONTED_MEANS.match(sentence, first)
    if fronted:
        cuts.add(fronted.end())
    for rx in (_MEANS, _RELATIVE, _REASON, _DASH):
        cuts.update(m.end() for m in rx.finditer(sentence) if m.start() > first)
    for m in _COORDINATE.finditer(sentence):
        base = m.group("verb").lower() in _VERB_BASE
        if m.start() > first and (not base or _MODAL.search(sentence, first, m.start())):
            cuts.add(m.end())
    bounds = sorted(cuts | {len(sentence)})
    spans: list[tuple[int, int]] = []
    for a, b in zip(bounds, bounds[1:]):
        spans += _list_items(sentence, a, b)
    trimmed = (_trim(sentence, a, b) for a, b in spans)
    return [(a, b) for a, b in trimmed if b - a > 2]


def _list_items(sentence: str, a: int, b: int) -> list[tuple[int, int]]:
    """The span ``[a, b)`` cut at the items of a list of three or more after a benefit verb."""
    a, b = _trim(sentence, a, b)  # the comma before the next claim is not the list's
    comma = sentence.find(",", a, b)
    # a list follows a benefit verb ("relieve"), or "such as" after one ("used to treat
    # conditions such as"), never the subject's list ("activities such as walking, running")
    heads = [m for m in _LIST_HEAD.finditer(sentence, a, comma if comma != -1 else a)
             if _BENEFIT.match(m.group()) or _BENEFIT.search(sentence, a, m.start())]
    if not heads:
        return [(a, b)]
    head = heads[-1]  # the verb nearest the list: "help to relieve pain in the back, knees, ..."
    separators = list(_LIST_SEPARATOR.finditer(sentence, head.end(), b))
    starts = [head.end()] + [m.end() for m in separators]
    ends = [m.start() for m in separators] + [b]
    longest = max(len(sentence[i:e].split()) for i, e in zip(starts, ends))
    if len(starts) < 3 or "," not in sentence[head.end():b] or longest > LIST_ITEM_WORDS:
        return [(a, b)]
    return [(a, ends[0])] + list(zip(starts[1:], ends[1:]))


def _trim(sentence: str, a: int, b: int) -> tuple[int, int]:
    """The span without leading connectives and trailing punctuation."""
    piece = sentence[a:b]
    lead = re.match(r"(?:\s|[,;—–-]|(?:and|or|but|so)\s)*", piece, re.I).end()
    tail = len(piece) - len(re.search(r"(?:[\s,;:.!?—–]|\b(?:and|or)\b)*$", piece, re.I).group())
    return a + lead, a + max(tail, lead)


# --- the category, from the claim's own predicate ----------------------------------------------

_TRADITIONAL = re.compile(r"\b(?:qi|meridian\w*|yin|yang|chakra\w*|energy flow|flow of energy)\b", re.I)
# advice on safe use, and harm as the predicate ("can hurt", "cause more harm", "avoid");
# "reduce the risk of injury" is a benefit: harm words that are the object of a benefit verb
# do not count
_WARNING = re.compile(r"\b(?:avoid\w*|consult\w*|should(?:n[’']t| not)|must not|never|don[’']t|do not|"
                      r"can[’']t withstand|cannot withstand|hurts?|hurting|harm(?:ful|s)?|side effects?|overdo\w*|"
                      r"over(?!all)\w+ing|too much|excessive(?:ly)?|caution|careful|dangerous|unsafe|"
                      r"contraindicat\w*|not (?:be )?suitable)\b", re.I)
_BENEFIT_OBJECT = re.compile(r"\b(?:reduc|prevent|lower|lessen|decreas|protect|fight|combat|minimi[sz])\w*"
                             r"(?:\s+\w+){0,3}\s+(?:harm|risk|injur\w*|danger)", re.I)
_BENEFIT = re.compile(r"\b" + _VERB, re.I)
_DOSE_PREDICATE = re.compile(r"\b(?:take|takes|taking|give|gives|spend|last|lasts|repeat|hold|soak|aim for)\b",
                             re.I)
# the physiological go-betweens a claim of mechanism names: how it is said to work, not what
# the reader gains
_MECHANISM_TERMS = re.compile(
    r"\b(?:blood flow|blood return|vasoconstrict\w*|vasodilat\w*|blood vessels|veins? and arteries|lymph\w*|"
    r"endorphin\w*|hormon\w*|nerv\w*|neurotransmitter\w*|signals?|toxins?|waste products|oxygen|nutrients?|"
    r"white blood cells|immune cells|muscle activation|adhesions|fib(?:er|re)s|relaxation response|"
    r"secondary pump|veins)\b", re.I)
_MEANS_OPENING = re.compile(r"(?:by|through|which|as)\b", re.I)  # "Since ..., main clause" claims the main


def guess_category(claim: str) -> str:
    """A category for one claim from its predicate: where a point lies (anatomy); a warning or
    advice on safe use (safety); how much, how often or how to do it, with no benefit of its own
    (dosage); the means it is said to work by (mechanism); else the benefit (efficacy)."""
    found = set(cues(claim))
    if _TRADITIONAL.search(claim):
        return "traditional-theory"
    if "location" in found:
        return "anatomy"
    if _WARNING.search(claim) and not _BENEFIT_OBJECT.search(claim):
        return "safety"
    benefit = _BENEFIT.search(claim)
    if "dosage" in found and ("instruction" in found or _DOSE_PREDICATE.search(claim) or not benefit):
        return "dosage"
    if "instruction" in found and not benefit:
        return "dosage"
    # the predicate names the go-between ("increases blood flow"); one in the subject ("enhanced
    # blood flow can reduce swelling") makes a claim of benefit
    predicate = min((m.start() for m in (_MODAL.search(claim), benefit) if m), default=0)
    if _MEANS_OPENING.match(claim) or _MECHANISM_TERMS.search(claim, predicate):
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
