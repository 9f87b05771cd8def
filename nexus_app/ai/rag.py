"""Grounded answers: retrieval → short Indonesian prompt → streamed answer → support check.

The small default model invents facts and does not refuse on its own (docs/ai.md), so honesty
comes from outside the model:

1. **Not covered.** If the retrieval relevance is below the threshold
   (:data:`nexus_app.ai.retriever.RELEVANCE_THRESHOLD`), the tutor says the books do not cover
   the question and calls no model.
2. **Support check.** A generated answer is shown only if :func:`support_check` finds every
   substantive sentence backed by the passages given to the model.
3. **Extractive fallback.** Without a model, or when the check fails, the answer is the most
   relevant sentences of the best passages, with an honest notice.

Confidence (``TutorAnswer.confidence``) is the retrieval relevance in [0, 1] (see
:func:`nexus_app.ai.retriever.relevance_of`): it measures how well the books match the
question, never how sure the model sounds.

Practice feedback on a wrong answer (:func:`stream_feedback`) is grounded the same way on the
item itself (stem, options, key, stored explanation) and falls back to the stored explanation.

Both wait for the one model slot in a bounded line: when it is full (``max_waiting``) or the
wait runs out (``queue_timeout_s``), they fall back at once with a notice that the AI is busy,
and while waiting they report the queue position and an estimated wait.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from nexus_app.ai.chunking import content_terms, normalize_text, split_sentences
from nexus_app.ai.llm import ChatMessage, ChatModel, GenerationStats, QueueFull, QueueTimeout
from nexus_app.ai.models import ModelUnavailable
from nexus_app.ai.retriever import Passage, RetrievalResult, Retriever

__all__ = [
    "ANSWER_INSTRUCTION",
    "ANSWER_STOP",
    "FEEDBACK_PROMPT_VERSION",
    "FEEDBACK_SYSTEM_PROMPT",
    "MAX_QUESTION_CHARS",
    "MIN_FEEDBACK_TERMS",
    "MIN_SENTENCE_SUPPORT",
    "NOTICE_BUSY",
    "NOTICE_FEEDBACK_BUSY",
    "NOTICE_NOT_COVERED",
    "NOTICE_NO_MODEL",
    "NOTICE_TIMEOUT",
    "NOTICE_UNSUPPORTED",
    "PROMPT_VERSION",
    "SYSTEM_PROMPT",
    "EmptyQuestion",
    "FeedbackEvent",
    "FeedbackResult",
    "QuestionError",
    "QuestionTooLong",
    "SentenceSupport",
    "SupportResult",
    "Tutor",
    "TutorAnswer",
    "TutorEvent",
    "build_answer_messages",
    "build_feedback_messages",
    "drop_incomplete_sentence",
    "extractive_answer",
    "fallback_feedback",
    "feedback_wait_notice",
    "stream_feedback",
    "strip_leading_citations",
    "support_check",
    "validate_question",
]

MAX_QUESTION_CHARS = 1000
PROMPT_VERSION = "tutor-v1"
FEEDBACK_PROMPT_VERSION = "feedback-v1"
# A sentence is supported when this share of its content terms occurs in the sources.
MIN_SENTENCE_SUPPORT = 0.6

# Constant and first in every prompt, so llama.cpp reuses its cached prefix across requests.
SYSTEM_PROMPT = (
    "Kamu tutor untuk siswa SMA. Jawablah pertanyaan siswa dengan 1 sampai 3 kalimat lengkap "
    "dalam bahasa Indonesia, hanya memakai informasi dari kutipan buku. Akhiri kalimat dengan "
    "nomor kutipan yang dipakai, misalnya [1]. Jangan menambah fakta lain."
)
ANSWER_INSTRUCTION = "Jawab dengan 1-3 kalimat lengkap, lalu tulis nomor kutipan."
# The model tends to go on with "[2] ..." or a second paragraph copied from the excerpts.
ANSWER_STOP = ("\n\n", "\n[")
FEEDBACK_SYSTEM_PROMPT = (
    "Kamu guru pembimbing UTBK yang ramah. Dalam satu kalimat bahasa Indonesia, jelaskan "
    "mengapa pilihan yang salah dari siswa tampak benar. Pakai hanya isi soal dan pembahasan."
)
NOTICE_NOT_COVERED = (
    "Maaf, buku pelajaran untuk mata pelajaran ini tidak membahas pertanyaan tersebut. "
    "Coba ubah pertanyaanmu atau tanyakan kepada guru."
)
NOTICE_NO_MODEL = (
    "Model bahasa tidak tersedia di server ini, jadi Nexus menampilkan bagian buku yang "
    "paling relevan."
)
NOTICE_UNSUPPORTED = (
    "Jawaban model tidak cukup didukung oleh buku, jadi Nexus menampilkan bagian buku yang "
    "paling relevan."
)
NOTICE_BUSY = (
    "Tutor AI sedang sibuk melayani siswa lain, jadi Nexus menampilkan bagian buku yang paling "
    "relevan. Coba tanyakan lagi beberapa saat lagi."
)
NOTICE_FEEDBACK_BUSY = (
    "AI sedang sibuk melayani siswa lain, jadi yang ditampilkan adalah pembahasan tersimpan "
    "untuk soal ini."
)
NOTICE_TIMEOUT = "Jawaban dipotong karena melewati batas waktu."
_MODEL_REFUSAL = "buku tidak membahas hal ini"
# Words feedback is asked to use ("why the chosen option looks right but is wrong, the step to
# the key"): they count as supported even though the item text rarely contains them.
_FEEDBACK_VOCAB = (
    "pilihan opsi jawaban benar salah tampak tepat kunci siswa langkah cara soal hasil kamu "
    "keliru memilih perhatikan seharusnya"
)
# Content terms the feedback sentence must add beyond the starter words.
MIN_FEEDBACK_TERMS = 3
# Signs that the model parroted the prompt instead of explaining.
_FEEDBACK_ECHO = re.compile(
    r"pembahasan\s*:|jawaban siswa|siswa memilih|tulis umpan balik|pakai hanya|"
    r"isi soal dan pembahasan|guru pembimbing",
    re.IGNORECASE,
)

_CITATION = re.compile(r"\[\s*\d+(?:\s*[,\-–]\s*\d+)*\s*\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_KEY_CLAIM = re.compile(
    r"jawaban\s+(?:yang\s+)?(?:benar|tepat)(?:nya)?\s*(?:adalah|ialah|yaitu|:)?\s*"
    r"(?:pilihan\s+|opsi\s+)?\(?([A-E])\b",
    re.IGNORECASE,
)


# --- input limits --------------------------------------------------------------------------


class QuestionError(ValueError):
    """The question cannot be processed; ``str(exc)`` is a message for the student."""


class EmptyQuestion(QuestionError):
    pass


class QuestionTooLong(QuestionError):
    pass


def validate_question(text: str, *, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Strip and collapse whitespace; raise :class:`EmptyQuestion` / :class:`QuestionTooLong`.

    Checked on the raw length first so a 10 MB paste is refused without being processed.
    """
    if len(text) > max_chars * 4:
        raise QuestionTooLong(f"Pertanyaan terlalu panjang (maksimal {max_chars} karakter).")
    cleaned = re.sub(r"\s+", " ", text.replace("\x00", " ")).strip()
    if not cleaned:
        raise EmptyQuestion("Pertanyaan masih kosong.")
    if len(cleaned) > max_chars:
        raise QuestionTooLong(
            f"Pertanyaan terlalu panjang ({len(cleaned)} karakter, maksimal {max_chars})."
        )
    return cleaned


