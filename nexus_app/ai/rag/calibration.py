"""The refusal rule ("the books do not cover this"), chosen on data and stored with the repo.

A retrieval result is described by a few numbers (:func:`features_of`): the blended relevance
(docs/ai.md), the best dense cosine, the IDF-weighted lexical coverage, whether BM25 and the
embedder agree on the best passage, and sentence-level numbers over the question's *topical*
terms (its content terms minus chat words like "yg", "gmn", "kak", "maksudnya"):

- ``sentence_cover``: the IDF-weighted share of those terms found in ONE sentence of the top
  three passages (the best sentence). A near-topic question ("rumus luas permukaan bola") shares
  words with a chunk ("luas", "bola") but no single book sentence holds what it asks about;
- ``missing``: the IDF-weighted share of those terms found nowhere in the top three passages
  (or their headings): "vektor", "html", "trapesium";
- ``passage_cover``, ``sent_bm25``, ``phrase`` (:func:`sentence_features`): the best single
  passage's cover, the best sentence's BM25, and whether the question's key phrases
  ("volume tabung") stand together in a passage;
- ``sent_dense``: the embedder's cosine of the question with the best single sentence, and
  ``dense_gap``: the best passage's cosine above the question's median over the subject;
- ``judge`` (:func:`judge_features`, judge.py): the packaged language model's log-odds of
  "ya" over "tidak" when asked whether the 1–3 sentences a quote-first answer would quote
  answer the question. A rule with this input keeps a ``fallback`` without it, used when no
  model is loaded or the model cannot judge in time; ``judge_band`` limits the question to
  the fallback's uncertain cases.

The rule is either thresholds on relevance, cosine and coverage (the old form) or a small
logistic model whose inputs, weights and cut are stored in the JSON (``model``): answer when
``bias + Σ w·x >= cut``. Cosines belong to one embedder: a model with cosine inputs names it
(``embedder``) and carries a ``fallback`` rule for packages built with another.

Nothing is hand-set: ``python bench/bench_tutor.py --calibrate`` fits the rules on one part of
the tutor gold set (covered questions phrased loosely, near-topic out-of-book questions),
reports them on rows never used to fit, and ``--write`` stores the result in
``refusal_calibration.json`` next to this file. :func:`load_rule` reads it; without the file
the old rule (relevance >= 0.40) applies.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nexus_app.ai.chunking import content_terms, split_sentences, spoken_variants, stem_id
from nexus_app.ai.retriever import RELEVANCE_THRESHOLD, RetrievalResult
from nexus_app.ai.vkp import Package

CALIBRATION_PATH = Path(__file__).with_name("refusal_calibration.json")
# Highest share of covered questions the calibration may refuse.
MAX_COVERED_REFUSED = 0.03
# "Kecocokan dengan buku" from a logistic rule's chance that the book covers the question:
# "tinggi" from 90 %, "rendah" below an even chance (answered, since the cut sits lower to
# refuse few covered questions), "sedang" between.
WORD_CHANCES = (0.9, 0.5)

Features = dict[str, float]


# Chat and question-frame words that say nothing about the topic: informal Indonesian as
# students type it (general register, not taken from the gold questions). A question word on
# this list never counts as "the book lacks it".
_INFORMAL_TEXT = """
    yg gmn gmna gimana gitu gini tu tuh kak kakak bang bu pak min aja aj kalo klo kl brp knp dlm
    dgn utk krn tdk gak ga gk nggak engga enggak kayak kyk apaan ngapain sampe cepet gede pake
    bikin liat abis habis udah udh sdh blm sm bgt banget emang emg dong sih nih deh kok lho loh
    yah ok oke bener jelasin terangin mohon nanya tanya maksud maksudnya mksd definisi pengertian
    nama namanya sebenernya sebenarnya terus trus trs jd jdi tp dr dri pd spt gampang susah simpel
    ngerti paham contoh contohnya biasa beda bedanya doang pengen pgn mo plis pls please makasih
    kasih rumus cara soal materi pelajaran belajar gan guys tau ku mu cuma drpd duluan
