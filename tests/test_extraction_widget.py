"""The extraction form of notebook 04, driven headless: fields set on the widgets, the save
button clicked, evidence.csv read back from disk."""

from __future__ import annotations

import html

from litreview.checks import check_review
from litreview.tables.review import Review
from litreview.tables.schema import COMPARATOR_TYPES, DESIGNS, EVIDENCE, INDIRECTNESS_ANSWERS, OUTCOME_TYPES, read_table
from litreview.workbook.extraction_form import OPTIONAL, ExtractionForm
from test_extraction import LABEL, NAME, evidence_file, root  # noqa: F401  (fixture)


def fill(form: ExtractionForm, **values) -> None:
    for name, value in values.items():
        form.fields[name].value = value


def test_the_pickers_offer_the_claims_the_library_and_the_schemas_words(root):  # noqa: F811
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M01")
    assert form.claim.value == "M01" and form.fields["study_key"].value == "davis2020effect"
    assert [v for _, v in form.claim.options] == [None, "M01", "M02", "M03", "M04"]
    assert "Massage after strenuous exercise reduces" in {v: k for k, v in form.claim.options}["M01"]
    assert [v for _, v in form.fields["study_key"].options] == [None, "guo2017massage", "davis2020effect",
                                                                 "dupuy2018evidencebased"]
    assert [v for _, v in form.fields["design"].options] == [None, *DESIGNS]
    assert [v for _, v in form.copy_from.options] == [None, "E001", "E002", "E003"]
    # its meta-analyses have one critical AMSTAR 2 flaw each (some concerns): one level for risk of bias
    assert "M01: partly supported, low" in form.grade.value


def test_save_appends_the_row_and_shows_the_grade_before_and_after(root):  # noqa: F811
    before = evidence_file(root).read_bytes()
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M04")
    fill(form, design="meta-analysis", population="athletes and active adults", n="1012",
         intervention="manual massage", comparator="no massage", outcome="soreness at 48 h", direction="supports",
         indirectness="some", indirectness_note="sessions of various lengths,\nnot compared by duration",
         finding="Massage lowered soreness.", locator="abstract")
    form.save.click()
    after = evidence_file(root).read_bytes()
    assert after.startswith(before)
    assert after[len(before):] == (b"E004,M04,davis2020effect,meta-analysis,athletes and active adults,1012,"
                                   b"manual massage,no massage,soreness at 48 h,supports,,,,,some,"
                                   b"\"sessions of various lengths, not compared by duration\","
                                   b"Massage lowered soreness.,abstract,\n")
    assert "Saved E004" in form.message.value
    assert "M04: unsupported, very low -&gt; partly supported, low" in form.grade.value
    # M04 is now worked on: check wants its explanation, and the form says so without writing it
    assert "explanations.csv:claim_id: M04: no explanation" in form.message.value
    assert "M04" not in set(Review.load(NAME).explanations["claim_id"])
    # ready for the next row: the claim and study kept, the rest empty, the new row offered to copy
    assert (form.claim.value, form.fields["study_key"].value) == ("M04", "davis2020effect")
    assert form.fields["direction"].value is None and form.fields["finding"].value == ""
    assert "E004" in [v for _, v in form.copy_from.options]


def test_a_bad_row_is_shown_with_its_messages_and_nothing_is_written(root):  # noqa: F811
    before = evidence_file(root).read_bytes()
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M01")
    fill(form, design="meta-analysis", population="athletes", n="many", intervention="massage", outcome="soreness",
         direction="supports", indirectness="none", effect_measure="SMD", effect="-0.4", finding="Less soreness.",
         locator="abstract")
    form.save.click()
    assert evidence_file(root).read_bytes() == before
    assert "Not saved" in form.message.value
    assert f"{LABEL}:5:n: expected a whole number, found &#x27;many&#x27;" in form.message.value
    assert form.fields["n"].value == "many"  # the reviewer's input stays, to be corrected
    # as in `litreview check`, the checks across columns run once every cell reads
    fill(form, n="1012")
    form.save.click()
    assert evidence_file(root).read_bytes() == before
    assert "(1 problem(s))" in form.message.value
    assert f"{LABEL}:5:ci_low: an effect needs effect_measure, effect, ci_low and ci_high together" \
        in form.message.value
    fill(form, ci_low="-0.7", ci_high="-0.1")
    form.save.click()
    table = read_table(evidence_file(root), EVIDENCE, LABEL)
    assert table.iloc[-1][["evidence_id", "effect", "ci_low", "ci_high"]].tolist() == ["E004", -0.4, -0.7, -0.1]
    assert check_review(Review.load(NAME)) == []


