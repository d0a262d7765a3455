"""The screening ranking (TF-IDF + linear SVM refit on each decision) and the stopping rule."""

from __future__ import annotations

import numpy as np
import pytest

from litreview.collect.ranking import (
    BALANCE_RATIO,
    EXCLUDE,
    INCLUDE,
    QUERY_TERM_SCALE,
    TFIDF,
    Ranker,
    balanced_weights,
    prefixes,
    record_text,
    stopping,
)

LATENT = Ranker.latent

TEXTS = [
    "Calf massage reduces delayed onset muscle soreness after eccentric exercise in athletes",  # 0
    "Stock market volatility and interest rates in emerging economies",                         # 1
    "Massage therapy for muscle soreness: a randomised trial in runners",                       # 2
    "Crop yields under drought: irrigation strategies for wheat",                               # 3
    "Effect of sports massage on muscle recovery and soreness after exercise",                  # 4
    "Monetary policy, inflation expectations and interest rates",                                # 5
    "Wheat irrigation and fertiliser trials in semi-arid regions",                               # 6
    "Soreness and recovery after massage of the calf muscles: a controlled trial",              # 7
]


def test_record_text_joins_title_and_abstract():
    assert record_text("Title.", "Abstract") == "Title. Abstract"
    assert record_text(None, "Abstract") == "Abstract"
    assert record_text("", "") == ""


def test_cold_start_ranks_by_similarity_to_the_claims():
    ranker = Ranker(TEXTS, query="massage muscle soreness recovery")
    order = list(ranker.order({}))
    assert set(order[:4]) == {0, 2, 4, 7}
    assert set(order[4:]) == {1, 3, 5, 6}


def test_without_query_or_decisions_the_given_order_stands():
    assert list(Ranker(TEXTS).order({})) == list(range(len(TEXTS)))


def test_includes_only_rank_similar_records_first():
    order = list(Ranker(TEXTS).order({0: INCLUDE}))
    assert 0 not in order
    assert set(order[:3]) == {2, 4, 7}


def test_the_model_learns_from_includes_and_excludes():
    # the claims' text points at economics; the decisions say massage. The question stays one
    # relevant document: once the records of its topic are excluded, the decisions win
    ranker = Ranker(TEXTS, query="interest rates inflation")
    assert set(ranker.order({})[:2]) == {1, 5}
    order = list(ranker.order({0: INCLUDE, 1: EXCLUDE, 3: EXCLUDE, 5: EXCLUDE}))
    assert set(order[:3]) == {2, 4, 7}
    assert {0, 1, 3, 5}.isdisjoint(order)
    assert set(Ranker(TEXTS).order({0: INCLUDE, 1: EXCLUDE, 3: EXCLUDE})[:3]) == {2, 4, 7}  # no question


def test_the_question_is_a_relevant_document_so_a_model_is_fitted_from_the_first_exclusion():
    # no relevant record found yet: one exclusion and the question are enough to fit a model
    ranker = Ranker(TEXTS, query="massage for muscle soreness")
    assert ranker.query is not None
    scores = ranker.scores({1: EXCLUDE})
    similarity = ranker.scores({})
    assert not np.allclose(scores, similarity)  # a model, not the cold-start similarity
    assert set(ranker.order({1: EXCLUDE})[:4]) == {0, 2, 4, 7}
    assert list(Ranker(TEXTS).order({1: EXCLUDE})) == [0, 2, 3, 4, 5, 6, 7]  # without it: nothing to learn


def test_the_question_terms_get_a_wider_prior_and_stop_words_do_not():
    plain, asked = Ranker(TEXTS), Ranker(TEXTS, query="the massage of calves")
    vocabulary = plain.vectorizer.vocabulary_
    massage, the = vocabulary["massag"], vocabulary["the"]  # words cut to 6 characters
    column = lambda ranker, j: ranker.features[:, j].toarray().ravel()  # noqa: E731
    assert np.allclose(column(asked, massage), QUERY_TERM_SCALE * column(plain, massage))
    assert np.allclose(column(asked, the), column(plain, the))
    assert the not in asked.query_terms("the massage of calves")
    words = asked.query.toarray().ravel()[:len(vocabulary)]
    assert np.isclose(np.linalg.norm(words), 1.0)  # the question is a document like the others