"""
INFORMAL_TERMS: frozenset[str] = frozenset(
    set(_INFORMAL_TEXT.split()) | {stem_id(w) for w in _INFORMAL_TEXT.split()}
)


def _colloquial(term: str, packages: Sequence[Package]) -> bool:
    """A chat word, or a spoken form of a word the book has (:func:`spoken_variants`): a
    word the book itself uses is never one."""
    if term in INFORMAL_TERMS:
        return True
    if any(pkg.has_term(term) for pkg in packages):
        return False
    return any(
        v in INFORMAL_TERMS or any(pkg.has_term(v) for pkg in packages)
        for v in spoken_variants(term)
    )


def topical_terms(question: str, packages: Sequence[Package]) -> set[str]:
    """The question's content terms (stemmed) without chat and question-frame words."""
    return {t for t in content_terms(question) if not _colloquial(t, packages)}


# Scores each sentence against the question with the embedder (``Retriever.
# sentence_similarities``): cosines in the sentences' order, or None when it cannot.
SentenceScorer = Callable[[str, Sequence[str]], list[float] | None]
# The language model's answerability judgement (judge.py): log-odds of "ya" over "tidak" for
# "do these sentences answer the question?", or None when it cannot.
AnswerJudge = Callable[[str, Sequence[str]], float | None]

# BM25 constants for the best-sentence score (the usual ones).
_BM25_K1 = 1.2
_BM25_B = 0.75
# Sentences shorter than this are headings or list stubs, not statements.
_MIN_SENTENCE_WORDS = 4
EVIDENCE_PASSAGES = 3


def evidence_sentences(result: RetrievalResult) -> list[str]:
    """The sentences of the top passages that the sentence-level features look at (the same
    ones quote-first answers choose from: :func:`support.candidate_sentences`)."""
    out: list[str] = []
    for p in result.passages[:EVIDENCE_PASSAGES]:
        for sentence in split_sentences(p.text.replace("\n", " ")):
            if len(sentence.split()) >= _MIN_SENTENCE_WORDS:
                out.append(sentence)
    return out


def _bigrams(terms: Sequence[str], gap: int) -> set[frozenset[str]]:
    """Pairs of terms at most ``gap`` apart (order ignored): "luas permukaan bola" holds
    {luas, muka} and {muka, bola}."""
    out: set[frozenset[str]] = set()
    for i, t in enumerate(terms):
        for u in terms[i + 1 : i + 1 + gap]:
            if u != t:
                out.add(frozenset((t, u)))
    return out


