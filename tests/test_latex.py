"""The one LaTeX decoder: what exports write, what they write without meaning LaTeX, and the
fast paths agreeing with the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litreview.tables import latex
from litreview.tables.latex import to_text


@pytest.mark.parametrize("tex, text", [
    (r"$\alpha$-synuclein", "α-synuclein"),          # math kept as its text, not dropped
    (r"50\% of patients", "50% of patients"),        # the space after \% stays
    (r"\emph{In vivo} imaging", "In vivo imaging"),  # command dropped, argument kept
    (r"{\it Drosophila} genes", "Drosophila genes"),
    (r"\textit{E. coli}", "E. coli"),
    (r"T$_{2}$-weighted", "T_2-weighted"),
    (r"p $<$ 0.05", "p < 0.05"),
    (r"p \textless{} 0.05", "p < 0.05"),
    (r"\mbox{IL-6} levels", "IL-6 levels"),
    (r"{\AA}ngstr{\"o}m", "Ångström"),
    (r"{\O}stergaard and \L{}ukasz", "Østergaard and Łukasz"),
    (r"Garc{\'\i}a", "García"),
    (r"Smith \& Wesson", "Smith & Wesson"),
    (r"{COVID}-19 --- a review", "COVID-19 — a review"),
])
def test_latex_becomes_plain_text(tex, text):
    assert to_text(tex) == text


@pytest.mark.parametrize("plain", [
    "50% of patients improved",       # a bare % is a percent sign, not a comment
    "Smith & Wesson",                 # a bare & is an ampersand
    "Costs of $5 and $10 per dose",   # dollars around plain words are money
    "A plain title: no LaTeX at all",
    "Crohn's disease ~ 10 years on",
])
def test_text_without_latex_is_kept_as_written(plain):
    assert to_text(plain) == plain


def test_bare_percent_beside_latex_keeps_the_rest_of_the_line():
    assert to_text(r"50% of {M\"u}ller's patients") == "50% of Müller's patients"


def test_malformed_latex_keeps_its_words():
    assert "text" in to_text(r"see \href{http://example.org}{text}")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab {}-", max_size=30))
def test_braces_and_dashes_fast_path_equals_the_parser(text):
    assert latex._braces_and_dashes(text) == latex._DECODER.latex_to_text(text)


WORDS = [r"M\"uller", r"50\%", r"$\alpha$-synuclein", r"\emph{in vivo}", "plain", "words", r"Fran\c cois",
         r"Gau\ss{} law", r"{\it E. coli}", "{COVID}", "10--19", r"$x^{2}$", r"\textless{}5"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=30, max_size=60))
def test_long_text_decoded_word_by_word_equals_the_whole_parse(words):
    text = " ".join(words)
    assert len(text) > latex.LONG
    assert to_text(text) == latex._parse(text)


ACCENTED = ['\\"{u}', '{\\"o}', "\\'e", "\\`a", "\\^o", "\\~n", "\\~{n}", "\\c{c}", "\\c c", "\\v{S}", "\\u{g}",
            "\\H{o}", "\\k{a}", "\\r{u}", "\\={a}", "\\.{z}", "\\'{\\i}", "{\\ss}", "\\o{}", "{\\aa}", "\\l{}", "{\\L}",
            "\\&", "\\%", "\\#", "\\_", "M", "ller", " ", "-", "--", "{", "}", "'", "5'", "~", "&", "%", "\\emph{x}", "$"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ACCENTED), max_size=8))
def test_accent_fast_path_equals_the_parser_or_steps_aside(parts):
    text = "".join(parts)
    fast = latex._fast(text)
    if fast is not None:
        assert fast == latex._parse(text)


@pytest.mark.parametrize("tex", ['M\\"{u}ller', "Fran\\c cois", "Stra{\\ss}e", "A \\& B", "\\'{\\i}"])
def test_common_accents_take_the_fast_path(tex):
    assert latex._fast(tex) is not None and latex._fast(tex) == latex._parse(tex)


def test_latex_quotes_without_other_markup_become_typographic_quotes():
    """A title such as ``Massage impairs ... ``lactic acid'' removal`` has no backslash or
    brace, and its quotes are still LaTeX (seen in a real record)."""
    assert to_text("Massage impairs postexercise muscle blood flow and ``lactic acid'' removal") == (
        "Massage impairs postexercise muscle blood flow and \u201clactic acid\u201d removal")
    assert to_text("it's the patient's view") == "it's the patient's view"