def test_words_are_cut_to_their_first_six_characters():
    assert prefixes("massage therapy for soreness") == ["massag", "therap", "for", "sorene"]
    vocabulary = Ranker(TEXTS).vectorizer.vocabulary_
    assert "massag" in vocabulary and "massage" not in vocabulary and "muscle sorene" in vocabulary


def test_latent_dimensions_sit_beside_the_words_fitted_once_and_the_same_for_a_seed():
    rng = np.random.default_rng(0)
    words = ["massage", "calf", "soreness", "muscle", "bank", "wheat", "rates", "soil", "market", "trial",
             "recovery", "policy", "crop", "loan", "runner", "rain", "price", "athlete", "yield", "stock"]
    texts = [" ".join(rng.choice(words, 8)) for _ in range(80)]
    ranker = Ranker(texts, query="massage for calf soreness")
    dimensions, length = LATENT
    latent = ranker.features[:, -dimensions:].toarray()
    assert latent.shape == (80, dimensions)
    assert np.allclose(np.linalg.norm(latent, axis=1), length)  # each record's latent vector at that length
    assert ranker.query.shape[1] == ranker.features.shape[1] and ranker._cold[-dimensions:].tolist() == [0] * dimensions
    again = Ranker(texts, query="massage for calf soreness")
    decisions = {0: INCLUDE, 1: EXCLUDE, 2: EXCLUDE}
    assert np.array_equal(ranker.scores(decisions), again.scores(decisions))
    # a queue smaller than the dimensions keeps its words only
    assert Ranker(TEXTS).features.shape[1] == len(Ranker(TEXTS).vectorizer.vocabulary_)


def test_when_pruning_would_leave_no_term_every_term_is_kept():
    # every record holds the same words: all are in more than 95 % of the records
    assert "massag" in Ranker(["massage trial"] * 25).vectorizer.vocabulary_


def test_model_scores_separate_the_classes_and_refit_on_each_decision():
    ranker = Ranker(TEXTS)
    first = ranker.scores({0: INCLUDE, 1: EXCLUDE})
    second = ranker.scores({0: INCLUDE, 1: EXCLUDE, 2: INCLUDE, 5: EXCLUDE})
    assert first[4] > first[5] and second[4] > second[6]
    assert not np.allclose(first, second)


def test_balanced_weights_give_the_included_ratio_times_the_weight_of_the_excluded():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    w = balanced_weights(y)
    assert w[y == 1].sum() / w[y == 0].sum() == pytest.approx(BALANCE_RATIO)
    assert w.sum() == pytest.approx(len(y))
    assert len(set(w[y == 0])) == 1 and len(set(w[y == 1])) == 1
    other = balanced_weights(y, ratio=1.2)  # ASReview's ELAS u3 ratio, for its naive Bayes
    assert other[y == 1].sum() / other[y == 0].sum() == pytest.approx(1.2)
    assert other.sum() == pytest.approx(len(y))


def test_a_variant_of_the_ranker_sets_its_own_features():
    class Unigrams(Ranker):
        tfidf = dict(TFIDF, ngram_range=(1, 1))

    assert "muscle sorene" in Ranker(TEXTS).vectorizer.vocabulary_
    assert "muscle sorene" not in Unigrams(TEXTS).vectorizer.vocabulary_
    assert "muscle" in Unigrams(TEXTS).vectorizer.vocabulary_


def test_a_large_queue_shows_its_preparation_and_a_small_one_does_not(capsys):
    Ranker(TEXTS, query="massage", progress=True)
    assert "preparing the ranking of 8 records" in capsys.readouterr().err
    Ranker(TEXTS, query="massage")
    assert capsys.readouterr().err == ""


def test_records_without_text_do_not_break_the_queue():
    ranker = Ranker(["", "", ""])
    assert list(ranker.order({0: INCLUDE})) == [1, 2]
    assert list(Ranker([]).order({})) == []


