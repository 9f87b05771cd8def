"""The AI tutor: grounded answers from a subject's books, with sources, saved to history.

Retrieval (BM25 + dense, fused) decides whether the books cover a question; the local
model only rephrases what the passages say, and an answer the passages do not support is
replaced by the passages themselves (nexus_app.ai.rag). Without a model file the tutor
still answers extractively and says so; with the model's line full it answers extractively
and says the AI is busy.

A student's question is recorded (a chat_history row with model_used "pending") in the same
transaction that checks the daily limit, under a per-student lock, so two questions asked at
once cannot both pass the last unit of the quota; the row gets its answer at the end, or is
removed if the answer is cancelled or fails.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from nexus_app import formatting
from nexus_app.ai import rag, vkp
from nexus_app.ai.llm import DEFAULT_THREADS, LocalLLM
from nexus_app.ai.models import ModelUnavailable
from nexus_app.ai.rag.calibration import load_rule
from nexus_app.ai.rag.followup import rewrite_followup
from nexus_app.ai.rag.formulas import readable
from nexus_app.ai.rag.tutor import writes_with_model
from nexus_app.ai.retriever import Passage, Retriever
from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import chat as chat_repo
from nexus_app.repositories import curriculum as curriculum_repo
from nexus_app.services import billing, mastery, school_practice
from nexus_app.services.auth import CurrentUser
from nexus_app.services.books import packages_root, source_view
from nexus_app.services.errors import InvalidInput, NotFound

MAX_QUESTION_CHARS = rag.MAX_QUESTION_CHARS
HISTORY_LIMIT = 50
# chat_history.model_used of a question whose answer is still being made.
PENDING_MODEL = "pending"
# A pending row older than this belongs to an answer that never came (the server stopped):
# longer than any answer takes (queue timeout + generation time limit).
STALE_PENDING = timedelta(minutes=15)
# chat_history.model_used of answers no model generated (the answer mode is stored instead).
NO_MODEL_MODES: tuple[str, ...] = ("extractive", "not_covered", PENDING_MODEL)
_llm_lock = threading.Lock()


@dataclass(frozen=True)
class Source:
    book: str
    page: int
    version: str
    heading: str
    score: float
    text: str
    # "hlm. 4" in a PDF, "bagian <heading>" in a Markdown or text book (whose page numbers
    # are cuts made at import); "" in answers saved before it was recorded.
    location: str = ""
    # What the source viewer needs to open the cited place (/sumber); absent (defaults) in
    # answers saved before they were recorded, which then show no link.
    book_key: str = ""
    chunk_id: int = -1
    paged: bool = True

    @property
    def where(self) -> str:
        return self.location or f"hlm. {self.page}"

    @property
    def link(self) -> str:
        return source_view.citation_link(
            book_key=self.book_key,
            version=self.version,
            page=self.page,
            chunk_id=self.chunk_id,
            paged=self.paged,
        )


@dataclass(frozen=True)
class Usage:
    """What an answer cost, as saved on its chat_history row. `model` is the model that
    generated (even when its text failed the support check and the passages were shown);
    when no model ran it is the answer mode ("extractive", "not_covered"), with 0 tokens."""

    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    generation_ms: int = 0


@dataclass(frozen=True)
class AnswerView:
    question: str
    answer: str
    mode: str  # llm | extractive | not_covered | cancelled
    notice: str
    confidence: float
    usage: Usage
    sources: list[Source] = field(default_factory=list)
    model: str = ""
    topic: str = ""
    # Practice questions on the topic just asked about, when the subject has some.
    practice_topic: str = ""
    practice_link: str = ""
    # "tinggi" / "sedang" / "rendah": the book match in words (calibrated, docs/ai.md).
    relevance_words: str = ""
    # What retrieval searched: the standalone form of a follow-up ("kalau yang geometri?"
    # → "Apa yang dimaksud dengan barisan geometri?"); the question itself otherwise.
    searched: str = ""

    @property
    def rewritten(self) -> bool:
        return bool(self.searched) and self.searched != self.question


@dataclass(frozen=True)
class TutorUpdate:
    """What the chat page shows while an answer is being made."""

    kind: str  # "searched" | "sources" | "queue" | "token" | "final"
    text: str = ""  # "searched": the standalone question retrieval used; "token": a piece
    position: int = 0  # "queue": generations ahead (0: the model is writing this answer)
    sources: list[Source] = field(default_factory=list)
    answer: AnswerView | None = None
    wait_s: float | None = None  # "queue": estimated seconds until the model starts


@dataclass(frozen=True)
class HistoryItem:
    when: str
    subject: str
    question: str
    answer: str
    confidence: float
    sources: list[Source]


def _sources(passages: tuple[Passage, ...] | list[Passage]) -> list[Source]:
    return [
        Source(
            p.book_title,
            p.page,
            p.package_version,
            p.heading,
            round(p.score, 4),
            p.text,
            p.location,
            book_key=p.book_key,
            chunk_id=p.chunk_id,
            paged=p.paged,
        )
        for p in passages
    ]


def _usage(answer: rag.TutorAnswer) -> Usage:
    stats = answer.stats
    if stats is None:
        # No generation: no model, or it was busy (queue timeout) or unavailable.
        return Usage(model=answer.mode)
    return Usage(
        model=answer.model or stats.model,
        tokens_in=stats.prompt_tokens,
        tokens_out=stats.completion_tokens,
        generation_ms=stats.generation_time_ms,
    )


def _view(answer: rag.TutorAnswer, asked: str) -> AnswerView:
    # A refusal says it once (its text is the notice) and cites nothing: the passages
    # retrieval found were judged not to answer the question. An answer lists only the
    # passages it quotes or that back its sentences (`cited`), numbered as its marks are.
    refused = answer.mode == "not_covered"
    notice = answer.notice or ""
    if not refused and not notice and answer.relevance_words == "rendah":
        notice = rag.NOTICE_LOW_MATCH
    return AnswerView(
        question=asked,
        searched=answer.question,
        answer=answer.text,
        mode=answer.mode,
        notice="" if refused else notice,
        confidence=answer.confidence,
        relevance_words="" if refused else answer.relevance_words,
        sources=[] if refused else _sources(answer.cited),
        model=answer.model or "",
        topic=(answer.topics[0] if answer.topics else ""),
        usage=_usage(answer),
    )


@lru_cache(maxsize=32)
def _retriever(subject: str, versions: tuple[tuple[str, str], ...]) -> Retriever:
    # Keyed by the current versions: a new package version gives a new retriever.
    root = packages_root()
    return Retriever([vkp.load_current(vkp.book_dir(root, key)) for key, _ in versions])


def retriever_for(subject_code: str) -> Retriever:
    manifests = vkp.list_books(packages_root(), subject_code)
    if not manifests:
        raise NotFound(
            f"Belum ada buku untuk mata pelajaran {subject_code}. Minta admin mengunggah buku."
        )
    return _retriever(subject_code, tuple(sorted((m.book_key, m.version) for m in manifests)))


_llm_state: dict[str, object] = {}


def language_model() -> LocalLLM | None:
    """The process's one model (loaded once), or None when no model file is available."""
    with _llm_lock:
        if "model" not in _llm_state:
            try:
                settings = get_settings()
                fixed = settings.llm_threads  # set: always this many; unset: by the load
                _llm_state["model"] = LocalLLM(
                    settings.llm_model,
                    n_threads=fixed or DEFAULT_THREADS,
                    adaptive_threads=fixed is None,
                    nice=settings.llm_nice,
                )
            except ModelUnavailable as exc:
                _llm_state["model"] = None
                _llm_state["reason"] = str(exc)
        return _llm_state["model"]  # type: ignore[return-value]


