"""Candidate screening models side by side, on the labelled sets of benchmarks/screening.py.

    python benchmarks/screening_candidates.py --seeds 2                 # every candidate
    python benchmarks/screening_candidates.py --only svm,svm+nb --seeds 5 --speed

Each candidate is a variant of :class:`litreview.collect.ranking.Ranker` (its model, its
features, or how it uses the review's question); the runs, priors and measures are those of
benchmarks/screening.py (``ours``: one relevant and one irrelevant prior per seed, no
question; ``+ question``: the same priors and the set's question; ``question only``: no
prior, one run). ASReview LAB's figures for the same priors are read from the orders that
benchmarks/screening.py keeps under ``.cache/`` (run it first; missing ones are left out).
``--speed``: the ms per decision at 10,000 records of that script, for each candidate.
Figures go to stdout and to reports/benchmarks/screening_candidates.json.

Per candidate one line: the mean over the sets of WSS@95 / recall after 10 % / records to the
first relevant one, for each run; beside it ASReview's means, the gain of ``+ question`` over
ASReview's WSS@95, and the largest shortfall of ``ours`` below ASReview's WSS@95 on one set;
then each set's WSS@95. The README's tables of candidates come from ``--seeds 1`` (every
candidate) and ``--seeds 5 --only`` (the truncated words).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.stats import rankdata
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.preprocessing import normalize

from litreview.collect import ranking
from litreview.collect.ranking import EXCLUDE, INCLUDE, balanced_weights
from litreview.collect.ranking import Ranker as Default


def _screening_module():
    spec = importlib.util.spec_from_file_location("screening_bench", Path(__file__).with_name("screening.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["screening_bench"] = module
    spec.loader.exec_module(module)
    return module


bench = _screening_module()
WORDS = ranking.WORD  # scikit-learn's default token pattern
JSON_OUT = bench.ROOT / "reports" / "benchmarks" / "screening_candidates.json"


# --- candidate models -----------------------------------------------------------------------

class Ranker(Default):
    """ASReview LAB's ELAS u4 (word uni- and bigrams, no latent dimensions): the ranker's default
    when these candidates were built, and the base each of them varies; ``Default`` is the
    ranker now (words cut to 6 characters and 50 latent dimensions, chosen here)."""

    tfidf = dict(ngram_range=(1, 2), sublinear_tf=True, max_df=0.95)
    latent = None


def _fit_rows(included: list[int], excluded: list[int]) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array(included + excluded)
    return rows, np.array([INCLUDE] * len(included) + [EXCLUDE] * len(excluded))


def _rank(scores: np.ndarray) -> np.ndarray:
    """Scores as ranks scaled to 0..1 (ties share their mean rank)."""
    return (rankdata(scores) - 1) / max(len(scores) - 1, 1)


class NaiveBayes(Ranker):
    """ASReview LAB's "ELAS u3" classifier (its LAB 1 default): multinomial naive Bayes,
    alpha 3.822, balanced sample weights of ratio 1.2 (asreview/models/models.py), on our features."""

    alpha, ratio, complement = 3.822, 1.2, False

    def _model_scores(self, included, excluded):
        rows, y = _fit_rows(included, excluded)
        weights = balanced_weights(y, self.ratio)
        model = (ComplementNB if self.complement else MultinomialNB)(alpha=self.alpha)
        model.fit(self._training[rows], y, sample_weight=weights)
        joint = model.predict_joint_log_proba(self.features)
        return joint[:, 1] - joint[:, 0]


class ComplementBayes(NaiveBayes):
    """Complement naive Bayes (Rennie, Shih, Teevan & Karger 2003, ICML), scikit-learn's
    defaults (alpha 1), the SVM's balanced weights."""

    alpha, ratio, complement = 1.0, ranking.BALANCE_RATIO, True