def sentence_features(result: RetrievalResult, packages: Sequence[Package]) -> Features:
    """The lexical sentence- and passage-level numbers of one search, over the question's
    topical terms, IDF-weighted by the best passage's book:

    - ``sentence_cover``: share held by ONE sentence of the top three passages (the best);
    - ``missing``: share found nowhere in the top three passages or their headings;
    - ``passage_cover``: share held by the best single passage of the top three (with its
      two innermost headings);
    - ``sent_bm25``: BM25 of the best sentence (k1 1.2, b 0.75, length against the
      candidates' mean), divided by the terms' summed IDF, so about 0–2 whatever the book;
    - ``phrase``: share of the question's key phrases — pairs of neighbouring topical terms
      ("permukaan bola", "volume tabung") — that stand together (at most one word between)
      in one of the top three passages; a one-term question: whether the term is there.
    """
    empty = {
        "sentence_cover": 0.0,
        "missing": 1.0,
        "passage_cover": 0.0,
        "sent_bm25": 0.0,
        "phrase": 0.0,
    }
    if not result.passages or not packages:
        return empty
    terms = topical_terms(result.query, packages)
    if not terms:
        # Only chat words ("apa itu?"): nothing topical to miss; relevance decides.
        return {
            "sentence_cover": 1.0,
            "missing": 0.0,
            "passage_cover": 1.0,
            "sent_bm25": 1.0,
            "phrase": 1.0,
        }
    by_key = {(p.manifest.book_key, p.manifest.version): p for p in packages}
    top = result.passages[0]
    pkg = by_key.get((top.book_key, top.package_version), packages[0])
    idf = {t: max(pkg.idf(t), 0.0) for t in terms}
    total = sum(idf.values()) or 1.0
    present: set[str] = set()
    passage_best = 0.0
    passage_pairs: set[frozenset[str]] = set()
    sentences: list[list[str]] = []
    for p in result.passages[:EVIDENCE_PASSAGES]:
        head = list(content_terms(" ".join(p.heading_path[-2:])))
        body = list(content_terms(p.text))
        here = set(head) | set(body)
        present |= here
        passage_best = max(passage_best, sum(w for t, w in idf.items() if t in here) / total)
        passage_pairs |= _bigrams(head, 2) | _bigrams(body, 2)
        for sentence in split_sentences(p.text.replace("\n", " ")):
            if len(sentence.split()) >= _MIN_SENTENCE_WORDS:
                sentences.append(content_terms(sentence))
    best = 0.0
    bm25 = 0.0
    avg = (sum(len(s) for s in sentences) / len(sentences)) if sentences else 1.0
    for st in sentences:
        have = set(st)
        best = max(best, sum(w for t, w in idf.items() if t in have) / total)
        norm = _BM25_K1 * (1 - _BM25_B + _BM25_B * len(st) / (avg or 1.0))
        score = 0.0
        for t, w in idf.items():
            tf = st.count(t)
            if tf:
                score += w * tf * (_BM25_K1 + 1) / (tf + norm)
        bm25 = max(bm25, score / total)
    missing = sum(w for t, w in idf.items() if t not in present) / total
    # Key phrases: neighbouring topical terms of the question, in its order.
    q_seq = [t for t in content_terms(result.query) if t in terms]
    pairs = _bigrams(q_seq, 1)
    if pairs:
        weight = {pair: sum(idf[t] for t in pair) for pair in pairs}
        phrase = sum(w for pair, w in weight.items() if pair in passage_pairs) / (
            sum(weight.values()) or 1.0
        )
    else:
        phrase = 1.0 - missing
    return {
        "sentence_cover": round(best, 4),
        "missing": round(missing, 4),
        "passage_cover": round(passage_best, 4),
        "sent_bm25": round(bm25, 4),
        "phrase": round(phrase, 4),
    }


def dense_sentence_features(result: RetrievalResult, scorer: SentenceScorer) -> Features | None:
    """``sent_dense``: the embedder's cosine of the question with the best single sentence
    of the top three passages (None when the scorer cannot score them)."""
    sentences = evidence_sentences(result)
    if not sentences:
        return {"sent_dense": 0.0}
    scores = scorer(result.query, sentences)
    if not scores or len(scores) != len(sentences):
        return None
    return {"sent_dense": round(max(scores), 4)}


def judge_features(
    result: RetrievalResult, judge: AnswerJudge, scorer: SentenceScorer | None = None
) -> Features | None:
    """``judge``: the model's log-odds that the 1–3 sentences a quote-first answer would
    quote answer the question (None when the judge cannot say)."""
    from .judge import judge_sentences

    sentences = judge_sentences(result, scorer)
    if not sentences:
        return {"judge": JUDGE_FLOOR}
    value = judge(result.query, sentences)
    if value is None:
        return None
    # Clipped: a very sure "tidak" and a sure one mean the same to the rule.
    return {"judge": round(max(JUDGE_FLOOR, min(JUDGE_CEILING, value)), 4)}