def language_model_tried() -> bool:
    """Whether this process has loaded its model, or found none: :func:`language_model`
    then answers at once instead of loading for seconds. Not under the lock: a load in
    progress holds it for seconds, and this must answer at once."""
    return "model" in _llm_state


def tutor_uses_model() -> bool:
    """Whether the app's tutor (quote-first, the shipped rule) asks the language model:
    decided before the tutor is built, since the tutor builds its judge from the model it is
    given. Otherwise the chat neither loads the model nor warns that it is missing."""
    return writes_with_model(
        style="quote_first", lead_in=get_settings().tutor_lead_in, rule=load_rule()
    )


def model_notice() -> str:
    if not tutor_uses_model():
        return ""
    return "" if language_model() is not None else rag.NOTICE_NO_MODEL


def _check_subject(subject_code: str) -> tuple[str, int]:
    code = (subject_code or "").strip().upper()
    with unit_of_work() as session:
        subject = curriculum_repo.get_subject_by_code(session=session, code=code)
        if subject is None or subject.id is None:
            raise NotFound(f"Mata pelajaran '{code}' tidak ditemukan.")
        return code, subject.id


def _validate(question: str) -> str:
    try:
        return rag.validate_question(question)
    except rag.QuestionError as exc:
        raise InvalidInput(str(exc)) from exc


