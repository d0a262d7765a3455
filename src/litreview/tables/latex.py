"""LaTeX in bibliographic values as plain text: the one decoder, built on pylatexenc.

BibTeX exports write accents (``M\\"{u}ller``, ``{\\'e}``), symbols (``50\\%``, ``\\&``,
``\\textless``), math (``$\\alpha$-synuclein``, ``T$_2$``), styling (``\\emph{In vivo}``,
``{\\it E. coli}``), protective braces (``{COVID}-19``) and ``--`` for a dash. pylatexenc's
``LatexNodes2Text`` reads all of these; a command it does not know (``\\ch``, ``\\kelvin``) is
dropped and its braced argument kept (``\\ch{H2O}`` is ``H2O``).

What an export writes without meaning LaTeX is kept as written: a ``%`` or ``&`` that is not
escaped is the character itself (``50% of``), not a comment or a table column; a pair of
``$`` around plain words (``costs $5 and $10``) is two dollar signs, not math: only a span with
a command, ``^``, ``_`` or braces in it, or a short symbol (``$<$``, ``$n$``), is math.

Speed: text with no backslash, ``$``, brace or ``--`` is returned as it is; text whose only
LaTeX is braces and dashes loses the braces and gets its dashes, which is what pylatexenc
makes of it (tests hold the two equal). Long text (an abstract with a ``\\%`` or two) is cut at
the white space between top-level words, and only the words that hold LaTeX are parsed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

# text-mode symbols and wrappers exported .bib files use that pylatexenc renders as nothing
_EXTRA_MACROS = [MacroTextSpec("textless", "<"), MacroTextSpec("textgreater", ">"),
                 MacroTextSpec("textbar", "|"), MacroTextSpec("textasciitilde", "~"),
                 MacroTextSpec("textasciicircum", "^"), MacroTextSpec("mbox", "%s"),
                 MacroTextSpec("url", "%s")]


def _decoder() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category("bibliographic-values", prepend=True, macros=_EXTRA_MACROS)
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=False)


_DECODER = _decoder()
_NEEDS_PARSER = re.compile(r"[\\$~`']")  # beyond braces and dashes ("''" and "``" are quotes)
_MARKS = re.compile(r"[\\{}$]|--")
_BARE = re.compile(r"(?<!\\)([%&#])")  # characters LaTeX would read as syntax, meant literally
_MATH = re.compile(r"(?<!\\)\$([^$]*)(?<!\\)\$")
_CONTROL_END = re.compile(r"\\(?:[A-Za-z]+|[\"'`^~=.uvHckbdrt])$")  # "\ss", "\c": the next word is theirs
LONG = 200  # characters: longer text is decoded word by word


# The accents and escapes most exports use, read without the parser (most values with LaTeX
# hold nothing else); tests hold the result equal to pylatexenc's.
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328",
            "r": "\u030a"}
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
            "l": "ł", "L": "Ł", "i": "ı"}
_ACCENT = re.compile(r"""\\(["'`^~=.])\s*(?:\{([A-Za-z]|\\i)\}|([A-Za-z]))"""
                     r"|\\([cvuHkr])(?:\{([A-Za-z]|\\i)\}|\s+([A-Za-z]))")
_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|[oOlLi])(?:\{\}|(?![A-Za-z]))")
_ESCAPE = re.compile(r"\\([&%#_])")
_LEFT = re.compile(r"[\\$~`]|''")


def _accent(m: re.Match) -> str:
    mark = m.group(1) or m.group(4)
    base = m.group(2) or m.group(3) or m.group(5) or m.group(6)
    return unicodedata.normalize("NFC", ("i" if base == "\\i" else base) + _ACCENTS[mark])


def _fast(text: str) -> str | None:
    """``text`` decoded when its only LaTeX is accents, special letters, escaped ``& % # _``,
    braces and dashes; None when anything else is left for the parser."""
    out = _ESCAPE.sub(r"\1", _LETTER.sub(lambda m: _LETTERS[m.group(1)], _ACCENT.sub(_accent, text)))
    if _LEFT.search(out) or _BARE_AFTER.search(text):
        return None
    return _braces_and_dashes(out)


_BARE_AFTER = re.compile(r"(?<!\\)[%&#]")  # a bare %, & or # goes to the parser, which keeps it literal


def to_text(text: str) -> str:
    """``text`` (a BibTeX value, or any field that may hold LaTeX) as plain Unicode text."""
    if ("\\" not in text and "{" not in text and "}" not in text and "$" not in text and "--" not in text
            and "``" not in text and "''" not in text):
        return text  # the common case, tested without a regex
    if not _NEEDS_PARSER.search(text):
        return _braces_and_dashes(text)
    fast = _fast(text)
    if fast is not None:
        return fast
    if len(text) <= LONG:
        return _parse(text)
    return "".join(_parse(piece) if _MARKS.search(piece) else piece for piece in _pieces(text))


def _braces_and_dashes(text: str) -> str:
    return text.replace("---", "\u2014").replace("--", "\u2013").replace("{", "").replace("}", "")


@lru_cache(maxsize=1 << 14)
def _parse(text: str) -> str:
    source = _BARE.sub(r"\\\1", text)
    if "$" in source:
        source = _literal_dollars(source)
    try:
        return _DECODER.latex_to_text(source)
    except Exception:  # pylatexenc gives up on some malformed input: keep the words
        return _braces_and_dashes(re.sub(r"\\[A-Za-z]+\*?\s*|\\", "", text))


def _literal_dollars(text: str) -> str:
    """Escape the ``$`` that do not open math: unpaired ones, and pairs around plain words."""
    def pair(m: re.Match) -> str:
        inner = m.group(1)
        is_math = bool(re.search(r"[\\^_{}]", inner)) or len(inner.strip()) <= 3 and " " not in inner.strip()
        return m.group(0) if is_math else "\\$" + inner + "\\$"

    text = _MATH.sub(pair, text)
    if len(re.findall(r"(?<!\\)\$", text)) % 2:
        text = re.sub(r"(?<!\\)\$", r"\\$", text)
    return text


def _pieces(text: str) -> list[str]:
    """``text`` cut into words and the white space between them, where a word runs on while a
    brace or ``$`` is open or it ends in a control word (whose argument may follow a space)."""
    pieces: list[str] = []
    current, depth, math, open_ = "", 0, False, False
    for k, token in enumerate(re.split(r"(\s+)", text)):  # word, space, word, ...
        if k % 2 and not open_:
            pieces += [current, token]
            current = ""
            continue
        current += token
        if not k % 2:
            depth += token.count("{") - token.count("}")
            math ^= len(re.findall(r"(?<!\\)\$", token)) % 2 == 1
            open_ = depth > 0 or math or bool(_CONTROL_END.search(token))
    return pieces + [current]