class Logistic(Ranker):
    """L2 logistic regression, scikit-learn's C=1 (ASReview's "logistic" classifier keeps the
    defaults), liblinear's dual solver at its own tolerance, the SVM's balanced weights."""

    def _model_scores(self, included, excluded):
        rows, y = _fit_rows(included, excluded)
        model = LogisticRegression(C=1.0, solver="liblinear", dual=True, tol=ranking.SVM_TOL,
                                   random_state=self.seed)
        model.fit(self._training[rows], y, sample_weight=balanced_weights(y))
        return model.decision_function(self.features)


class SvmNb(NaiveBayes):
    """The SVM and ELAS u3's naive Bayes, their scores averaged as ranks."""

    def _model_scores(self, included, excluded):
        return _rank(Ranker._model_scores(self, included, excluded)) + _rank(
            NaiveBayes._model_scores(self, included, excluded))


class SvmLogistic(Ranker):
    """The SVM and the logistic regression, their scores averaged as ranks."""

    def _model_scores(self, included, excluded):
        return _rank(Ranker._model_scores(self, included, excluded)) + _rank(
            Logistic._model_scores(self, included, excluded))


class CharGrams(Ranker):
    """The SVM on word uni- and bigrams plus character 3- to 5-grams within words (TF-IDF,
    sublinear), the two blocks each of unit length."""

    def __init__(self, texts, query="", seed=ranking.SEED):
        super().__init__(texts, query, seed)
        if self.features is None:
            return
        _add_block(self, TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2,
                                         max_df=0.95), texts, query)


def _add_block(ranker: Ranker, vectorizer: TfidfVectorizer, texts, query: str,
               scaled: list[str] | None = None) -> None:
    """A second block of features beside the ranker's words (the question's too); the cold
    start still reads the words alone. ``scaled``: the block's terms given the question's
    wider prior too (times ``QUERY_TERM_SCALE``, as the question's words)."""
    extra = vectorizer.fit_transform(list(texts))
    own = vectorizer.transform([query]) if ranker.query is not None else None
    if scaled and ranker.query is not None:
        scale = np.ones(extra.shape[1])
        scale[[vectorizer.vocabulary_[t] for t in scaled if t in vectorizer.vocabulary_]] = ranking.QUERY_TERM_SCALE
        extra = (extra @ sparse.diags(scale)).tocsr()
        own = normalize(own @ sparse.diags(scale)).tocsr()
    ranker.features = sparse.hstack([ranker.features, extra]).tocsr()
    blocks = [ranker.features]
    if ranker.query is not None:
        ranker.query = sparse.hstack([ranker.query, own]).tocsr()
        blocks.append(ranker.query)
        ranker._cold = np.concatenate([ranker._cold, np.zeros(extra.shape[1])])
    ranker._training = sparse.vstack(blocks).tocsr()


def _truncated(length: int) -> type[Ranker]:
    """Each word cut to its first ``length`` characters before the uni- and bigrams are made:
    truncation as a stemmer (McNamee, Nicholas & Mayfield 2009, "Addressing morphological
    variation in alphabetic languages", SIGIR '09)."""
    def tokenize(text: str) -> list[str]:
        return [w[:length] for w in WORDS.findall(text)]

    class Truncated(Ranker):
        tfidf = dict(Ranker.tfidf, tokenizer=tokenize, token_pattern=None)
    return Truncated


def _truncated_unigrams(length: int) -> type[Ranker]:
    """Unigrams of words cut to their first ``length`` characters (McNamee, Nicholas &
    Mayfield 2009), bigrams of whole words: as many features per record as the words'."""
    def analyse(text: str) -> list[str]:
        tokens = WORDS.findall(text.lower())
        return [w[:length] for w in tokens] + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]

    class Mixed(Ranker):
        tfidf = dict(sublinear_tf=True, max_df=0.95, analyzer=analyse)
    return Mixed


