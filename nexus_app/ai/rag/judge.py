"""The language model as a judge of answerability (issue 12, refusal).

Near-topic out-of-book questions ("rumus suku tengah barisan aritmetika apa") share every
word with a book passage, so word and embedding overlap cannot tell them from covered ones.
The packaged model reads the 1–3 book sentences a quote-first answer would show and the
question, and is asked "do these sentences answer the question? ya/tidak": nothing is
sampled, one forward pass over a short prompt gives the first answer token's odds
(``LocalLLM.judge``). The log-odds is one more input of the logistic refusal rule
(calibration.py, ``judge``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from nexus_app.ai.llm import ChatMessage, Generation
from nexus_app.ai.models import ModelUnavailable
from nexus_app.ai.retriever import RetrievalResult

from .prompts import JUDGE_NO, JUDGE_YES, build_judge_messages
from .support import candidate_sentences, select_sentences

log = logging.getLogger(__name__)

# Asks whether the sentences answer the question: log P("ya") − log P("tidak"), or None when
# it cannot (no model, the line is full, the model failed).
AnswerJudge = Callable[[str, Sequence[str]], float | None]
# Sentence scorer as in calibration.py: the embedder's cosine of the question with each.
_Scorer = Callable[[str, Sequence[str]], list[float] | None]


@runtime_checkable
class JudgingModel(Protocol):
    """A model that can answer a yes/no judgement (``LocalLLM``, ``ScriptedChatModel``)."""

    def judge(
        self,
        messages: Sequence[ChatMessage],
        *,
        yes: Sequence[str] = ...,
        no: Sequence[str] = ...,
        time_limit_s: float = ...,
        queue_timeout_s: float | None = ...,
        cancel: threading.Event | None = ...,
        max_waiting: int | None = ...,
    ) -> Generation: ...


def judge_sentences(result: RetrievalResult, scorer: _Scorer | None = None) -> list[str]:
    """The sentences the judge reads: the 1–3 a quote-first answer would quote."""
    passages = result.passages
    dense = scorer(result.query, candidate_sentences(passages)) if scorer is not None else None
    return [q.sentence for q in select_sentences(result.query, passages, dense_scores=dense)]


def model_judge(
    model: JudgingModel,
    *,
    time_limit_s: float = 20.0,
    queue_timeout_s: float | None = 10.0,
    max_waiting: int | None = None,
) -> AnswerJudge:
    """An :data:`AnswerJudge` backed by ``model``. It waits in the same line as answers; a
    full line, a wait past ``queue_timeout_s`` or a failing model gives None, and the
    refusal rule then decides without it (its fallback)."""

    def judge(question: str, sentences: Sequence[str]) -> float | None:
        if not sentences:
            return None
        try:
            gen = model.judge(
                build_judge_messages(question, sentences),
                yes=JUDGE_YES,
                no=JUDGE_NO,
                time_limit_s=time_limit_s,
                queue_timeout_s=queue_timeout_s,
                max_waiting=max_waiting,
            )
            with gen:
                gen.result()
        except ModelUnavailable:
            return None
        except Exception:
            log.exception("the answerability judgement failed")
            return None
        return gen.stats.log_odds

    return judge