def stream(
    *,
    subject_code: str,
    question: str,
    k: int = 5,
    use_llm: bool = True,
    cancel: threading.Event | None = None,
    actor: CurrentUser | None = None,
    context: Sequence[str] = (),
) -> Iterator[TutorUpdate]:
    """The searched question (when a follow-up was rewritten), the sources, then the queue
    position and tokens, then the final answer. With an actor, the exchange is saved to
    chat_history (and feeds topic mastery).

    ``context``: the questions searched before in this conversation (oldest first, as
    ``AnswerView.searched`` gave them): a follow-up ("contohnya?") is searched as a
    standalone question built from them (nexus_app.ai.rag.followup)."""
    code, subject_id = _check_subject(subject_code)
    question = _validate(question)
    searched = standalone_question(question, context)
    # The CLI asks without an actor and is never limited (nor recorded).
    chat_id = _reserve(actor, subject_id, question) if actor is not None else None
    saved = False
    try:
        tutor = rag.Tutor(
            retriever_for(code),
            language_model() if use_llm and tutor_uses_model() else None,
            k=k,
            max_waiting=get_settings().llm_queue_max,
            lead_in=get_settings().tutor_lead_in,
        )
        if searched != question:
            yield TutorUpdate("searched", text=searched)
        for event in tutor.stream(searched, cancel=cancel, use_llm=use_llm):
            if event.kind == "passages":
                # While the answer is made: the passages the model reads (its "[n]" marks
                # name them); the final answer narrows them to the ones it used.
                yield TutorUpdate(
                    "sources", sources=_sources(event.passages[: tutor.prompt_passages])
                )
            elif event.kind == "queue":
                yield TutorUpdate("queue", position=event.position or 0, wait_s=event.wait_s)
            elif event.kind == "token":
                yield TutorUpdate("token", text=event.text)
            elif event.kind == "final" and event.answer is not None:
                view = _with_practice(_view(event.answer, question), subject_id)
                if actor is not None and chat_id is not None and view.mode != "cancelled":
                    _save(actor, subject_id, view, chat_id)
                    saved = True
                yield TutorUpdate("final", answer=view)
    finally:
        # Cancelled, failed, or the consumer went away: the question does not count.
        if chat_id is not None and not saved:
            _unreserve(chat_id)


def standalone_question(question: str, context: Sequence[str] = ()) -> str:
    """What to search for ``question`` after the conversation's earlier searched questions:
    a follow-up rewritten into a standalone question, else the question itself. A rewrite
    longer than a question may be is dropped (the student's words are searched)."""
    rewrite = rewrite_followup(question, list(context)[-3:])
    if not rewrite.rewritten:
        return question
    try:
        return rag.validate_question(rewrite.question)
    except rag.QuestionError:
        return question


def readable_text(text: str) -> str:
    """Book or answer text for the page: plain-text math as Unicode ("a^n" → "aⁿ"); still
    text, never markup (the page shows it as text)."""
    return readable(text)


def _with_practice(view: AnswerView, subject_id: int) -> AnswerView:
    """Link practice on what was asked: the topic (the best source's heading) first, then
    the other sources' headings, so a question answered from a neighbouring section still
    finds its topic's questions."""
    if not view.topic or view.mode in ("not_covered", "cancelled"):
        return view
    headings = [view.topic, *(s.heading for s in view.sources if s.heading)]
    for heading in dict.fromkeys(headings):
        found = school_practice.suggest_for_topic(subject_id=subject_id, topic=heading)
        if found is not None:
            return dataclasses.replace(view, practice_topic=found[0], practice_link=found[1])
    return view