def test_copy_from_prefills_for_the_picked_claim_and_leaves_the_judgements_empty(root):  # noqa: F811
    form = ExtractionForm(NAME, claim_id="M02")
    form.copy_from.value = "E003"
    f = form.fields
    assert (f["study_key"].value, f["design"].value, f["n"].value, f["effect_measure"].value, f["effect"].value,
            f["ci_low"].value, f["ci_high"].value) == ("guo2017massage", "meta-analysis", "504", "SMD", "-1.16",
                                                       "-1.6", "-0.72")
    assert f["direction"].value is None and f["indirectness"].value is None and f["indirectness_note"].value == ""
    assert "judge them against M02" in form.message.value and "direction &#x27;supports&#x27;" in form.message.value
    before = evidence_file(root).read_bytes()
    form.save.click()  # not judged yet: refused
    assert evidence_file(root).read_bytes() == before
    assert f"{LABEL}:5:direction: a value is required" in form.message.value


def test_a_study_given_to_the_form_but_not_in_the_library_is_refused_on_save(root):  # noqa: F811
    before = evidence_file(root).read_bytes()
    form = ExtractionForm(NAME, study_key="smith2099nowhere", claim_id="M01")
    assert form.fields["study_key"].value == "smith2099nowhere"
    fill(form, design="rct", population="athletes", intervention="massage", outcome="soreness", direction="supports",
         indirectness="none", finding="Less soreness.", locator="abstract")
    form.save.click()
    assert evidence_file(root).read_bytes() == before
    assert f"{LABEL}:5:study_key: unknown study (not in library.bib) &#x27;smith2099nowhere&#x27;" in form.message.value


def test_the_indirectness_questions_derive_the_judgement_live_and_are_saved_beside_the_row(root):  # noqa: F811
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M04")
    form.questions["population"].value = "same"
    assert "answer intervention, comparator, outcome" in form.derived.value
    form.questions["intervention"].value = "related"
    form.questions["comparator"].value = "fits"
    form.questions["outcome"].value = "same"
    assert "derived indirectness: <b>some</b>" in form.derived.value
    assert form.fields["indirectness"].value == "some"
    form.questions["outcome"].value = "surrogate"   # two steps from the claim: another question
    assert "<b>serious</b>" in form.derived.value and form.fields["indirectness"].value == "serious"
    fill(form, design="meta-analysis", population="athletes", n="1012", intervention="massage of the legs",
         comparator="no massage", outcome="creatine kinase", direction="supports",
         indirectness_note="legs, not the calf alone; a blood marker for soreness", finding="Less soreness.",
         locator="abstract")
    form.save.click()
    assert "Saved E004" in form.message.value and "indirectness.csv" in form.message.value
    answers = read_table(root / "data" / NAME / "indirectness.csv", INDIRECTNESS_ANSWERS)
    assert answers.to_dict("records") == [{
        "evidence_id": "E004", "population": "same", "intervention": "related", "comparator": "fits",
        "outcome": "surrogate", "override": None, "override_reason": None,
        "note": "legs, not the calf alone; a blood marker for soreness"}]
    assert all(q.value is None for q in form.questions.values())


def test_an_override_without_a_reason_or_half_answered_questions_write_nothing(root):  # noqa: F811
    before = evidence_file(root).read_bytes()
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M04")
    fill(form, design="meta-analysis", population="athletes", intervention="massage", outcome="soreness",
         direction="supports", indirectness_note="why", finding="Less soreness.", locator="abstract")
    form.questions["population"].value = "same"
    form.save.click()
    assert "answer all four indirectness questions" in form.message.value
    for q, a in (("intervention", "same"), ("comparator", "fits"), ("outcome", "same")):
        form.questions[q].value = a
    form.override.value = "serious"
    assert form.fields["indirectness"].value == "serious"
    form.save.click()
    assert "needs a reason" in form.message.value
    assert evidence_file(root).read_bytes() == before
    assert not (root / "data" / NAME / "indirectness.csv").exists()