# --- prompts -------------------------------------------------------------------------------


def _best_excerpt(text: str, question: str, max_words: int) -> str:
    """The passage cut to ``max_words`` around its sentences that share most terms with the
    question (in book order), so a short prompt still holds the answer."""
    words = text.split()
    if len(words) <= max_words:
        return text.strip()
    sentences = split_sentences(text.replace("\n", " ")) or [text]
    q_terms = set(content_terms(question))
    scores = [len(q_terms & set(content_terms(s))) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    chosen = {best}
    used = len(sentences[best].split())
    left, right = best - 1, best + 1
    # Grow around the best sentence, preferring the neighbour that overlaps more.
    while left >= 0 or right < len(sentences):
        options = [i for i in (right, left) if 0 <= i < len(sentences)]
        nxt = max(options, key=lambda i: (scores[i], i == right))
        size = len(sentences[nxt].split())
        if used + size > max_words:
            break
        chosen.add(nxt)
        used += size
        if nxt == left:
            left -= 1
        else:
            right += 1
    excerpt = " ".join(sentences[i] for i in sorted(chosen))
    if used > max_words:  # one very long sentence
        excerpt = " ".join(excerpt.split()[:max_words]) + " …"
    return excerpt


def build_answer_messages(
    question: str,
    passages: Sequence[Passage],
    *,
    max_passages: int = 2,
    max_words_per_passage: int = 80,
) -> list[ChatMessage]:
    """Chat messages for a grounded answer: the constant system prompt, then numbered excerpts
    (no book labels: the model copied them into answers; the page shows the sources), then the
    question and the instruction. Defaults keep the prompt near 400 tokens on the default model.
    """
    lines = ["Kutipan buku:"]
    for i, p in enumerate(passages[:max_passages], start=1):
        lines.append(f"[{i}] {_best_excerpt(p.text, question, max_words_per_passage)}")
    lines.append("")
    lines.append(f"Pertanyaan: {question}")
    lines.append(ANSWER_INSTRUCTION)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n".join(lines)},
    ]