def _with_truncated(length: int, bigrams: bool = False, scaled: bool = False) -> type[Ranker]:
    """The word features plus a second block: the words cut to their first ``length``
    characters (McNamee, Nicholas & Mayfield 2009), unigrams (and bigrams), TF-IDF as the words."""
    def tokenize(text: str) -> list[str]:
        return [w[:length] for w in WORDS.findall(text)]

    class Both(Ranker):
        def __init__(self, texts, query="", seed=ranking.SEED):
            super().__init__(texts, query, seed)
            if self.features is None:
                return
            terms = [w[:length] for w in WORDS.findall(query.lower()) if w not in ranking.ENGLISH_STOP_WORDS]
            _add_block(self, TfidfVectorizer(tokenizer=tokenize, token_pattern=None, sublinear_tf=True,
                                             max_df=0.95, ngram_range=(1, 2 if bigrams else 1)), texts, query,
                       terms if scaled else None)
    return Both


def _question_variants(length: int, expand: bool = False) -> type[Ranker]:
    """The features unchanged; the question's terms widened to their morphological variants in
    the vocabulary: every term whose words agree with a question term's words on their first
    ``length`` characters (truncation as a stemmer: McNamee, Nicholas & Mayfield 2009).
    ``expand``: the question document also holds those variants (query expansion)."""

    def key(term: str) -> str:
        return " ".join(w[:length] for w in term.split())

    class Variants(Ranker):
        def __init__(self, texts, query="", seed=ranking.SEED):
            if expand and query.strip():
                probe = Ranker(texts)
                if probe.vectorizer is not None:
                    wanted = {key(t) for t in probe.vectorizer.build_analyzer()(query)}
                    extra = [t for t in probe.vectorizer.vocabulary_ if " " not in t and key(t) in wanted
                             and t not in ranking.ENGLISH_STOP_WORDS]
                    query = query + " " + " ".join(sorted(extra))
            super().__init__(texts, query, seed)

        def query_terms(self, query):
            exact = Ranker.query_terms(self, query)
            vocabulary = self.vectorizer.vocabulary_
            inverse = {j: t for t, j in vocabulary.items()}
            wanted = {key(inverse[j]) for j in exact}
            return sorted({j for t, j in vocabulary.items() if key(t) in wanted})
    return Variants


def _question_copies(copies: int) -> type[Ranker]:
    """The question as ``copies`` relevant documents instead of one (its weight as a count of
    pseudo-documents)."""

    class Copies(Ranker):
        def _model_scores(self, included, excluded):
            if self.query is not None and included and included[-1] == self.n:
                included = included + [self.n] * (copies - 1)
            return Ranker._model_scores(self, included, excluded)
    return Copies


def _rocchio_share(alpha: float, beta: float) -> type[Ranker]:
    """The question keeps the share alpha / (alpha + beta) of the relevant class's weight
    however many relevant records are found, as Rocchio's query weight alpha does against the
    relevant documents' mean weighted beta (Rocchio 1971; alpha 8, beta 16 from Buckley, Salton
    & Allan 1994, "The effect of adding relevance information in a relevance feedback
    environment", SIGIR '94)."""

    class Share(Ranker):
        def _model_scores(self, included, excluded):
            if self.query is None:
                return Ranker._model_scores(self, included, excluded)
            rows, y = _fit_rows(included, excluded)
            weights = balanced_weights(y)
            found = len(included) - 1
            if found:
                mass = weights[: len(included)].sum()
                share = alpha / (alpha + beta)
                weights[: len(included) - 1] = mass * (1 - share) / found
                weights[len(included) - 1] = mass * share
            model = ranking.LinearSVC(C=ranking.SVM_C, loss="squared_hinge", tol=ranking.SVM_TOL,
                                      random_state=self.seed)
            model.fit(self._training[rows], y, sample_weight=weights)
            return model.decision_function(self.features)
    return Share


