"""Prioritised screening: which unscreened record to read next, and when reading on stops paying.

Ranking (active learning)
-------------------------
Each record is its title and abstract, as TF-IDF features fitted once on every record of the
queue (the features are unsupervised, so the unread records shape them too), beside its latent
semantic dimensions. A linear support vector machine is refit on every decision and the unread
records are ordered by its decision value, highest first ("certainty-based" or "max" querying:
read next what looks most relevant).

The model starts from the family ASReview LAB 2 and 3 use by default, their "ELAS u4"
configuration (asreview/models/models.py, ``AI_MODEL_CONFIGURATIONS``; parameters tuned by the
ASReview team on the SYNERGY datasets): word uni- and bigrams with sublinear term frequency and
terms in more than 95 % of records dropped, ``LinearSVC(C=0.11, loss="squared_hinge")``, and
sample weights that give the included records together ``BALANCE_RATIO`` times the weight of
the excluded ones (relevant records are rare; unweighted, the model learns to exclude). One
change makes a refit quick enough to run on every decision: the solver stops at liblinear's
own tolerance for its dual solvers (``SVM_TOL``) instead of scikit-learn's thousand times
tighter one; on the labelled sets the rankings are as good (benchmarks/screening.py).
Dropping the terms of a single record was tried for speed too, and cost recall after 10 %.

Two changes to the features were chosen by measurement among the models, features and uses of
the question compared on the labelled sets (benchmarks/screening_candidates.py; README):

- the words are cut to their first ``PREFIX`` characters before the uni- and bigrams are made,
  so "massage", "massaged" and "massages" are one term (truncation as a stemmer, McNamee et al.
  2009);
- beside the words, each record carries ``LATENT_DIMENSIONS`` latent semantic dimensions (LSA,
  Deerwester et al. 1990): a truncated SVD of every record and the question, fitted once with
  the features, each record's latent vector ``LATENT_LENGTH`` long. Records and a question that
  share no word can meet there, which finds the last relevant records sooner; kept short, the
  words still lead the first decisions.

Together, on the seven labelled sets and five seeds, they find 95 % of the relevant records
sooner than ASReview's ELAS u4 with and without the question, and no set falls more than 0.02
below it (README). Each part alone did not: the cut words lost a set without the question, and
the latent dimensions lost recall after 10 % and a set without the question.

The review's question. The workbook knows what the review asks before the first record is
read: the claims being searched, their restatement and PICO terms (the ``query``). It is used
as prior knowledge in two ways, each from the literature on relevance feedback:

- as a relevant document: the question's TF-IDF vector joins every fit as one more included
  record, as AutoTAR does with the topic description, its "synthetic seed document" (Cormack &
  Grossman 2015, "Autonomy and reliability of continuous active learning for
  technology-assisted review", arXiv:1504.06868; the query as a relevant document is Rocchio's
  relevance feedback, Rocchio 1971). So a model can be fitted from the first exclusion, with no
  relevant record found yet;
- as an informative prior on the words: the features of the question's terms (stop words
  aside) are multiplied by ``QUERY_TERM_SCALE``. Under the SVM's L2 penalty that is a prior
  on those terms' weights ``QUERY_TERM_SCALE ** 2`` times wider than on other words: evidence
  for them is taken up sooner, as in Dayanik, Lewis, Madigan, Menkov & Genkin 2006,
  "Constructing informative prior distributions from domain knowledge in text
  classification" (SIGIR '06, doi:10.1145/1148170.1148255), who widen the prior of the
  words in a class's description.

Without a question the model is the one above. Before any include and exclude there is nothing
to learn from: records are ordered by cosine similarity to the question; with includes only,
by similarity to those records and the question together; with nothing at all, in their
given order.

Stopping
--------
The statistical stopping rule of Callaghan & Müller-Hansen (2020), "Statistical stopping
criteria for automated screening in systematic reviews", Systematic Reviews 9:273,
doi:10.1186/s13643-020-01521-4. Treat the last n records read as a sample drawn without
replacement from themselves plus every unread record. The null hypothesis is that recall is
below the target, i.e. that at least ``floor(found / target) + 1`` relevant records exist in
total. Under it the urn holds ``K = floor(found / target) + 1 - found_before_the_sample``
relevant records, and the chance of seeing as few as the ``k`` found in the sample is the
hypergeometric ``P(X <= k)``. That is computed for every n (the last 1, 2, ... records) and
the smallest p is kept; when it is below ``ALPHA`` the rule suggests stopping. Prioritised
ranking puts relevant records earlier than random sampling would, so treating its last
records as random errs on the side of reading on.

The estimate of relevant records still unread inverts the same test: the largest number of
relevant unread records not rejected at ``ALPHA`` in the sample that gives the smallest p
(an upper bound at 95 % confidence under the same assumption).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.stats import hypergeom
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC
from tqdm.auto import tqdm

# words cut to their first PREFIX characters before the uni- and bigrams are made: truncation as a
# stemmer (McNamee, Nicholas & Mayfield 2009, "Addressing morphological variation in alphabetic
# languages", SIGIR '09, who found 5-6 characters best for English); 6 chosen among 4-7 on the
# labelled sets of benchmarks/screening_candidates.py
PREFIX = 6
WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def prefixes(text: str) -> list[str]:
    """The words of a (lower-cased) text, each cut to its first :data:`PREFIX` characters."""
    return [word[:PREFIX] for word in WORD.findall(text)]


# ASReview LAB's default model, ELAS u4 (see the module docstring), on words cut to PREFIX ...
TFIDF = dict(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95, tokenizer=prefixes, token_pattern=None)
# ... beside LATENT_DIMENSIONS latent semantic dimensions of every record and the question (LSA:
# Deerwester, Dumais, Furnas, Landauer & Harshman 1990, "Indexing by latent semantic analysis",
# JASIS 41:391), each record's latent vector LATENT_LENGTH long; chosen among 30, 50 and 100
# dimensions and lengths 0.15-1 on the labelled sets (benchmarks/screening_candidates.py; README)
LATENT_DIMENSIONS = 50
LATENT_LENGTH = 0.25
SVM_C = 0.11
BALANCE_RATIO = 9.8
SEED = 0
# ... with liblinear's tolerance for dual solvers (its documented default, `-e 0.1`; Fan et al.
# 2008, "LIBLINEAR: a library for large linear classification", JMLR 9:1871); scikit-learn's
# default is 1e-4
SVM_TOL = 0.1
# the question's terms: a prior 2**2 times wider (Dayanik et al. 2006; see the module docstring);
# chosen among 1, 2 and 3 on the labelled sets of benchmarks/screening.py
QUERY_TERM_SCALE = 2.0

# Callaghan & Müller-Hansen 2020: stop when H0 "recall < RECALL_TARGET" is rejected at ALPHA
RECALL_TARGET = 0.95
ALPHA = 0.05

INCLUDE, EXCLUDE = 1, 0


def record_text(title: str | None, abstract: str | None) -> str:
    """What the model reads of a record: its title, then its abstract."""
    return f"{title or ''} {abstract or ''}".strip()


def balanced_weights(y: np.ndarray, ratio: float | None = None) -> np.ndarray:
    """ASReview's "balanced" sample weights: the excluded records together weigh
    1 / ``ratio`` (default ``BALANCE_RATIO``) of the included ones; all weights are then scaled
    to sum to the number of records."""
    ratio = BALANCE_RATIO if ratio is None else ratio
    included, excluded = int((y == INCLUDE).sum()), int((y == EXCLUDE).sum())
    weight = np.where(y == INCLUDE, 1.0, included / (ratio * excluded))
    return weight * (len(y) / weight.sum())


class Ranker:
    """The ranking of one queue of records.

    ``texts``: one string per record (:func:`record_text`); ``query``: the review's question
    (the claims' text), used as prior knowledge (see the module docstring). Records are
    referred to by their position in ``texts``. ``tfidf``: the settings of the features (a
    variant sets its own; benchmarks/screening_candidates.py compares some)."""

    tfidf: Mapping = TFIDF
    latent: tuple[int, float] | None = (LATENT_DIMENSIONS, LATENT_LENGTH)  # None: the words alone

    def __init__(self, texts: Sequence[str], query: str = "", seed: int = SEED, progress: bool = False):
        """``progress``: show a bar while the features and the latent dimensions are fitted (the
        slow part of a large queue, seconds at thousands of records; once per queue)."""
        with tqdm(total=2, desc=f"preparing the ranking of {len(texts):,} records", unit="step",
                  disable=not progress, leave=False) as bar:
            self._fit_features(texts, query, seed, bar)

    def _fit_features(self, texts: Sequence[str], query: str, seed: int, bar) -> None:
        self.n = len(texts)
        self.seed = seed
        settings = dict(self.tfidf)
        if self.n < 20:  # a handful of records: a term in 95 % of them is still a term
            settings["max_df"] = 1.0
        features = None
        for tried in (settings, dict(settings, max_df=1.0)):  # the second when the first prunes every term
            self.vectorizer = TfidfVectorizer(**tried)
            try:
                features = self.vectorizer.fit_transform(list(texts)).tocsr()
                break
            except ValueError:  # no words at all (empty queue, or records without title and abstract)
                continue
        if features is None:
            self.vectorizer = None
            self.features = self.query = self._training = self._cold = None
            return
        query_vector = self.vectorizer.transform([query]) if query.strip() else None
        self._cold = None  # the cold start's weights: the question's own TF-IDF vector, read on unscaled features
        if query_vector is not None and query_vector.nnz:
            scale = np.ones(features.shape[1])
            scale[self.query_terms(query)] = QUERY_TERM_SCALE
            features = (features @ sparse.diags(scale)).tocsr()
            # features scaled by D: the plain cosine of a record and the question is F·D·D⁻¹·q
            self._cold = np.asarray((query_vector @ sparse.diags(1 / scale)).todense()).ravel()
            query_vector = normalize(query_vector @ sparse.diags(scale)).tocsr()  # a document like the others
        else:
            query_vector = None
        self.features, self.query = features, query_vector
        # the rows a model is fitted on: the records, then the question as one more (included) record
        self._training = features if query_vector is None else sparse.vstack([features, query_vector]).tocsr()
        bar.update()
        self._add_latent()
        bar.update()

    def _add_latent(self) -> None:
        """The latent semantic dimensions beside the words (see :data:`LATENT_DIMENSIONS`): a
        truncated SVD of the records and the question, fitted once, deterministic for the seed.
        Records and a question that share no word can meet there. The cold start still reads
        the words alone. A queue too small for the dimensions keeps its words only."""
        if self.latent is None or min(self._training.shape) <= self.latent[0]:
            return
        dimensions, length = self.latent
        svd = TruncatedSVD(n_components=dimensions, random_state=self.seed)
        latent = sparse.csr_matrix(length * normalize(svd.fit_transform(self._training)))
        self.features = sparse.hstack([self.features, latent[:self.n]]).tocsr()
        if self.query is None:
            self._training = self.features
            return
        self.query = sparse.hstack([self.query, latent[self.n:]]).tocsr()
        self._cold = np.concatenate([self._cold, np.zeros(dimensions)])
        self._training = sparse.vstack([self.features, self.query]).tocsr()

    def query_terms(self, query: str) -> list[int]:
        """The feature columns of the question's terms, those made only of stop words aside."""
        analyse, vocabulary = self.vectorizer.build_analyzer(), self.vectorizer.vocabulary_
        return sorted({vocabulary[term] for term in analyse(query) if term in vocabulary
                       and not all(word in ENGLISH_STOP_WORDS for word in term.split())})

    def scores(self, labels: Mapping[int, int]) -> np.ndarray:
        """A score per record (higher: read sooner), given the decisions so far
        (``{position: INCLUDE or EXCLUDE}``)."""
        if self.features is None:
            return np.zeros(self.n)
        included = [i for i, y in labels.items() if y == INCLUDE]
        excluded = [i for i, y in labels.items() if y == EXCLUDE]
        if self.query is not None:
            included.append(self.n)  # the question, as a relevant document
        if included and excluded:
            return self._model_scores(included, excluded)
        if len(included) > (self.query is not None):  # similar to what was included, and to the question
            centroid = np.asarray(self._training[included].mean(axis=0)).ravel()
            return self.features @ centroid
        if self._cold is not None:
            # no decision yet: plain cosine similarity to the question (the wider prior on its
            # terms is a prior of the model's weights, and there is no model yet)
            return self.features @ self._cold
        return np.zeros(self.n)

    def _model_scores(self, included: list[int], excluded: list[int]) -> np.ndarray:
        rows = np.array(included + excluded)
        y = np.array([INCLUDE] * len(included) + [EXCLUDE] * len(excluded))
        model = LinearSVC(C=SVM_C, loss="squared_hinge", tol=SVM_TOL, random_state=self.seed)
        model.fit(self._training[rows], y, sample_weight=balanced_weights(y))
        return model.decision_function(self.features)

    def order(self, labels: Mapping[int, int], scores: np.ndarray | None = None) -> np.ndarray:
        """Positions of the records without a decision, the one to read next first (ties keep
        the given order). ``scores``: a ranking already computed (by a model fitted on fewer
        decisions), to order by instead of refitting now."""
        if scores is None:
            scores = self.scores(labels)
        read = np.zeros(self.n, dtype=bool)
        read[list(labels)] = True
        unread = np.flatnonzero(~read)
        return unread[np.argsort(-scores[unread], kind="stable")]


@dataclass(frozen=True)
class Stopping:
    """Where screening stands against the stopping rule (see the module docstring)."""

    total: int                  # records in the queue
    screened: int               # records with a decision
    found: int                  # records included
    p_value: float              # smallest p of H0 "recall < target" (1.0 before any sample)
    unseen_relevant_max: int    # upper bound (1 - ALPHA) on relevant records still unread
    recall_target: float = RECALL_TARGET
    alpha: float = ALPHA

    @property
    def unread(self) -> int:
        return self.total - self.screened

    @property
    def stop(self) -> bool:
        """True when the rule suggests stopping: recall is at least the target with
        confidence ``1 - alpha``, or nothing is left to read."""
        return self.unread == 0 or self.p_value < self.alpha

    @property
    def recall_min(self) -> float | None:
        """Lower bound on recall so far, from the upper bound on what is still unread."""
        possible = self.found + self.unseen_relevant_max
        return self.found / possible if possible else None

    def describe(self) -> str:
        if self.unread == 0:
            return (f"all {self.total:,} record{'s' if self.total != 1 else ''} screened; "
                    f"{self.found:,} included")
        advice = ("the stopping rule is met: you may stop" if self.stop else "keep screening")
        bound = (f"at most {self.unseen_relevant_max:,} relevant record(s) still unread "
                 f"({1 - self.alpha:.0%} confidence)")
        return (f"{self.screened:,} of {self.total:,} screened, {self.found:,} included; {bound}; "
                f"H0 'recall < {self.recall_target:.0%}' p = {self.p_value:.3g}: {advice} "
                "(Callaghan & Müller-Hansen 2020)")


def stopping(decisions: Sequence[int], total: int, recall_target: float = RECALL_TARGET,
             alpha: float = ALPHA) -> Stopping:
    """The stopping rule for the decisions so far, in the order they were made
    (1 include, 0 exclude), in a queue of ``total`` records."""
    labels = np.asarray(decisions, dtype=int)
    screened, found = len(labels), int(labels.sum())
    unread = total - screened
    if screened > total:
        raise ValueError(f"{screened} decisions for {total} records")
    if screened == 0:
        return Stopping(total, 0, 0, 1.0, unread, recall_target, alpha)
    p, n = _h0(labels, unread, recall_target)
    k = int(labels[screened - n:].sum())
    return Stopping(total, screened, found, p, _unseen_bound(k, n, unread, alpha), recall_target, alpha)


# Samples tried: every n up to EXACT_SAMPLES, then GRID_SAMPLES sizes spread geometrically up
# to all decisions. Skipping sizes can only miss a smaller p, so the rule may suggest stopping
# later than with every n, never earlier; it keeps a click quick after thousands of decisions.
EXACT_SAMPLES = 500
GRID_SAMPLES = 300


def sample_sizes(decided: int) -> np.ndarray:
    """The sizes n of the samples "the last n records read" that the rule tries."""
    if decided <= EXACT_SAMPLES:
        return np.arange(1, decided + 1)
    grid = np.geomspace(EXACT_SAMPLES + 1, decided, GRID_SAMPLES).round().astype(int)
    return np.unique(np.concatenate([np.arange(1, EXACT_SAMPLES + 1), grid, [decided]]))


def _h0(labels: np.ndarray, unread: int, recall_target: float) -> tuple[float, int]:
    """The smallest p over the samples "the last n records read", and the n that gives it."""
    found = int(labels.sum())
    n = sample_sizes(len(labels))
    in_sample = np.cumsum(labels[::-1])[n - 1]       # k for each sample of the last n records
    relevant_h0 = math.floor(found / recall_target) + 1
    in_urn = relevant_h0 - (found - in_sample)       # K under H0 for each sample
    population = n + unread
    p = hypergeom.cdf(in_sample, population, np.minimum(in_urn, population), n)
    best = int(np.argmin(p))
    return float(p[best]), int(n[best])


def _unseen_bound(k: int, n: int, unread: int, alpha: float) -> int:
    """The largest number of relevant unread records U such that seeing only ``k`` relevant in
    a random sample of ``n`` from an urn of ``n + unread`` records holding ``k + U`` relevant
    is not rejected at ``alpha``."""
    population = n + unread
    low, high = 0, unread  # P(X <= k) falls as U grows: find the last U with P >= alpha
    if hypergeom.cdf(k, population, k + high, n) >= alpha:
        return high
    while low < high:
        mid = (low + high + 1) // 2
        if hypergeom.cdf(k, population, k + mid, n) >= alpha:
            low = mid
        else:
            high = mid - 1
    return low
