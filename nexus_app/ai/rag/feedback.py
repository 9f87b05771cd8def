"""Feedback on a practice answer, streamed from the model with a fixed fallback."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from nexus_app.ai.chunking import content_terms
from nexus_app.ai.llm import ChatMessage, ChatModel, GenerationStats, QueueFull, QueueTimeout
from nexus_app.ai.models import ModelUnavailable

from .prompts import (
    _FEEDBACK_ECHO,
    _FEEDBACK_VOCAB,
    _KEY_CLAIM,
    FEEDBACK_PROMPT_VERSION,
    FEEDBACK_SYSTEM_PROMPT,
    MIN_FEEDBACK_TERMS,
    NOTICE_FEEDBACK_BUSY,
    NOTICE_FEEDBACK_FAILED,
    drop_incomplete_sentence,
)
from .support import SupportResult, support_check

log = logging.getLogger(__name__)

# --- practice feedback ---------------------------------------------------------------------


def _clip(text: str, max_chars: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def build_feedback_messages(
    stem: str,
    options: Mapping[str, str],
    chosen: str,
    correct: str,
    explanation: str,
    *,
    max_chars: int = 900,
) -> list[ChatMessage]:
    """Messages for feedback on a wrong answer (prompt :data:`FEEDBACK_PROMPT_VERSION`).

    The model is asked for one thing only, the sentence on why the chosen option is tempting:
    on the 0.5B default model, asking for the whole explanation gave empty or garbled text,
    while this one sentence is usually sensible. The step to the key comes from the item's
    stored explanation (see :func:`stream_feedback`)."""
    if chosen not in options or correct not in options:
        raise ValueError("chosen and correct must be option keys")
    if chosen == correct:
        raise ValueError("feedback is for wrong answers only")
    opts = "\n".join(f"{key}. {_clip(text, 200)}" for key, text in sorted(options.items()))
    # Prose rather than "Label: value" lines: the small model echoed such labels back.
    user = (
        f"{_clip(stem, max_chars)}\n{opts}\n\n"
        f"Pembahasan: {_clip(explanation, max_chars)}\n\n"
        f"Siswa memilih {chosen} ({_clip(options[chosen], 80)}), padahal jawaban yang benar "
        f"{correct} ({_clip(options[correct], 80)}). Tulis satu kalimat untuk siswa itu, "
        f"dimulai dengan: Pilihan {chosen} tampak benar karena"
    )
    return [
        {"role": "system", "content": FEEDBACK_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def fallback_feedback(
    explanation: str, correct: str, options: Mapping[str, str] | None = None
) -> str:
    """Feedback without a model: the key and the item's stored explanation."""
    key_text = f" ({_clip(options[correct], 120)})" if options and correct in options else ""
    text = explanation.strip() or "Pembahasan belum tersedia untuk soal ini."
    return f"Jawaban yang benar: {correct}{key_text}. {text}"


def feedback_wait_notice(seconds: float) -> str:
    """The notice when feedback waited its stated maximum for the model."""
    return (
        f"AI belum mendapat giliran dalam {round(seconds)} detik, jadi yang ditampilkan adalah "
        "pembahasan tersimpan untuk soal ini."
    )


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    text: str
    source: Literal["llm", "explanation"]
    prompt_version: str = FEEDBACK_PROMPT_VERSION
    model: str | None = None
    model_text: str | None = None
    support: SupportResult | None = None
    stats: GenerationStats | None = None
    # The model was busy (line full, or the wait ran out) or failed: nothing usable was
    # generated, so nothing is saved and a later try may still get the model's feedback.
    busy: bool = False
    notice: str | None = None  # an honest note for the student (Indonesian), if any


def busy_feedback(
    explanation: str, correct: str, options: Mapping[str, str], *, model_name: str
) -> FeedbackResult:
    """The model's line is full: the stored explanation, saying the AI is busy."""
    return FeedbackResult(
        fallback_feedback(explanation, correct, options),
        "explanation",
        model=model_name,
        busy=True,
        notice=NOTICE_FEEDBACK_BUSY,
    )


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    kind: Literal["queue", "token", "final"]
    text: str = ""
    position: int | None = None
    result: FeedbackResult | None = None
    wait_s: float | None = None  # "queue": estimated seconds until the model starts