def features_of(
    result: RetrievalResult,
    packages: Sequence[Package] | None = None,
    scorer: SentenceScorer | None = None,
    judge: AnswerJudge | None = None,
) -> Features:
    """The numbers the refusal rule looks at, for one search (the sentence-level lexical
    ones only with the searched ``packages``, ``sent_dense`` only with a ``scorer``,
    ``judge`` only with a ``judge``)."""
    best = result.passages[0] if result.passages else None
    # Agreement: the fused best passage is among the top 3 of both BM25 and the embedder.
    agree = bool(
        best
        and best.dense_rank is not None
        and best.bm25_rank is not None
        and best.dense_rank <= 3
        and best.bm25_rank <= 3
    )
    out = {
        "relevance": round(result.relevance, 4),
        "top_dense": round(result.top_dense, 4),
        "lexical": round(result.lexical_coverage, 4),
        "agree": 1.0 if agree else 0.0,
        # How far the best passage stands above the question's median cosine with the
        # subject's passages (Retriever.search's extras).
        "dense_gap": round(result.top_dense - result.extras.get("dense_median", 0.0), 4),
    }
    if packages is not None:
        out.update(sentence_features(result, packages))
    if scorer is not None:
        dense = dense_sentence_features(result, scorer)
        if dense is not None:
            out.update(dense)
    if judge is not None and result.passages:
        judged = judge_features(result, judge, scorer)
        if judged is not None:
            out.update(judged)
    return out


@dataclass(frozen=True)
class Verdict:
    """Whether to answer, and how well the book matches in words a student understands
    ("tinggi", "sedang", "rendah": Kecocokan dengan buku)."""

    covered: bool
    words: str


