"""The tutor's wording and limits: notices, question checks and the answer prompt."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nexus_app.ai.chunking import content_terms, split_sentences
from nexus_app.ai.llm import ChatMessage
from nexus_app.ai.retriever import Passage

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
# The answerability judgement (calibration.py, ``judge``): the model reads the best book
# sentences and the question and says "ya" or "tidak"; only its first token's odds are read.
JUDGE_SYSTEM_PROMPT = (
    "Kamu memeriksa apakah kutipan buku menjawab pertanyaan siswa. Jawab hanya dengan satu "
    "kata: ya atau tidak."
)
JUDGE_YES = ("ya",)
JUDGE_NO = ("tidak",)
NOTICE_NOT_COVERED = (
    "Maaf, buku pelajaran untuk mata pelajaran ini tidak membahas pertanyaan tersebut. "
    "Coba ubah pertanyaanmu atau tanyakan kepada guru."
)
NOTICE_NO_MODEL = (
    "Model bahasa tidak tersedia di server ini, jadi Nexus menampilkan bagian buku yang "
    "paling relevan."
)
# Under an answer whose book match is "rendah": the rule judged it more likely than not that
# the book does not answer it (answered anyway, to refuse few covered questions).
NOTICE_LOW_MATCH = (
    "Kecocokan rendah: bagian buku ini mungkin tidak menjawab pertanyaanmu secara langsung. "
    "Baca sumbernya, atau tanyakan kepada guru."
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
NOTICE_MODEL_FAILED = (
    "Tutor AI mengalami gangguan saat menjawab, jadi Nexus menampilkan bagian buku yang paling "
    "relevan. Silakan bertanya lagi."
)
NOTICE_FEEDBACK_FAILED = (
    "AI mengalami gangguan saat menulis umpan balik, jadi yang ditampilkan adalah pembahasan "
    "tersimpan untuk soal ini."
)
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


def build_judge_messages(question: str, sentences: Sequence[str]) -> list[ChatMessage]:
    """The yes/no prompt: the book sentences, the question, and the one-word instruction."""
    quoted = "\n".join(f"- {' '.join(s.split())}" for s in sentences)
    return [
        {"role": "system", "content": JUDGE_SYSTEM_PROMPT},
        {
            "role": "user",
            "content": (
                f"Kutipan buku:\n{quoted}\n\nPertanyaan siswa: {' '.join(question.split())}\n\n"
                "Apakah kutipan buku itu menjawab pertanyaan siswa? Jawab ya atau tidak."
            ),
        },
    ]
