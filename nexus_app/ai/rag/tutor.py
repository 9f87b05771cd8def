"""The book tutor: retrieve, prompt, stream, check support, fall back to extracts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from nexus_app.ai.llm import ChatModel, GenerationStats, QueueFull, QueueTimeout
from nexus_app.ai.models import ModelUnavailable
from nexus_app.ai.retriever import Passage, RetrievalResult, Retriever

from .calibration import AnswerJudge, RefusalRule, load_rule
from .judge import JudgingModel, model_judge
from .prompts import (
    ANSWER_STOP,
    MIN_SENTENCE_SUPPORT,
    NOTICE_BUSY,
    NOTICE_MODEL_FAILED,
    NOTICE_NO_MODEL,
    NOTICE_NOT_COVERED,
    NOTICE_TIMEOUT,
    NOTICE_UNSUPPORTED,
    PROMPT_VERSION,
    build_answer_messages,
    drop_incomplete_sentence,
    strip_leading_citations,
    validate_question,
)
from .support import (
    SupportResult,
    checked_lead_in,
    extractive_answer,
    quoted_answer,
    select_sentences,
    sources_used,
    support_check,
)

log = logging.getLogger(__name__)

# --- the tutor -----------------------------------------------------------------------------

AnswerMode = Literal["llm", "extractive", "not_covered", "cancelled"]
# "quote_first": the best 1–3 book sentences quoted with their citation, the model only
# writing a lead-in that one book sentence must back; "legacy": the model's answer if the
# lexical support check passes (kept for benchmarks against the old behaviour).
AnswerStyle = Literal["quote_first", "legacy"]
# A quote-first answer keeps the model's first sentence at most: no need to let it write more.
LEAD_IN_MAX_TOKENS = 60
# The quote is the whole answer, so a lead-in never waits in the model's line: it is written
# only when this worker's line is empty, and waits at most this long for the machine's gate
# (another worker's generation). A busy model then goes to the practice feedback, and the
# student can ask the next question at once.
LEAD_IN_QUEUE_TIMEOUT_S = 2.0
# The answerability judgement waits at most this long for the model; a busier line gets the
# rule without it (its fallback) rather than a late first word.
JUDGE_QUEUE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class TutorAnswer:
    question: str
    text: str  # what to show and store
    mode: AnswerMode
    notice: str | None  # an honest note for the student (Indonesian), if any
    passages: tuple[Passage, ...]  # the sources to show (book, page, version, text)
    confidence: float  # retrieval relevance in [0, 1]
    retrieval: RetrievalResult
    support: SupportResult | None = None
    model: str | None = None
    model_text: str | None = None  # the raw generated text, kept even when not shown
    stats: GenerationStats | None = None
    prompt_version: str = PROMPT_VERSION
    cited: tuple[Passage, ...] = ()  # the passages the shown answer quotes or was made from
    relevance_words: str = ""  # "tinggi", "sedang" or "rendah" (Kecocokan dengan buku)

    @property
    def topics(self) -> list[str]:
        """Headings of the sources, best first (for topic mastery)."""
        seen: list[str] = []
        for p in self.passages:
            if p.heading and p.heading not in seen:
                seen.append(p.heading)
        return seen


@dataclass(frozen=True, slots=True)
class TutorEvent:
    """``passages`` (sources found) → ``queue`` (position in line) → ``token``… → ``final``;
    a question the books do not cover gets ``final`` alone (a refusal cites nothing).

    The ``final`` event's ``answer.text`` is what to show and save: it may replace the streamed
    tokens (extractive fallback after a failed support check).
    """

    kind: Literal["passages", "queue", "token", "final"]
    text: str = ""
    position: int | None = None
    passages: tuple[Passage, ...] = ()
    answer: TutorAnswer | None = None
    wait_s: float | None = None  # "queue": estimated seconds until the model starts


def writes_with_model(*, style: AnswerStyle, lead_in: bool, rule: RefusalRule) -> bool:
    """Whether a tutor's answers may ask the language model at all: for a legacy answer, a
    lead-in, or a refusal rule with the judge input. Without, a server with no model answers
    exactly as one with a model does."""
    return style == "legacy" or lead_in or rule.needs_judge


def _shorter(limit: float | None, cap: float) -> float:
    return cap if limit is None else min(limit, cap)


class Tutor:
    """Answers questions from one retriever's packages, with or without a model."""

    def __init__(
        self,
        retriever: Retriever,
        llm: ChatModel | None = None,
        *,
        k: int = 5,
        prompt_passages: int = 2,
        max_words_per_passage: int = 80,
        max_tokens: int = 120,
        time_limit_s: float = 45.0,
        queue_timeout_s: float | None = 120.0,
        min_support: float = MIN_SENTENCE_SUPPORT,
        max_waiting: int | None = None,
        heartbeat_s: float = 1.0,
        rule: RefusalRule | None = None,
        style: AnswerStyle = "quote_first",
        lead_in: bool = True,
        sentence_dense: bool = True,
        judge: AnswerJudge | None = None,
    ) -> None:
        self.retriever = retriever
        self.llm = llm
        self.k = k
        self.prompt_passages = prompt_passages
        self.max_words_per_passage = max_words_per_passage
        self.max_tokens = max_tokens
        self.time_limit_s = time_limit_s
        self.queue_timeout_s = queue_timeout_s
        self.min_support = min_support
        self.max_waiting = max_waiting
        self.heartbeat_s = heartbeat_s
        # The calibrated refusal rule (calibration.py); the retriever's own flag is the old one.
        self.rule = rule or load_rule()
        self.style = style
        # Quote-first only: whether the model may write a lead-in above the quote.
        self.lead_in = lead_in
        self.sentence_dense = sentence_dense
        # The model's "do these sentences answer it?" for a rule with the judge input
        # (calibration.py); a model that cannot judge answers None and the rule falls back.
        if judge is None and isinstance(llm, JudgingModel):
            judge = model_judge(
                llm,
                queue_timeout_s=JUDGE_QUEUE_TIMEOUT_S,
                max_waiting=max_waiting,
            )
        self.judge = judge

    @property
    def writes_with_model(self) -> bool:
        return writes_with_model(style=self.style, lead_in=self.lead_in, rule=self.rule)

    def _sentence_scores(self, question: str, sentences: Sequence[str]) -> list[float] | None:
        """The embedder's cosine of the question with each sentence; None if it fails."""
        try:
            return self.retriever.sentence_similarities(question, sentences)
        except Exception:
            log.exception("sentence embedding failed")
            return None

    def _quote(
        self, question: str, passages: tuple[Passage, ...]
    ) -> tuple[str, tuple[Passage, ...], list[str]]:
        """The quoted answer, the passages it cites, and the quoted sentences."""
        dense = None
        if self.sentence_dense:
            from .support import candidate_sentences

            # The embedder is optional here: BM25-style ranking still works without it.
            dense = self._sentence_scores(question, candidate_sentences(passages))
        quotes = select_sentences(question, passages, dense_scores=dense)
        if not quotes:
            return extractive_answer(question, passages), passages[: self.prompt_passages], []
        text, idx = quoted_answer(quotes, passages)
        return text, tuple(passages[i] for i in idx), [x.sentence for x in quotes]

    def answer(self, question: str, *, cancel: threading.Event | None = None) -> TutorAnswer:
        final: TutorAnswer | None = None
        for event in self.stream(question, cancel=cancel):
            if event.kind == "final":
                final = event.answer
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        *,
        cancel: threading.Event | None = None,
        on_queue: Callable[[int], None] | None = None,
        use_llm: bool = True,
    ) -> Iterator[TutorEvent]:
        """Validate, retrieve, then (if covered and a model is present) generate and check.

        Raises :class:`QuestionError` before anything else for empty or over-long questions.
        While in line, ``queue`` events repeat (on each change and every ``heartbeat_s``) with
        the position and the estimated wait; ``on_queue(position)`` is called too. A full line
        (``max_waiting``) or a wait past ``queue_timeout_s`` gives the extractive answer with
        :data:`NOTICE_BUSY`. A quote-first answer's lead-in never waits in line (see
        :data:`LEAD_IN_QUEUE_TIMEOUT_S`): a busy model leaves the quote as the answer.
        """
        q = validate_question(question)
        result = self.retriever.search(q, k=self.k)
        shown = tuple(result.passages)
        confidence = round(result.relevance, 4)
        verdict = self.rule.verdict(
            result,
            self.retriever.packages,
            self._sentence_scores,
            self.judge if use_llm else None,
        )

        def final(**kwargs: object) -> TutorEvent:
            base: dict[str, object] = {
                "question": q,
                "passages": shown,
                "confidence": confidence,
                "retrieval": result,
                "cited": shown[: self.prompt_passages],
                "relevance_words": verdict.words,
            }
            base.update(kwargs)
            return TutorEvent("final", answer=TutorAnswer(**base))  # type: ignore[arg-type]

        if not verdict.covered:
            # No "passages" event: a refusal lists no sources, not even for a moment.
            yield final(
                text=NOTICE_NOT_COVERED, mode="not_covered", notice=NOTICE_NOT_COVERED, cited=()
            )
            return
        yield TutorEvent("passages", passages=shown)
        quotes: list[str] = []
        cited = shown[: self.prompt_passages]
        quote_first = self.style == "quote_first"
        if quote_first:
            # The searched text: an abbreviation the book spells out comes with its words.
            extractive, cited, quotes = self._quote(result.query or q, shown)
            # The book's sentences are the answer: shown at once, whatever the model does; a
            # lead-in the check accepts is put in front of them by the final event. The
            # model's own tokens are never streamed (unchecked text is not shown).
            yield TutorEvent("token", text=extractive)
        else:
            # Cites the passages it quotes: the first prompt_passages, as `cited` says.
            extractive = extractive_answer(q, shown, max_passages=self.prompt_passages)
        if quote_first and not self.lead_in:
            # The quote is the answer by choice, not for want of a model: no notice, and the
            # same answer on a server with a model as on one without.
            yield final(text=extractive, mode="extractive", notice=None, cited=cited)
            return
        if self.llm is None or not use_llm:
            yield final(text=extractive, mode="extractive", notice=NOTICE_NO_MODEL, cited=cited)
            return

        used = shown[: self.prompt_passages]
        messages = build_answer_messages(
            q,
            used,
            max_passages=self.prompt_passages,
            max_words_per_passage=self.max_words_per_passage,
        )
        try:
            gen = self.llm.generate(
                messages,
                # Only a one-sentence lead-in is kept in quote-first answers.
                max_tokens=(
                    min(self.max_tokens, LEAD_IN_MAX_TOKENS) if quote_first else self.max_tokens
                ),
                # Greedy: the same question over the same books gives the same answer.
                temperature=0.0,
                stop=ANSWER_STOP,
                time_limit_s=self.time_limit_s,
                queue_timeout_s=(
                    _shorter(self.queue_timeout_s, LEAD_IN_QUEUE_TIMEOUT_S)
                    if quote_first
                    else self.queue_timeout_s
                ),
                cancel=cancel,
                on_queue=on_queue,
                max_waiting=0 if quote_first else self.max_waiting,
            )
        except ModelUnavailable:
            yield final(text=extractive, cited=cited, mode="extractive", notice=NOTICE_NO_MODEL)
            return
        except QueueFull:
            yield final(
                text=extractive,
                cited=cited,
                mode="extractive",
                # A quote needs no apology: only a legacy answer was meant to be the model's.
                notice=None if quote_first else NOTICE_BUSY,
                model=self.llm.name,
            )
            return
        with gen:
            try:
                for pos in gen.wait(heartbeat_s=self.heartbeat_s):
                    yield TutorEvent("queue", position=pos, wait_s=gen.estimated_wait(pos))
                for piece in gen:
                    if not quote_first:
                        yield TutorEvent("token", text=piece)
            except QueueTimeout:
                yield final(
                    text=extractive,
                    cited=cited,
                    mode="extractive",
                    notice=None if quote_first else NOTICE_BUSY,
                    model=self.llm.name,
                )
                return
            except Exception:
                # The model broke mid-answer (llama.cpp out of memory, a bad context): its
                # slot is released by the generation; the student gets the book passages.
                log.exception("the language model failed mid-answer")
                yield final(
                    text=extractive,
                    cited=cited,
                    mode="extractive",
                    notice=NOTICE_MODEL_FAILED,
                    model=self.llm.name,
                    model_text=gen.text.strip(),
                    stats=gen.stats,
                )
                return
        stats = gen.stats
        raw = gen.text.strip()
        if stats.stop_reason in ("length", "timeout"):
            raw = drop_incomplete_sentence(raw)
        raw = strip_leading_citations(raw)
        if stats.stop_reason == "cancelled":
            yield final(
                # What the student saw: the quote (quote-first) or the model's words so far.
                text=extractive if quote_first else raw,
                mode="cancelled",
                notice=None,
                model=self.llm.name,
                model_text=raw,
                stats=stats,
            )
            return
        # The model saw the excerpts, but checking against the whole passages is fairer to
        # paraphrases that use a neighbouring sentence; both come from the same pages.
        support = support_check(raw, [p.text for p in used], min_overlap=self.min_support)
        if quote_first:
            lead = checked_lead_in(raw, [p.text for p in cited], quotes)
            yield final(
                text=f"{lead}\n\n{extractive}" if lead else extractive,
                mode="llm" if lead else "extractive",
                notice=None,
                support=support,
                model=self.llm.name,
                model_text=raw,
                stats=stats,
                cited=cited,
            )
        elif support.supported:
            notice = NOTICE_TIMEOUT if stats.stop_reason == "timeout" else None
            # Only the passages that back a shown sentence are listed, numbered as the
            # answer's marks now are (issue 12: not every passage the model was shown).
            text, idx = sources_used(raw, [p.text for p in used], min_overlap=self.min_support)
            yield final(
                text=text,
                cited=tuple(used[i] for i in idx) or used[:1],
                mode="llm",
                notice=notice,
                support=support,
                model=self.llm.name,
                model_text=raw,
                stats=stats,
            )
        else:
            yield final(
                text=extractive,
                cited=cited,
                mode="extractive",
                notice=NOTICE_UNSUPPORTED,
                support=support,
                model=self.llm.name,
                model_text=raw,
                stats=stats,
            )