def ask(
    *,
    subject_code: str,
    question: str,
    k: int = 5,
    use_llm: bool = True,
    actor: CurrentUser | None = None,
    context: Sequence[str] = (),
) -> AnswerView:
    final: AnswerView | None = None
    for update in stream(
        subject_code=subject_code,
        question=question,
        k=k,
        use_llm=use_llm,
        actor=actor,
        context=context,
    ):
        if update.kind == "final":
            final = update.answer
    assert final is not None
    return final


def _reserve(actor: CurrentUser, subject_id: int, question: str) -> int:
    """Check today's tutor limit and record the question, in one transaction that holds the
    student's lock: a second question asked at the same moment waits here, then counts this
    one. Returns the chat_history row the answer goes into."""
    now = utcnow()
    with unit_of_work() as session:
        chat_repo.lock_user_for_quota(session=session, user_id=actor.id)
        chat_repo.delete_stale_pending(
            session=session,
            user_id=actor.id,
            pending_model=PENDING_MODEL,
            before=now - STALE_PENDING,
        )
        billing.enforce_daily_limit(session, actor=actor, kind="tutor", now=now)
        row = chat_repo.save_chat_interaction(
            session=session,
            user_id=actor.id,
            subject_id=subject_id,
            question=question,
            response="",
            model_used=PENDING_MODEL,
        )
        assert row.id is not None
        return row.id


def _unreserve(chat_id: int) -> None:
    with unit_of_work() as session:
        chat_repo.delete_chat_interaction(session=session, chat_id=chat_id)


def _save(actor: CurrentUser, subject_id: int, view: AnswerView, chat_id: int) -> None:
    """One transaction: the mastery nudge (it reads the earlier questions, so it goes
    first) and the answer on the question's history row, with its sources, retrieval
    confidence and usage (model, tokens, generation time) for the admin's analytics."""
    now = utcnow()
    with unit_of_work() as session:
        if view.topic and view.mode != "not_covered":
            mastery.apply_tutor_question(
                session,
                user_id=actor.id,
                subject_id=subject_id,
                topic=view.topic,
                question=view.searched or view.question,
                when=now,
            )
        chat_repo.update_chat_interaction(
            session=session,
            chat_id=chat_id,
            response=view.answer,
            confidence=min(max(view.confidence, 0.0), 1.0),
            sources_json=json.dumps([s.__dict__ for s in view.sources], ensure_ascii=False),
            topic=view.topic or None,
            model_used=view.usage.model,
            generation_time_ms=view.usage.generation_ms,
            token_count_input=view.usage.tokens_in,
            token_count_output=view.usage.tokens_out,
        )


def history(*, actor: CurrentUser, limit: int = HISTORY_LIMIT) -> list[HistoryItem]:
    with unit_of_work() as session:
        rows = chat_repo.list_recent_chat_history(session=session, user_id=actor.id, limit=limit)
        subjects = {s.id: s.code for s in curriculum_repo.list_all_subjects(session=session)}
    items = []
    for row in rows:
        if row.model_used == PENDING_MODEL:
            continue  # still being answered
        try:
            sources = [Source(**s) for s in json.loads(row.sources_json or "[]")]
        except (TypeError, ValueError):
            sources = []
        if row.model_used == "not_covered":
            sources = []  # refusals saved before they stopped listing passages
        items.append(
            HistoryItem(
                when=formatting.format_datetime(row.created_at),
                subject=subjects.get(row.subject_id, formatting.EMPTY),
                question=row.question,
                answer=row.response,
                confidence=row.confidence or 0.0,
                sources=sources,
            )
        )
    return items


def subjects_with_books() -> list[tuple[str, str]]:
    """(code, label) of the subjects that have at least one book package."""
    have = {m.subject for m in vkp.list_books(packages_root())}
    with unit_of_work() as session:
        return [
            (s.code, f"{s.name} kelas {s.grade}")
            for s in curriculum_repo.list_all_subjects(session=session)
            if s.code in have
        ]