def _judge_feedback(
    raw: str,
    stem: str,
    options: Mapping[str, str],
    explanation: str,
    chosen: str,
    correct: str,
) -> SupportResult:
    """Whether the model's sentence may be shown: supported by the item, naming no other key,
    not echoing the prompt, and saying something of its own."""
    sources = [stem, *options.values(), explanation, f"{chosen} {correct}", _FEEDBACK_VOCAB]
    support = support_check(raw, sources, min_overlap=0.5)
    claimed = {m.upper() for m in _KEY_CLAIM.findall(raw)}
    if claimed and claimed != {correct.upper()}:
        support = SupportResult(False, support.score, support.sentences, "wrong_key")
    elif _FEEDBACK_ECHO.search(raw):
        support = SupportResult(False, support.score, support.sentences, "echo")
    # The sentence must say something beyond the starter words ("Pilihan D tampak benar karena").
    own_terms = set(content_terms(raw)) - set(content_terms(_FEEDBACK_VOCAB + f" {chosen}"))
    if support.supported and len(own_terms) < MIN_FEEDBACK_TERMS:
        support = SupportResult(False, support.score, support.sentences, "no_content")
    return support


def stream_feedback(
    llm: ChatModel | None,
    *,
    stem: str,
    options: Mapping[str, str],
    chosen: str,
    correct: str,
    explanation: str,
    cancel: threading.Event | None = None,
    on_queue: Callable[[int], None] | None = None,
    max_tokens: int = 64,
    time_limit_s: float = 30.0,
    queue_timeout_s: float | None = 120.0,
    max_waiting: int | None = None,
    heartbeat_s: float = 1.0,
) -> Iterator[FeedbackEvent]:
    """Stream feedback on a wrong answer; the ``final`` event's ``result.text`` is what to
    store.

    With a model, the text is the model's sentence on why the chosen option is tempting,
    followed by the key and the stored explanation (the step to the right answer):
    ``"<sentence> Jawaban yang benar: B (5). <explanation>"``. The sentence is used only if it
    passes :func:`support_check` against the item (stem, options, explanation; overlap 0.5),
    adds at least :data:`MIN_FEEDBACK_TERMS` content terms of its own, names no other key and
    does not echo the prompt. Otherwise, and with no model or a busy queue, the text is
    :func:`fallback_feedback` (``source="explanation"``). A busy queue — ``max_waiting``
    already in line, or no turn within ``queue_timeout_s`` — falls back at once with
    ``busy=True`` and a notice saying so; while in line, ``queue`` events repeat with the
    position and the estimated wait."""
    messages = build_feedback_messages(stem, options, chosen, correct, explanation)
    fallback = fallback_feedback(explanation, correct, options)
    if llm is None:
        yield FeedbackEvent("final", result=FeedbackResult(fallback, "explanation"))
        return
    try:
        gen = llm.generate(
            messages,
            max_tokens=max_tokens,
            temperature=0.0,
            stop=("\n",),
            time_limit_s=time_limit_s,
            queue_timeout_s=queue_timeout_s,
            cancel=cancel,
            on_queue=on_queue,
            max_waiting=max_waiting,
        )
    except ModelUnavailable:
        yield FeedbackEvent("final", result=FeedbackResult(fallback, "explanation"))
        return
    except QueueFull:
        yield FeedbackEvent(
            "final", result=busy_feedback(explanation, correct, options, model_name=llm.name)
        )
        return
    with gen:
        try:
            for pos in gen.wait(heartbeat_s=heartbeat_s):
                yield FeedbackEvent("queue", position=pos, wait_s=gen.estimated_wait(pos))
            for piece in gen:
                yield FeedbackEvent("token", text=piece)
        except QueueTimeout:
            waited = feedback_wait_notice(queue_timeout_s or 0.0)
            yield FeedbackEvent(
                "final",
                result=FeedbackResult(
                    fallback, "explanation", model=llm.name, busy=True, notice=waited
                ),
            )
            return
        except Exception:
            # The model broke mid-answer: the generation released its slot; show the stored
            # explanation and say why.
            log.exception("the language model failed mid-feedback")
            failed = FeedbackResult(
                fallback, "explanation", model=llm.name, busy=True, notice=NOTICE_FEEDBACK_FAILED
            )
            yield FeedbackEvent("final", result=failed)
            return
    raw = gen.text.strip()
    if gen.stats.stop_reason in ("length", "timeout"):
        raw = drop_incomplete_sentence(raw)
    support = _judge_feedback(raw, stem, options, explanation, chosen, correct)
    ok = support.supported and gen.stats.stop_reason in ("stop", "length", "timeout")
    result = FeedbackResult(
        text=f"{raw} {fallback}" if ok else fallback,
        source="llm" if ok else "explanation",
        model=llm.name,
        model_text=raw,
        support=support,
        stats=gen.stats,
    )
    yield FeedbackEvent("final", result=result)