@dataclass(frozen=True, slots=True)
class RefusalRule:
    """Answer when relevance, dense cosine and lexical coverage reach their thresholds.

    ``high`` splits answered questions into "tinggi" and "sedang" relevance for the student;
    below ``low`` (still answered) it is "rendah".
    """

    min_relevance: float
    min_dense: float = 0.0
    min_lexical: float = 0.0
    high: float = 0.7
    low: float = RELEVANCE_THRESHOLD
    # The logistic form (when ``weights`` is set): answer when bias + Σ w·feature >= cut;
    # the thresholds above are then not used.
    weights: tuple[tuple[str, float], ...] = ()
    bias: float = 0.0
    cut: float = 0.0
    # Cosines differ per embedder: the embedder the weights were calibrated with ("" = any).
    # Packages built with another one (a school's own model, the tests' hashing embedder)
    # are judged by ``fallback``, a rule without embedder-specific inputs.
    embedder: str = ""
    fallback: RefusalRule | None = None
    # A rule with the ``judge`` input asks the model only when the fallback's score minus
    # its cut lies in this band (lo, hi); outside it the fallback decides (None: always ask).
    judge_band: tuple[float, float] | None = None

    @classmethod
    def legacy(cls) -> RefusalRule:
        return cls(min_relevance=RELEVANCE_THRESHOLD)

    @property
    def needs_packages(self) -> bool:
        return any(name in _SENTENCE_FEATURES for name, _ in self.weights)

    @property
    def needs_scorer(self) -> bool:
        return any(name in _DENSE_SENTENCE_FEATURES for name, _ in self.weights)

    @property
    def needs_judge(self) -> bool:
        return any(name in _JUDGE_FEATURES for name, _ in self.weights)

    def score(self, f: Features) -> float:
        return self.bias + sum(w * f[name] for name, w in self.weights)

    def covers(self, f: Features) -> bool:
        if self.weights:
            return self.score(f) >= self.cut
        return (
            f["relevance"] >= self.min_relevance
            and f["top_dense"] >= self.min_dense
            and f["lexical"] >= self.min_lexical
        )

    def covers_result(
        self,
        result: RetrievalResult,
        packages: Sequence[Package] | None = None,
        scorer: SentenceScorer | None = None,
        judge: AnswerJudge | None = None,
    ) -> bool:
        """Answer or refuse (:meth:`verdict`)."""
        return self.verdict(result, packages, scorer, judge).covered

    def verdict(
        self,
        result: RetrievalResult,
        packages: Sequence[Package] | None = None,
        scorer: SentenceScorer | None = None,
        judge: AnswerJudge | None = None,
    ) -> Verdict:
        """Answer or refuse, and how well the book matches in words. A logistic rule over
        sentence features needs the searched ``packages`` (and for ``sent_dense`` a
        ``scorer``); without them, or when the scorer fails, it falls back to the old
        relevance threshold. A rule with the model's ``judge`` input uses its ``fallback``
        when no judge is given (no model loaded) or the judge cannot say (busy, failed); with
        ``judge_band`` set, the fallback also decides alone when its own score is outside the
        band (the judge is not asked)."""
        by_relevance = Verdict(
            result.relevance >= RELEVANCE_THRESHOLD, self.words(result.relevance)
        )
        if not result.passages:
            return Verdict(False, self.words(result.relevance))
        if self.embedder and packages is not None:
            names = {pkg.manifest.embedder for pkg in packages}
            if names != {self.embedder}:
                if self.fallback is not None:
                    return self.fallback.verdict(result, packages, scorer, judge)
                return by_relevance
        if self.needs_judge:
            if self.fallback is None:
                return by_relevance
            if judge is None:
                return self.fallback.verdict(result, packages, scorer)
        if (self.needs_packages and packages is None) or (self.needs_scorer and scorer is None):
            return by_relevance
        f = features_of(
            result,
            packages if self.needs_packages else None,
            scorer if self.needs_scorer else None,
        )
        if self.needs_judge:
            assert self.fallback is not None and judge is not None
            base = self.fallback
            if (
                any(name not in f for name, _ in base.weights)
                or base.needs_judge
                or (base.embedder and packages is None)
            ):
                return base.verdict(result, packages, scorer)
            margin = base.score(f) - base.cut
            if self.judge_band is not None and not (
                self.judge_band[0] <= margin <= self.judge_band[1]
            ):
                return base.decided(f)
            judged = judge_features(result, judge, scorer)
            if judged is None:
                return base.decided(f)
            f.update(judged)
        if any(name not in f for name, _ in self.weights):
            return by_relevance
        return self.decided(f)

    def decided(self, f: Features) -> Verdict:
        """The verdict on computed features. A logistic rule's words read its score as the
        log-odds that the book covers the question (:data:`WORD_CHANCES`): on held-out rows
        that tells a right answer from a wrong one, where the relevance barely does
        (docs/benchmarks.md, 2026-12-07)."""
        covered = self.covers(f)
        if not self.weights:
            return Verdict(covered, self.words(f["relevance"]))
        chance = 1.0 / (1.0 + math.exp(-self.score(f)))
        high, low = WORD_CHANCES
        words = "tinggi" if chance >= high else "sedang" if chance >= low else "rendah"
        return Verdict(covered, words)

    def words(self, relevance: float) -> str:
        """How well the book matches, in words a student understands."""
        if relevance >= self.high:
            return "tinggi"
        if relevance >= self.low:
            return "sedang"
        return "rendah"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "min_relevance": self.min_relevance,
            "min_dense": self.min_dense,
            "min_lexical": self.min_lexical,
            "high": self.high,
            "low": self.low,
        }
        if self.weights:
            out["model"] = {
                "features": [name for name, _ in self.weights],
                "weights": [w for _, w in self.weights],
                "bias": self.bias,
                "cut": self.cut,
            }
        if self.embedder:
            out["embedder"] = self.embedder
        if self.fallback is not None:
            out["fallback"] = self.fallback.to_json()
        if self.judge_band is not None:
            out["judge_band"] = list(self.judge_band)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RefusalRule:
        model = data.get("model")
        weights: tuple[tuple[str, float], ...] = ()
        if model:
            weights = tuple(
                (str(n), float(w)) for n, w in zip(model["features"], model["weights"], strict=True)
            )
        fallback = data.get("fallback")
        band = data.get("judge_band")
        return cls(
            min_relevance=float(data["min_relevance"]),
            min_dense=float(data.get("min_dense", 0.0)),
            min_lexical=float(data.get("min_lexical", 0.0)),
            high=float(data.get("high", 0.7)),
            low=float(data.get("low", RELEVANCE_THRESHOLD)),
            weights=weights,
            bias=float(model["bias"]) if model else 0.0,
            cut=float(model["cut"]) if model else 0.0,
            embedder=str(data.get("embedder", "")),
            fallback=cls.from_json(fallback) if isinstance(fallback, dict) else None,
            judge_band=(float(band[0]), float(band[1])) if band else None,
        )