def test_active_ranking_finds_the_relevant_records_before_random_order():
    rng = np.random.default_rng(3)
    topic = ["massage", "calf", "soreness", "muscle", "recovery", "trial"]
    other = ["bank", "wheat", "rates", "soil", "market", "policy", "rain", "crop", "loan", "price"]
    filler = [f"w{i}" for i in range(200)]
    texts, labels = [], []
    for i in range(300):
        relevant = i % 15 == 0
        words = list(rng.choice(topic if relevant else other, 3)) + list(rng.choice(filler, 8))
        texts.append(" ".join(words))
        labels.append(int(relevant))
    labels = np.array(labels)
    ranker = Ranker(texts)
    known = {0: INCLUDE, 1: EXCLUDE}
    while sum(known.values()) < labels.sum():
        nxt = int(ranker.order(known)[0])
        known[nxt] = int(labels[nxt])
    # 20 relevant of 300: random order would need about 95 % of the records to find them all
    assert len(known) < 60


# --- stopping rule -------------------------------------------------------------------------

def test_stopping_p_value_by_hand():
    # found 2 of 4 read, 10 records: H0 needs floor(2 / 0.95) + 1 = 3 relevant in all.
    # last 2 read (k=0): urn of 2 + 6 unread holds 3 - 2 = 1 relevant; P(X <= 0) = C(7,2)/C(8,2) = 0.75.
    # last 1: 6/7; last 3: 1 - 7/84; last 4: 1 - 7/210. The smallest is 0.75.
    state = stopping([1, 1, 0, 0], total=10)
    assert state.p_value == pytest.approx(0.75)
    assert not state.stop
    # the same sample (n=2, k=0) bounds the unread relevant records: P(X=0) = C(8-U, 2)/C(8, 2)
    # is 3/28 >= 0.05 for U=5 and 1/28 < 0.05 for U=6
    assert state.unseen_relevant_max == 5
    assert state.recall_min == pytest.approx(2 / 7)


def test_stopping_after_a_long_run_of_exclusions():
    # 20 found, then 300 excluded, 80 unread. H0 needs 22 relevant: 2 in the urn of the last
    # 300 + 80 unread, and none among the 300 read: P = (80/380) * (79/379) = 0.0439 < 0.05
    decisions = [1] * 20 + [0] * 300
    state = stopping(decisions, total=400)
    assert state.stop and state.p_value == pytest.approx(80 / 380 * 79 / 379)
    assert state.unseen_relevant_max == 1
    # the same run in a queue of 2,000 leaves 1,680 unread: not enough evidence yet
    larger = stopping(decisions, total=2000)
    assert not larger.stop and larger.unseen_relevant_max > 1
    early = stopping([1] * 20 + [0] * 10, total=2000)
    assert not early.stop and early.unseen_relevant_max > larger.unseen_relevant_max


def test_stopping_before_any_decision_and_after_the_last():
    assert not stopping([], total=5).stop
    assert stopping([], total=5).unseen_relevant_max == 5
    done = stopping([1, 0, 0], total=3)
    assert done.stop and done.unread == 0 and "all 3 records screened" in done.describe()
    with pytest.raises(ValueError):
        stopping([1, 0, 0, 0], total=3)


def test_describe_cites_the_rule_and_gives_the_bound():
    text = stopping([1, 1, 0, 0], total=10).describe()
    assert "Callaghan & Müller-Hansen 2020" in text and "at most 5 relevant" in text and "keep screening" in text


def test_the_stopping_rule_tries_every_sample_up_to_500_then_a_grid_that_errs_towards_reading_on():
    import numpy as np

    from litreview.collect import ranking

    assert list(ranking.sample_sizes(7)) == [1, 2, 3, 4, 5, 6, 7]
    sizes = ranking.sample_sizes(5000)
    assert list(sizes[:500]) == list(range(1, 501)) and sizes[-1] == 5000 and len(sizes) < 900
    rng = np.random.default_rng(3)
    for decided in (800, 3000):
        labels = (rng.random(decided) < 0.05).astype(int)
        labels[-300:] = 0  # a long run without relevant records at the end
        exact = ranking.sample_sizes
        try:
            ranking.sample_sizes = lambda d: np.arange(1, d + 1)
            every = ranking._h0(labels, 2000, 0.95)[0]
        finally:
            ranking.sample_sizes = exact
        assert ranking._h0(labels, 2000, 0.95)[0] >= every  # never a smaller p: never an earlier stop