def _bm25_blend(base: type[Ranker], pseudo: float) -> type[Ranker]:
    """The model's ranks plus the question's BM25 ranks (k1 1.2, b 0.75: Robertson & Zaragoza
    2009), the latter weighted pseudo / (pseudo + decisions): the question's ranking counts as
    ``pseudo`` decisions' worth of evidence, fading as real decisions accumulate (an
    m-estimate-like prior; ``pseudo`` 10 is not from a source, and was the only value tried)."""

    class Blend(base):
        def __init__(self, texts, query="", seed=ranking.SEED):
            super().__init__(texts, query, seed)
            self._bm25 = _bm25(texts, query) if self.features is not None and query.strip() else None

        def scores(self, labels):
            model = base.scores(self, labels)
            if self._bm25 is None or not labels:
                return model
            weight = pseudo / (pseudo + len(labels))
            return (1 - weight) * _rank(model) + weight * _rank(self._bm25)
    return Blend


def _question_feature(scale: float, bm25: bool = False) -> type[Ranker]:
    """The record's similarity to the question (cosine of TF-IDF vectors, or BM25 divided by its
    largest value) as one more feature, times ``scale``: its weight is learnt from the
    decisions, under a prior ``scale ** 2`` times wider than a word's (Dayanik et al. 2006)."""

    class Feature(Ranker):
        def __init__(self, texts, query="", seed=ranking.SEED):
            super().__init__(texts, query, seed)
            if self.query is None:
                return
            if bm25:
                similarity = _bm25(texts, query)
                similarity = similarity / max(similarity.max(), 1e-12)
            else:
                similarity = self.features @ self._cold
            column = sparse.csr_matrix(scale * similarity[:, None])
            self.features = sparse.hstack([self.features, column]).tocsr()
            # the question's own similarity to itself: 1 (the largest a record can have)
            self.query = sparse.hstack([self.query, sparse.csr_matrix([[scale]])]).tocsr()
            self._cold = np.append(self._cold, 0.0)
            self._training = sparse.vstack([self.features, self.query]).tocsr()
    return Feature


