"""The model's answerability judgement as a refusal input (issue 12): a scripted fake and
its twin on the real packaged model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from nexus_app.ai import models
from nexus_app.ai.llm import ChatMessage, LocalLLM, ModelUnavailable, ScriptedChatModel
from nexus_app.ai.rag import Tutor
from nexus_app.ai.rag.calibration import RefusalRule, decide, features_of, judge_features
from nexus_app.ai.rag.judge import judge_sentences, model_judge
from nexus_app.ai.rag.prompts import JUDGE_NO, JUDGE_YES, build_judge_messages
from nexus_app.ai.vkp import Package
from tests.unit.ai.geometry_book import geometry_package, hashing_retriever

QUESTION = "jari-jari lingkaran itu apa"

# Answers every question / refuses every question, without the judge.
ANSWER_ALL = RefusalRule(0.0, weights=(("relevance", 1.0),), cut=-9.0)
REFUSE_ALL = RefusalRule(0.0, weights=(("relevance", 1.0),), cut=9.0)


def _judge_rule(fallback: RefusalRule, band: tuple[float, float] | None = None) -> RefusalRule:
    # Answer when the model's log-odds of "ya" is at least 0.
    return RefusalRule(0.4, weights=(("judge", 1.0),), cut=0.0, fallback=fallback, judge_band=band)


@pytest.fixture
def package(tmp_path: Path) -> Package:
    return geometry_package(tmp_path)


def _user_text(messages: Sequence[ChatMessage]) -> str:
    return messages[-1]["content"]


def test_scripted_judge_reports_its_log_odds_through_the_queue() -> None:
    model = ScriptedChatModel("tidak dipakai", log_odds=lambda m: 2.5)
    messages = build_judge_messages("apa itu lingkaran", ["Lingkaran adalah kumpulan titik."])
    with model.judge(messages, yes=JUDGE_YES, no=JUDGE_NO) as gen:
        assert gen.result() == "ya"
    assert gen.stats.log_odds == 2.5 and model.judge_calls == [messages] and not model.calls
    assert "Lingkaran adalah kumpulan titik." in _user_text(messages)
    # A model that cannot judge: the judge says nothing (None), it does not raise.
    assert model_judge(ScriptedChatModel("x"))("apa", ["Kalimat buku yang panjang."]) is None
    with pytest.raises(ModelUnavailable):
        ScriptedChatModel("x").judge(messages).result()


def test_judge_feature_reads_the_quoted_sentences(package: Package) -> None:
    r = hashing_retriever(package)
    res = r.search(QUESTION)
    seen: list[tuple[str, list[str]]] = []

    def judge(q: str, sentences: Sequence[str]) -> float | None:
        seen.append((q, list(sentences)))
        return 30.0

    f = features_of(res, [package], r.sentence_similarities, judge)
    sentences = judge_sentences(res, r.sentence_similarities)
    assert 1 <= len(sentences) <= 3 and seen == [(res.query, sentences)]
    assert any("jari-jari" in s for s in sentences)
    assert f["judge"] == 8.0  # clipped
    assert judge_features(res, lambda q, s: None) is None


def test_rule_with_the_judge_input_and_its_fallback(package: Package) -> None:
    r = hashing_retriever(package)
    res = r.search(QUESTION)
    sure_no = model_judge(ScriptedChatModel("x", log_odds=-4.0))
    sure_yes = model_judge(ScriptedChatModel("x", log_odds=4.0))
    rule = _judge_rule(ANSWER_ALL)
    assert rule.needs_judge
    assert not rule.covers_result(res, [package], r.sentence_similarities, sure_no)
    assert rule.covers_result(res, [package], r.sentence_similarities, sure_yes)
    # No model loaded, or one that cannot judge: the fallback decides alone.
    assert rule.covers_result(res, [package], r.sentence_similarities)
    assert not _judge_rule(REFUSE_ALL).covers_result(res, [package], r.sentence_similarities)
    cannot = model_judge(ScriptedChatModel("x"))
    assert rule.covers_result(res, [package], r.sentence_similarities, cannot)
    # Stored features: the same decisions.
    f = features_of(res, [package], r.sentence_similarities)
    assert decide(rule, f) and not decide(rule, {**f, "judge": -4.0})


def test_the_judge_is_asked_only_inside_the_band(package: Package) -> None:
    r = hashing_retriever(package)
    res = r.search(QUESTION)
    model = ScriptedChatModel("x", log_odds=-4.0)
    judge = model_judge(model)
    # ANSWER_ALL's margin (score − cut) is about 9: outside (−1, 1), so it answers alone.
    assert _judge_rule(ANSWER_ALL, (-1.0, 1.0)).covers_result(
        res, [package], r.sentence_similarities, judge
    )
    assert model.judge_calls == []
    # Inside a wide band the model is asked, and its "tidak" refuses.
    assert not _judge_rule(ANSWER_ALL, (-20.0, 20.0)).covers_result(
        res, [package], r.sentence_similarities, judge
    )
    assert len(model.judge_calls) == 1


def test_tutor_asks_its_model_and_falls_back_without_one(package: Package) -> None:
    r = hashing_retriever(package)
    rule = _judge_rule(ANSWER_ALL)
    no = ScriptedChatModel("Jari-jari adalah jarak titik ke pusat [1].", log_odds=-3.0)
    assert Tutor(r, no, rule=rule).answer(QUESTION).mode == "not_covered"
    assert len(no.judge_calls) == 1 and not no.calls  # refused: no answer generated
    yes = ScriptedChatModel("Jari-jari adalah jarak titik ke pusat [1].", log_odds=3.0)
    assert Tutor(r, yes, rule=rule).answer(QUESTION).mode != "not_covered"
    assert len(yes.judge_calls) == 1
    # Without a model (or asked not to use it) the fallback answers.
    assert Tutor(r, None, rule=rule).answer(QUESTION).mode == "extractive"
    final = [e for e in Tutor(r, no, rule=rule).stream(QUESTION, use_llm=False)][-1]
    assert final.answer is not None and final.answer.mode == "extractive"


# How far a judgement may move when part of its prompt comes from the model's cache.
REUSED_PREFIX_TOLERANCE = 0.3


@pytest.fixture(scope="module")
def real_llm() -> LocalLLM:
    try:
        path = models.find_llm_model()
    except ModelUnavailable as exc:
        pytest.skip(f"default model not joined: {exc}")
    return LocalLLM(path, n_ctx=1024)


@pytest.mark.llm
def test_real_model_judges_an_answering_sentence_above_an_unrelated_one(
    real_llm: LocalLLM,
) -> None:
    """The twin of the scripted judge: the packaged model's log-odds for a sentence that
    answers the question is above that for one that does not, the cached prompt prefix
    does not change a repeated judgement, and the product's judge returns the same number."""
    q = "jari-jari lingkaran itu apa"
    answers = build_judge_messages(
        q, ["Jarak titik pada lingkaran ke titik pusat disebut jari-jari lingkaran."]
    )
    unrelated = build_judge_messages(
        q, ["Segitiga siku-siku memiliki satu sudut yang besarnya sembilan puluh derajat."]
    )
    values = []
    for messages in (answers, unrelated, answers):
        with real_llm.judge(messages, yes=JUDGE_YES, no=JUDGE_NO, time_limit_s=240) as gen:
            word = gen.result()
        assert word in ("ya", "tidak") and gen.stats.prompt_tokens > 20
        assert gen.stats.log_odds is not None
        assert word == ("ya" if gen.stats.log_odds >= 0 else "tidak")
        values.append(gen.stats.log_odds)
    assert values[0] > values[1]
    # Reusing the cached prompt prefix evaluates the rest in other batches, which moves the
    # last digits: on one build 3.0696 fresh, 3.2526 after the unrelated prompt (the same on
    # 1 and 2 threads, every run). The same word, and close, is what must hold.
    assert values[2] == pytest.approx(values[0], abs=REUSED_PREFIX_TOLERANCE)
    judged = model_judge(real_llm, queue_timeout_s=None)(
        q, ["Jarak titik pada lingkaran ke titik pusat disebut jari-jari lingkaran."]
    )
    assert judged == pytest.approx(values[0], abs=REUSED_PREFIX_TOLERANCE)