_SENTENCE_FEATURES = ("sentence_cover", "missing", "passage_cover", "sent_bm25", "phrase")
_DENSE_SENTENCE_FEATURES = ("sent_dense",)
_JUDGE_FEATURES = ("judge",)
# The judge's log-odds is clipped to this range (judge_features).
JUDGE_FLOOR = -8.0
JUDGE_CEILING = 8.0
# The first logistic rule's inputs (05:26 UTC), in order.
MODEL_FEATURES = ("relevance", "sentence_cover", "missing")
# Its successor's (issue 12, second calibration): the first three plus the dense score of
# the best single sentence, the best passage's lead over the question's median passage, the
# best sentence's BM25, the best passage's topical cover and the key phrases.
MODEL_FEATURES_V2 = (
    "relevance",
    "sentence_cover",
    "missing",
    "sent_dense",
    "dense_gap",
    "sent_bm25",
    "passage_cover",
    "phrase",
)


# The third: the second's inputs plus the packaged model's answerability judgement.
MODEL_FEATURES_V3 = (*MODEL_FEATURES_V2, "judge")


def with_judge_band(
    rule: RefusalRule,
    base: RefusalRule,
    features: Sequence[Features],
    out_of_book: Sequence[bool],
    *,
    slack: float = 0.25,
) -> RefusalRule:
    """``rule`` (with the judge input) asked only where ``base`` (without it) was wrong on
    the fit rows: from the lowest covered margin (score − cut) to the highest out-of-book
    one, widened by ``slack``. Outside, ``base`` never erred on the fit rows and decides
    alone, so the model runs for the uncertain questions only."""
    margins = [base.score(f) - base.cut for f in features]
    cov = [m for m, o in zip(margins, out_of_book, strict=True) if not o]
    oob = [m for m, o in zip(margins, out_of_book, strict=True) if o]
    lo = min(min(cov), 0.0) - slack
    hi = max(max(oob), 0.0) + slack
    return dataclasses.replace(rule, fallback=base, judge_band=(round(lo, 4), round(hi, 4)))


def decide(rule: RefusalRule, f: Features) -> bool:
    """:meth:`RefusalRule.covers` on stored features, with the judge band as
    :meth:`RefusalRule.covers_result` applies it (for calibration on stored rows)."""
    if rule.needs_judge and rule.fallback is not None:
        if "judge" not in f:
            return decide(rule.fallback, f)
        if rule.judge_band is not None:
            margin = rule.fallback.score(f) - rule.fallback.cut
            if not rule.judge_band[0] <= margin <= rule.judge_band[1]:
                return margin >= 0
    return rule.covers(f)


def _frange(lo: float, hi: float, step: float) -> list[float]:
    n = round((hi - lo) / step)
    return [round(lo + i * step, 4) for i in range(n + 1)]


