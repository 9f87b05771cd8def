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

from .feedback import (
    FeedbackEvent,
    FeedbackResult,
    build_feedback_messages,
    busy_feedback,
    fallback_feedback,
    feedback_wait_notice,
    stream_feedback,
)
from .prompts import (
    ANSWER_INSTRUCTION,
    ANSWER_STOP,
    FEEDBACK_PROMPT_VERSION,
    FEEDBACK_SYSTEM_PROMPT,
    MAX_QUESTION_CHARS,
    MIN_FEEDBACK_TERMS,
    MIN_SENTENCE_SUPPORT,
    NOTICE_BUSY,
    NOTICE_FEEDBACK_BUSY,
    NOTICE_FEEDBACK_FAILED,
    NOTICE_LOW_MATCH,
    NOTICE_MODEL_FAILED,
    NOTICE_NO_MODEL,
    NOTICE_NOT_COVERED,
    NOTICE_TIMEOUT,
    NOTICE_UNSUPPORTED,
    PROMPT_VERSION,
    SYSTEM_PROMPT,
    EmptyQuestion,
    QuestionError,
    QuestionTooLong,
    build_answer_messages,
    drop_incomplete_sentence,
    strip_leading_citations,
    validate_question,
)
from .support import SentenceSupport, SupportResult, extractive_answer, support_check
from .tutor import AnswerMode, Tutor, TutorAnswer, TutorEvent

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
    "NOTICE_FEEDBACK_FAILED",
    "NOTICE_LOW_MATCH",
    "NOTICE_MODEL_FAILED",
    "NOTICE_NOT_COVERED",
    "NOTICE_NO_MODEL",
    "NOTICE_TIMEOUT",
    "NOTICE_UNSUPPORTED",
    "PROMPT_VERSION",
    "SYSTEM_PROMPT",
    "AnswerMode",
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
    "busy_feedback",
    "drop_incomplete_sentence",
    "extractive_answer",
    "fallback_feedback",
    "feedback_wait_notice",
    "stream_feedback",
    "strip_leading_citations",
    "support_check",
    "validate_question",
]