_LEADING_CITATIONS = re.compile(r"^(?:\s*\[\d+\][\s.,:;-]*)+")


def strip_leading_citations(text: str) -> str:
    """A model answer that opens with its source number ("[1] Barisan …") starts with the
    words instead; the number stays wherever else the model put it."""
    return _LEADING_CITATIONS.sub("", text).lstrip()


def drop_incomplete_sentence(text: str) -> str:
    """Cut a text that was stopped mid-sentence back to its last complete sentence
    (a trailing citation like ``[1]`` counts as part of the sentence)."""
    text = text.rstrip()
    last = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    if re.search(r"[.!?](\s*\[\d+\])*$", text) or last < 0:
        return text
    return text[: last + 1]


# --- support check -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentenceSupport:
    sentence: str
    terms: tuple[str, ...]
    missing_terms: tuple[str, ...]
    missing_numbers: tuple[str, ...]
    overlap: float
    supported: bool


@dataclass(frozen=True, slots=True)
class SupportResult:
    supported: bool
    score: float  # share of substantive sentences that are supported (0 if none)
    sentences: tuple[SentenceSupport, ...]
    # "ok", "unsupported_sentence", "no_content", "model_refused"; feedback adds "wrong_key"
    # (names another option as the key) and "echo" (repeats the prompt instead of explaining).
    reason: str


def _numbers(text: str) -> set[str]:
    # "150.000.000" and "150000000", "0,5" and "0.5" compare equal.
    return {re.sub(r"[.,]", "", n) for n in _NUMBER.findall(normalize_text(text))}


def support_check(
    answer: str,
    sources: Sequence[str],
    *,
    min_overlap: float = MIN_SENTENCE_SUPPORT,
) -> SupportResult:
    """Is ``answer`` backed by ``sources`` (the passage texts the model saw)?

    Definition: citation marks like ``[1]`` are removed and the answer is split into
    sentences. A sentence is *substantive* if it has at least two content terms (stemmed words
    that are not stopwords; see :func:`nexus_app.ai.chunking.content_terms`) or any number.
    It is *supported* when every number in it occurs in the sources and at least
    ``min_overlap`` of its content terms occur in the sources. The answer is supported when it
    has at least one substantive sentence and all of them are supported, and it is not the
    model's own "the book does not cover this" line.
    """
    text = _CITATION.sub(" ", answer).strip()
    if _MODEL_REFUSAL in normalize_text(text):
        return SupportResult(False, 0.0, (), "model_refused")
    source_text = "\n".join(sources)
    source_terms = set(content_terms(source_text))
    source_numbers = _numbers(source_text)
    checked: list[SentenceSupport] = []
    for sentence in split_sentences(text.replace("\n", " ")):
        terms = content_terms(sentence)
        numbers = _numbers(sentence)
        word_terms = [t for t in terms if not t[0].isdigit()]
        if len(set(word_terms)) < 2 and not numbers:
            continue
        unique = sorted(set(word_terms))
        missing = tuple(t for t in unique if t not in source_terms)
        overlap = (len(unique) - len(missing)) / len(unique) if unique else 1.0
        missing_numbers = tuple(sorted(n for n in numbers if n not in source_numbers))
        ok = overlap >= min_overlap and not missing_numbers
        checked.append(
            SentenceSupport(sentence, tuple(unique), missing, missing_numbers, overlap, ok)
        )
    if not checked:
        return SupportResult(False, 0.0, (), "no_content")
    score = sum(s.supported for s in checked) / len(checked)
    supported = all(s.supported for s in checked)
    return SupportResult(
        supported, score, tuple(checked), "ok" if supported else "unsupported_sentence"
    )