def _quantile(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    return s[min(len(s) - 1, max(0, int(q * (len(s) - 1) + 0.5)))]


def choose_rule(
    features: Sequence[Features],
    out_of_book: Sequence[bool],
    *,
    max_covered_refused: float = MAX_COVERED_REFUSED,
) -> RefusalRule:
    """Grid search: most out-of-book questions refused while at most ``max_covered_refused``
    of covered ones are; among equally good rules, the one nearest the centre of them all
    (so no threshold sits right on a calibration question)."""
    covered = [f for f, oob in zip(features, out_of_book, strict=True) if not oob]
    oob = [f for f, o in zip(features, out_of_book, strict=True) if o]
    allowed = int(max_covered_refused * len(covered))
    best_score = -1
    best: list[tuple[float, float, float]] = []
    for rel, dense, lex in itertools.product(
        _frange(0.2, 0.8, 0.02), _frange(0.78, 0.9, 0.005), _frange(0.0, 0.8, 0.05)
    ):
        rule = RefusalRule(rel, dense, lex)
        if sum(not rule.covers(f) for f in covered) > allowed:
            continue
        score = sum(not rule.covers(f) for f in oob)
        if score > best_score:
            best_score, best = score, [(rel, dense, lex)]
        elif score == best_score:
            best.append((rel, dense, lex))
    if not best:
        return RefusalRule.legacy()
    centre = [sum(b[i] for b in best) / len(best) for i in range(3)]
    spans = [max(b[i] for b in best) - min(b[i] for b in best) or 1.0 for i in range(3)]
    rel, dense, lex = min(
        best, key=lambda b: sum(((b[i] - centre[i]) / spans[i]) ** 2 for i in range(3))
    )
    # Words for the student: "tinggi" from the median covered relevance, "rendah" below the
    # level most out-of-book questions reach (their 90th percentile).
    high = round(_quantile([f["relevance"] for f in covered], 0.5), 4)
    low = round(max(rel, _quantile([f["relevance"] for f in oob], 0.9)), 4)
    return RefusalRule(rel, dense, lex, high=max(high, low), low=low)


def choose_model(
    features: Sequence[Features],
    out_of_book: Sequence[bool],
    *,
    names: Sequence[str] = MODEL_FEATURES,
    max_covered_refused: float = MAX_COVERED_REFUSED,
    l2: float = 0.1,
    steps: int = 3000,
    rate: float = 0.5,
) -> RefusalRule:
    """A logistic model (covered = 1) fitted by plain gradient descent with an L2 penalty
    (deterministic: zero start, fixed steps) on standardised features (the cosines move in
    hundredths, the shares in tenths: one penalty must mean the same for both), its weights
    then brought back to the raw features; then the cut: the highest score that refuses at
    most ``max_covered_refused`` of the covered questions, placed halfway into the gap below
    the next covered score so no calibration question sits on it. Word bands as
    :func:`choose_rule`."""
    import numpy as np

    raw = np.array([[f[n] for n in names] for f in features], dtype=float)
    mean = raw.mean(axis=0)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0
    x = (raw - mean) / scale
    y = np.array([0.0 if o else 1.0 for o in out_of_book])
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g = p - y
        w -= rate * (x.T @ g / len(y) + l2 * w)
        b -= rate * float(g.mean())
    # Same scores on the raw features: w·(raw − mean)/scale + b; rounded as stored, and the
    # cut placed on the stored weights' scores.
    w = np.round(w / scale, 4)
    b = round(b - float(w @ mean), 4)
    scores = np.sort((raw @ w + b)[y == 1])
    allowed = int(max_covered_refused * len(scores))
    # Refuse below the cut: the ``allowed`` lowest covered scores may fall under it.
    if allowed > 0:
        cut = float(scores[allowed - 1] + scores[allowed]) / 2
    else:
        cut = float(scores[0]) - 1e-3
    covered = [f for f, o in zip(features, out_of_book, strict=True) if not o]
    oob = [f for f, o in zip(features, out_of_book, strict=True) if o]
    high = round(_quantile([f["relevance"] for f in covered], 0.5), 4)
    low = round(max(RELEVANCE_THRESHOLD, _quantile([f["relevance"] for f in oob], 0.9)), 4)
    return RefusalRule(
        RELEVANCE_THRESHOLD,
        high=max(high, low),
        low=low,
        weights=tuple((n, float(v)) for n, v in zip(names, w, strict=True)),
        bias=b,
        cut=round(float(cut), 4),
    )


@lru_cache(maxsize=1)
def load_rule(path: Path = CALIBRATION_PATH) -> RefusalRule:
    """The calibrated rule shipped with the code; the old constant if the file is missing."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RefusalRule.legacy()
    if not data.get("applied", True):
        # Calibrated but not better than the old rule on the held-out half: keep the old
        # threshold, use the calibrated word bands.
        return RefusalRule(
            RELEVANCE_THRESHOLD,
            high=float(data.get("high", 0.7)),
            low=max(RELEVANCE_THRESHOLD, float(data.get("low", RELEVANCE_THRESHOLD))),
        )
    return RefusalRule.from_json(data)