def widen(root) -> None:  # noqa: F811
    """The fixture's evidence.csv with every optional column in its header (empty cells in its rows)."""
    path = evidence_file(root)
    lines = path.read_text().splitlines()
    extra = "," * len(OPTIONAL)
    path.write_text("\n".join([EVIDENCE.header().rstrip("\n"), *[line + extra for line in lines[1:]]]) + "\n")


def test_the_optional_columns_are_offered_with_their_meanings_and_vocabularies(root):  # noqa: F811
    # the fixture's header predates them: shown disabled, and the form says why
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M01")
    assert all(form.fields[name].disabled for name in OPTIONAL)
    assert "Not in this review's evidence.csv header" in form.optional_note.value
    widen(root)
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M01")
    assert not any(form.fields[name].disabled for name in OPTIONAL)
    assert "Not in this review" not in form.optional_note.value
    assert [v for _, v in form.fields["comparator_type"].options] == [None, *COMPARATOR_TYPES]
    assert [v for _, v in form.fields["outcome_type"].options] == [None, *OUTCOME_TYPES]
    for name in ("rob_reported", "substantial_heterogeneity", "small_study_effects"):
        assert [v for _, v in form.fields[name].options] == [None, "true", "false"]
    for column in EVIDENCE.columns:
        if column.name in OPTIONAL:
            assert html.escape(column.description) in form.optional_note.value
            assert any(form.fields[column.name] in box.children for box in form.box.children
                       if hasattr(box, "children"))


REVIEW_ROW = dict(design="meta-analysis", population="athletes and active adults", n="1012",
                  intervention="manual massage", comparator="no massage", outcome="soreness at 48 h",
                  direction="supports", indirectness="none", finding="Massage lowered soreness.", locator="abstract")


def test_what_a_review_reports_about_its_trials_is_saved_in_its_columns(root):  # noqa: F811
    widen(root)
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M04")
    fill(form, **REVIEW_ROW, comparator_type="no-treatment", outcome_type="continuous", trials="12",
         rob_high_share="0.3", rob_unclear_share="0.5", i2="40", heterogeneity_p="0.2", small_study_effects="false")
    form.save.click()
    assert "Saved E004" in form.message.value
    saved = read_table(evidence_file(root), EVIDENCE, LABEL).set_index("evidence_id").loc["E004"]
    assert (saved["comparator_type"], saved["outcome_type"], saved["trials"]) == ("no-treatment", "continuous", 12)
    assert (saved["rob_high_share"], saved["rob_unclear_share"], saved["i2"]) == (0.3, 0.5, 40.0)
    assert saved["heterogeneity_p"] == 0.2 and saved["small_study_effects"] is False
    assert saved["rob_reported"] is None and saved["overlaps"] == []
    # the form is emptied for the next row, the yes/no fields too
    assert form.fields["small_study_effects"].value is None and form.fields["trials"].value == ""


def test_optional_values_that_do_not_fit_are_refused_with_their_column_and_nothing_is_written(root):  # noqa: F811
    widen(root)
    before = evidence_file(root).read_bytes()
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M04")
    fill(form, **{**REVIEW_ROW, "design": "rct"}, rob_high_share="0.3")
    form.save.click()
    assert "Not saved" in form.message.value
    assert f"{LABEL}:5:rob_high_share: only a systematic review or meta-analysis" in form.message.value
    fill(form, design="meta-analysis", rob_reported="false")
    form.save.click()
    assert "rob_reported: false, but the row gives shares" in form.message.value
    fill(form, rob_reported=None, rob_high_share="", heterogeneity_p="1.5")
    form.save.click()
    assert "heterogeneity_p: expected at most 1" in form.message.value
    assert evidence_file(root).read_bytes() == before


def test_a_copied_row_fills_the_yes_no_and_list_fields_as_text(root):  # noqa: F811
    form = ExtractionForm(NAME, study_key="davis2020effect", claim_id="M01")
    form.fill({"rob_reported": False, "small_study_effects": True, "overlaps": ["E001", "E002"], "trials": 7.0})
    assert (form.fields["rob_reported"].value, form.fields["small_study_effects"].value) == ("false", "true")
    assert form.fields["overlaps"].value == "E001 E002" and form.fields["trials"].value == "7"