# --- extractive answers --------------------------------------------------------------------


def extractive_answer(
    question: str, passages: Sequence[Passage], *, max_passages: int = 2, max_words: int = 60
) -> str:
    """The most relevant sentences of the best passages, each ending with its source number
    and citation, as a model's answer ends its sentences ("… [1]"): the answer starts with
    the book's words, not with a bare "[1]"."""
    parts = []
    for i, p in enumerate(passages[:max_passages], start=1):
        excerpt = _best_excerpt(p.text, question, max_words)
        parts.append(f"{excerpt} [{i}: {p.citation}]")
    return "\n\n".join(parts)


# --- the tutor -----------------------------------------------------------------------------

AnswerMode = Literal["llm", "extractive", "not_covered", "cancelled"]


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
        :data:`NOTICE_BUSY`.
        """
        q = validate_question(question)
        result = self.retriever.search(q, k=self.k)
        shown = tuple(result.passages)
        confidence = round(result.relevance, 4)

        def final(**kwargs: object) -> TutorEvent:
            base: dict[str, object] = {
                "question": q,
                "passages": shown,
                "confidence": confidence,
                "retrieval": result,
            }
            base.update(kwargs)
            return TutorEvent("final", answer=TutorAnswer(**base))  # type: ignore[arg-type]

        if not result.covered:
            # No "passages" event: a refusal lists no sources, not even for a moment.
            yield final(text=NOTICE_NOT_COVERED, mode="not_covered", notice=NOTICE_NOT_COVERED)
            return
        yield TutorEvent("passages", passages=shown)
        extractive = extractive_answer(q, shown)
        if self.llm is None or not use_llm:
            yield final(text=extractive, mode="extractive", notice=NOTICE_NO_MODEL)
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
                max_tokens=self.max_tokens,
                # Greedy: the same question over the same books gives the same answer.
                temperature=0.0,
                stop=ANSWER_STOP,
                time_limit_s=self.time_limit_s,
                queue_timeout_s=self.queue_timeout_s,
                cancel=cancel,
                on_queue=on_queue,
                max_waiting=self.max_waiting,
            )
        except ModelUnavailable:
            yield final(text=extractive, mode="extractive", notice=NOTICE_NO_MODEL)
            return
        except QueueFull:
            yield final(text=extractive, mode="extractive", notice=NOTICE_BUSY, model=self.llm.name)
            return
        with gen:
            try:
                for pos in gen.wait(heartbeat_s=self.heartbeat_s):
                    yield TutorEvent("queue", position=pos, wait_s=gen.estimated_wait(pos))
                for piece in gen:
                    yield TutorEvent("token", text=piece)
            except QueueTimeout:
                yield final(
                    text=extractive, mode="extractive", notice=NOTICE_BUSY, model=self.llm.name
                )
                return
        stats = gen.stats
        raw = gen.text.strip()
        if stats.stop_reason in ("length", "timeout"):
            raw = drop_incomplete_sentence(raw)
        raw = strip_leading_citations(raw)
        if stats.stop_reason == "cancelled":
            yield final(
                text=raw,
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
        if support.supported:
            notice = NOTICE_TIMEOUT if stats.stop_reason == "timeout" else None
            yield final(
                text=raw,
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
                mode="extractive",
                notice=NOTICE_UNSUPPORTED,
                support=support,
                model=self.llm.name,
                model_text=raw,
                stats=stats,
            )


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
    # The model was busy (line full, or the wait ran out): nothing was generated.
    busy: bool = False
    notice: str | None = None  # an honest note for the student (Indonesian), if any


@dataclass(frozen=True, slots=True)
class FeedbackEvent:
    kind: Literal["queue", "token", "final"]
    text: str = ""
    position: int | None = None
    result: FeedbackResult | None = None
    wait_s: float | None = None  # "queue": estimated seconds until the model starts


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
        busy = FeedbackResult(
            fallback, "explanation", model=llm.name, busy=True, notice=NOTICE_FEEDBACK_BUSY
        )
        yield FeedbackEvent("final", result=busy)
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
    raw = gen.text.strip()
    if gen.stats.stop_reason in ("length", "timeout"):
        raw = drop_incomplete_sentence(raw)
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