def _bm25(texts: list[str], query: str, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(stop_words="english").fit(list(texts) + [query])
    tf = counts.transform(texts).tocsc().astype(float)
    terms = np.flatnonzero(counts.transform([query]).toarray().ravel())
    length = np.asarray(tf.sum(axis=1)).ravel()
    norm = k1 * (1 - b + b * length / max(length.mean(), 1))
    df = np.diff(tf.indptr)[terms]
    idf = np.log(1 + (len(texts) - df + 0.5) / (df + 0.5))
    score = np.zeros(len(texts))
    for term, weight in zip(terms, idf):
        column = tf[:, term].toarray().ravel()
        score += weight * column * (k1 + 1) / (column + norm)
    return score


def _latent(components: int, weight: float, base: type[Ranker] = Ranker) -> type[Ranker]:
    """The words plus their latent semantic dimensions (LSA: Deerwester, Dumais, Furnas, Landauer
    & Harshman 1990, "Indexing by latent semantic analysis", JASIS 41:391): a truncated SVD of
    the TF-IDF matrix of every record and the question, fitted once, each record's latent vector
    of unit length times ``weight`` beside its words (the ranker's own latent block,
    :meth:`Default._add_latent`, at these settings). Records and a question that share no word
    can still meet in the latent space."""
    return type("Latent", (base,), {"latent": (components, weight)})


def _latent_pair(components: int, latent_share: float = 0.5) -> type[Ranker]:
    """Two views, their ranks averaged: the SVM on the words, and an SVM on the records' latent
    semantic dimensions alone (LSA, as :func:`_latent`; dense and small, so its fit is quick).
    ``latent_share``: the latent model's part of the average."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.svm import LinearSVC

    class Pair(Ranker):
        def __init__(self, texts, query="", seed=ranking.SEED):
            super().__init__(texts, query, seed)
            self._latent = None
            if self.features is None or self.n <= components:
                return
            svd = TruncatedSVD(n_components=components, random_state=seed)
            self._latent = normalize(svd.fit_transform(self._training))

        def _model_scores(self, included, excluded):
            words = Ranker._model_scores(self, included, excluded)
            if self._latent is None:
                return words
            rows, y = _fit_rows(included, excluded)
            model = LinearSVC(C=ranking.SVM_C, tol=ranking.SVM_TOL, random_state=self.seed)
            model.fit(self._latent[rows], y, sample_weight=balanced_weights(y))
            latent = model.decision_function(self._latent[:self.n])
            return (1 - latent_share) * _rank(words) + latent_share * _rank(latent)
    return Pair


class WordsAndTruncated(Ranker):
    """The SVM on words and the SVM on words cut to 6 characters, their scores averaged as
    ranks (two fits per decision)."""

    def __init__(self, texts, query="", seed=ranking.SEED):
        super().__init__(texts, query, seed)
        self._other = _truncated(6)(texts, query, seed)

    def _model_scores(self, included, excluded):
        other = [i if i < self.n else self._other.n for i in included]
        return _rank(Ranker._model_scores(self, included, excluded)) + _rank(
            Ranker._model_scores(self._other, other, excluded))


CANDIDATES: dict[str, Callable] = {
    # the model (features: word uni- and bigrams)
    "svm": Ranker,  # ASReview LAB's ELAS u4, the default until the latent dimensions
    "default": Default,  # the ranker now: words cut to 6 characters + 50 latent dimensions at 0.25
    "nb": NaiveBayes,
    "cnb": ComplementBayes,
    "logistic": Logistic,
    "svm+nb": SvmNb,
    "svm+logistic": SvmLogistic,
    # the features (SVM)
    "svm+chars": CharGrams,
    "prefix4": _truncated(4),
    "prefix5": _truncated(5),
    "prefix6": _truncated(6),
    "prefix7": _truncated(7),
    "prefix6 unigrams": _truncated_unigrams(6),
    "words+prefix5": _with_truncated(5),
    "words+prefix5 both scaled": _with_truncated(5, scaled=True),
    "svm words+svm prefix6": WordsAndTruncated,
    # the question (SVM on words)
    "question x3": _question_copies(3),
    "rocchio share": _rocchio_share(8, 16),  # Buckley, Salton & Allan 1994's alpha 8, beta 16
    "svm+bm25": _bm25_blend(Ranker, 10),
    "svm+nb+bm25": _bm25_blend(SvmNb, 10),
    "q feature 1": _question_feature(1.0),
    "q feature 2": _question_feature(2.0),
    "q bm25 feature 2": _question_feature(2.0, bm25=True),
    "q variants5": _question_variants(5),
    "q variants5 expanded": _question_variants(5, expand=True),
    # latent semantic dimensions beside the words
    "lsa100": _latent(100, 1.0),
    "lsa100 x0.5": _latent(100, 0.5),
    "lsa50": _latent(50, 1.0),
    "lsa50 x0.5": _latent(50, 0.5),
    "lsa30": _latent(30, 1.0),
    "lsa50 x0.25": _latent(50, 0.25),
    "lsa50 x0.35": _latent(50, 0.35),
    "lsa50 x0.15": _latent(50, 0.15),
    "lsa100 x0.25": _latent(100, 0.25),
    "prefix6+lsa50 x0.25": _latent(50, 0.25, _truncated(6)),
    "prefix6+lsa50 x0.5": _latent(50, 0.5, _truncated(6)),
    "svm+lsa50 svm": _latent_pair(50),
    "svm+lsa100 svm": _latent_pair(100),
}


# --- runs -----------------------------------------------------------------------------------

def run_candidate(cls, loaded, questions, files, seeds) -> list[dict]:
    rows = []
    for path, (texts, labels) in zip(files, loaded):
        row = dict(file=path.name, ours=[], question=[], question_only=[])
        plain, asked = cls(texts), cls(texts, questions.get(path.name, ""))
        for seed in range(1, seeds + 1):
            prior = bench.priors(labels, seed)
            row["ours"].append(bench.measures(bench.simulate_ours(plain, labels, prior)[0], labels))
            row["question"].append(bench.measures(bench.simulate_ours(asked, labels, prior)[0], labels))
        row["question_only"].append(bench.measures(bench.simulate_ours(asked, labels, [])[0], labels, skip=0))
        rows.append(row)
    return rows


def asreview_rows(loaded, files, seeds) -> list[dict] | None:
    speed = bench._speed_module()
    command = bench.ENV / "bin" / "asreview"
    if not command.exists():
        return None
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for path, (_, labels) in zip(files, loaded):
            runs = []
            for seed in range(1, seeds + 1):
                prior = bench.priors(labels, seed)
                order, _, error = bench.simulate_asreview(speed, command, path, prior, seed, Path(folder))
                if order is None:
                    return None
                runs.append(bench.measures(order, labels))
            rows.append(dict(file=path.name, asreview=runs))
    return rows


def summary(rows: list[dict], key: str) -> dict[str, list[float]]:
    return {m: [statistics.mean(r[m] for r in row[key]) for row in rows] for m, _, _ in bench.MEASURES}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", type=Path, default=bench.DEFAULT_SETS)
    ap.add_argument("--questions", type=Path, default=None, help="default: questions.csv in --sets")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated candidate names (default: all): "
                    + ", ".join(CANDIDATES))
    ap.add_argument("--speed", action="store_true", help="also the ms per decision at 10,000 records")
    ap.add_argument("--json", type=Path, default=JSON_OUT)
    args = ap.parse_args()
    questions = bench.load_questions(args.questions or args.sets / "questions.csv")
    files = sorted(f for f in args.sets.glob("*.csv") if f.name != "questions.csv")
    loaded = [bench.load_set(f) for f in files]
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CANDIDATES)
    theirs = asreview_rows(loaded, files, args.seeds)
    table = {}
    if theirs:
        table["ASReview"] = dict(asreview=summary(theirs, "asreview"))
    for name in names:
        bench.progress(f"candidate {name}")
        rows = run_candidate(CANDIDATES[name], loaded, questions, files, args.seeds)
        table[name] = {key: summary(rows, key) for key in ("ours", "question", "question_only")}
        if args.speed:
            bench.Ranker = CANDIDATES[name]
            table[name]["speed"] = bench.speed_per_decision(loaded, " ".join(questions.values()))["runs"]
        print_row(name, table[name], table.get("ASReview"), [f.name for f in files])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(dict(measured=datetime.now(UTC).isoformat(timespec="seconds"),
                                         seeds=args.seeds, sets=[f.name for f in files], table=table),
                                    indent=2) + "\n", encoding="utf-8")


def print_row(name: str, row: dict, theirs: dict | None, files: list[str]) -> None:
    cells = []
    for key, label in (("ours", "ours"), ("question", "+question"), ("question_only", "q only")):
        m = row[key]
        cells.append(f"{label} {statistics.mean(m['wss95']):.3f}/{statistics.mean(m['recall10']):.3f}/"
                     f"{statistics.mean(m['first']):.1f}")
    line = f"{name:<16} " + "  ".join(cells)
    if theirs:
        a = theirs["asreview"]
        worst = min(o - t for o, t in zip(row["ours"]["wss95"], a["wss95"]))
        line += (f"  | vs ASReview {statistics.mean(a['wss95']):.3f}/{statistics.mean(a['recall10']):.3f}: "
                 f"+q {statistics.mean(row['question']['wss95']) - statistics.mean(a['wss95']):+.3f}, "
                 f"worst set w/o q {worst:+.3f}")
    print(line, flush=True)
    print("    per set WSS@95 ours / +question: " + ", ".join(
        f"{f.split('.')[0].replace('Cohen_2006_', '')} {o:.3f}/{q:.3f}"
        for f, o, q in zip(files, row["ours"]["wss95"], row["question"]["wss95"])), flush=True)
    if "speed" in row:
        print("    speed: " + ", ".join(f"{r['decisions']}: {r['cpu_median_ms']:.0f} ms (max {r['cpu_max_ms']:.0f})"
                                          for r in row["speed"]), flush=True)


if __name__ == "__main__":
    main()
