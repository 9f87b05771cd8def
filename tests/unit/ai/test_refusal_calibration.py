"""The calibrated refusal (issue 12): sentence-level features and the logistic rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexus_app.ai.embedder import HashingEmbedder
from nexus_app.ai.pdftext import Page
from nexus_app.ai.rag import NOTICE_NOT_COVERED, Tutor
from nexus_app.ai.rag.calibration import (
    MODEL_FEATURES,
    RefusalRule,
    choose_model,
    features_of,
    load_rule,
    topical_terms,
)
from nexus_app.ai.retriever import Retriever
from nexus_app.ai.vkp import Package, build_package, load_current

BOOK = (
    "# Geometri\n\n## Lingkaran\n\n"
    "Lingkaran adalah kumpulan titik yang jaraknya sama dari satu titik pusat. "
    "Jarak itu disebut jari-jari lingkaran. "
    "Bola yang dipantulkan ke lantai memantul setinggi tiga perempat tinggi sebelumnya.\n\n"
    "## Segitiga\n\n"
    "Segitiga siku-siku memiliki satu sudut yang besarnya sembilan puluh derajat. "
    "Sisi terpanjang segitiga siku-siku disebut hipotenusa.\n"
)


@pytest.fixture
def package(tmp_path: Path) -> Package:
    res = build_package(
        [Page(1, BOOK)],
        root=tmp_path / "pk",
        subject="MAT",
        title="Geometri",
        embedder=HashingEmbedder(),
        source_name="geo.md",
    )
    return load_current(res.path.parent)


def _retriever(package: Package) -> Retriever:
    return Retriever([package], embedder_for=lambda _: HashingEmbedder())


def test_chat_words_are_not_topical(package: Package) -> None:
    terms = topical_terms("jari-jari lingkaran tuh maksudnya apa sih kak, yg gmn", [package])
    assert {"jari", "lingkar"} <= terms  # stemmed
    assert not terms & {"tuh", "maksud", "kak", "yg", "gmn"}


def test_near_topic_question_lacks_a_sentence_that_covers_it(package: Package) -> None:
    r = _retriever(package)
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
    tutor = Tutor(_retriever(package), rule=rule)
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
    else:
        assert not rule.weights
