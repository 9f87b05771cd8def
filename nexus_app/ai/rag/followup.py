"""Follow-up questions: "kalau yang geometri?" becomes a question retrieval can answer alone.

A student talks to the tutor as to a person: after "Apa yang dimaksud dengan barisan
aritmetika?" comes "kalau yang geometri?", "contohnya?" or "bagaimana cara menghitungnya?".
Searched as they are, these match nothing (or the wrong chapter). :func:`rewrite_followup`
turns them into a standalone question with the topic of the previous (already standalone)
question, by rules, in microseconds — the packaged 0.5B model would take seconds on two cores
for the same job and could invent a topic.

The rules, in order (the first that matches wins):

1. **Elaboration** — "kenapa?", "maksudnya?", "jelaskan lagi", "lebih detail dong":
   "Jelaskan lagi tentang <topic>".
2. **Aspect** — "contohnya?", "rumusnya apa?", "satuannya?", "apa bedanya?":
   "Apa <aspect> <topic>?" ("perbedaan" names the two latest topics).
3. **Substitution** — a follow-up marker ("kalau", "bagaimana dengan", "terus", …) and a
   short phrase: the phrase takes the place of the previous topic, or of its last word
   ("barisan aritmetika" + "yang geometri" → "barisan geometri"), or of its aspect word
   ("luas lingkaran" + "keliling" → "keliling lingkaran").
4. **Reference** — "itu"/"tersebut" or a verb with "-nya" pointing back
   ("bagaimana cara menghitungnya?"): the topic is put in place of the reference.

Anything else is a standalone question and is searched as asked. The topic of a question
is what is left after its question template ("Apa yang dimaksud dengan …", "… itu apa sih").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from nexus_app.ai.chunking import content_terms, stem_id

RewriteKind = Literal["standalone", "elaboration", "aspect", "substitution", "reference"]

# A follow-up is short; a long question after "kalau" is its own question.
MAX_FOLLOWUP_WORDS = 6
# Words that name an aspect of a topic rather than the topic itself.
_ASPECT_TEXT = """
    contoh rumus satuan sifat ciri fungsi jenis macam manfaat kegunaan guna arti pengertian
    definisi syarat kelebihan kekurangan perbedaan beda persamaan langkah cara tujuan akibat
    penyebab sebab dampak lambang simbol notasi bentuk nilai hasil jumlah luas keliling volume
    panjang tinggi besar satuannya contoh-contoh bagian komponen unsur tahap tahapan proses
    kegunaannya penerapan aplikasi soal sejarah asal tipe ragam kategori golongan
"""
ASPECTS: frozenset[str] = frozenset(_ASPECT_TEXT.split())
# Aspect words that never start a topic's name ("fungsi linear", "nilai mutlak" do): the
# topic of "apa rumus suku ke-n barisan aritmetika" is "suku ke-n barisan aritmetika".
_PURE_ASPECT_TEXT = """
    contoh rumus pengertian arti definisi satuan ciri manfaat kegunaan syarat cara langkah
    tujuan penyebab akibat dampak
"""
PURE_ASPECTS: frozenset[str] = frozenset(_PURE_ASPECT_TEXT.split())
# Prepositions after a topic's head: "dekomposisi dalam berpikir komputasional".
_PREPOSITIONS = frozenset(["dalam", "pada", "di", "untuk", "dari", "ke", "terhadap", "dengan"])
# Words ending in "-nya" that point at nothing ("hanya", "misalnya").
_NYA_TEXT = """
    hanya punya sebenarnya biasanya misalnya seharusnya selanjutnya sebelumnya sesudahnya
    akhirnya tadinya rupanya agaknya kayaknya sepertinya tentunya khususnya umumnya adanya
    katanya bagaimananya semuanya apanya
"""
_NYA_WORDS = frozenset(_NYA_TEXT.split())
# "beda" reads as "perbedaan" in a question.
_ASPECT_WORD = {"beda": "perbedaan", "macam": "macam-macam", "guna": "kegunaan"}

_MARKERS = (
    r"(?:lalu|terus|trus|trs|kemudian|nah|oke|ok|oh|terus\s+kalau|lalu\s+kalau)?\s*"
    r"(?:kalau|kalo|klo|kl|bagaimana\s+(?:dengan|kalau|kalo|untuk)|gimana\s+(?:dengan|kalau|"
    r"kalo|untuk)|sedangkan|lalu|terus|trus|dan|kalau\s+untuk)"
)
_MARKER = re.compile(rf"^{_MARKERS}\s+(?P<rest>.+)$")
_FILLER = r"(?:apa|apaan|gimana|bagaimana|dong|sih|ya|yah|tuh|nih|deh|kak|bu|pak|itu|juga|lagi)"
_TRAILING_FILLER = re.compile(rf"(?:\s+{_FILLER})+$")
_LEADING_FILLER = re.compile(
    r"^(?:(?:lalu|terus|trus|trs|kemudian|nah|oke|ok|oh|dan|kalau|kalo|klo)\s+)+"
)
_ELABORATION = re.compile(
    r"^(?:(?:lalu|terus|trus|nah|oke|ok|oh|tapi|kalau|kalo)\s+)*(?:"
    r"kenapa|mengapa|kok\s+bisa|kok\s+gitu|kok\s+begitu|maksudnya|maksud\s*nya|"
    r"(?:bisa\s+|tolong\s+|coba\s+)?(?:di)?jelas(?:kan|in|kn)(?:\s+lagi|\s+lebih\s+\w+|"
    r"\s+ulang)?|lebih\s+(?:lanjut|detail|rinci|jelas)|terus|lalu|trus|gimana\s+tuh|"
    r"bagaimana\s+maksudnya|gimana\s+maksudnya|contoh\s+lain|yang\s+lain|detailnya|"
    r"terangkan\s+lagi|ulangi)(?:\s+(?:lagi|dong|sih|ya|begitu|gitu|itu|tuh|gimana|bagaimana|"
    r"apa|kak|lebih\s+"
    r"(?:lanjut|detail|rinci|jelas)|bisa\s+begitu|bisa\s+gitu|maksudnya))*$"
)
_ASK = r"(?:apa(?:kah)?|bagaimana|gimana|berapa|mana|seperti\s+apa)"
# "contohnya?", "apa rumusnya?", "satuannya apa ya?", "contoh soalnya dong", "apa bedanya?"
_ASPECT_Q = re.compile(
    rf"^(?:{_ASK}\s+)?(?:(?:ada|kasih|beri|berikan|sebutkan|tunjukkan)\s+)?"
    r"(?P<aspect>[a-z-]+?)(?:nya)?(?:\s+(?P<second>(?!(?:apa|apaan|dong|sih|ya|lagi|lain|"
    r"lainnya|juga|gimana|bagaimana|berapa|saja)\b)[a-z-]+?)(?:nya)?)?"
    rf"(?:\s+(?:{_ASK}|dong|sih|ya|lagi|lain|lainnya|juga|apa\s+saja|gimana|bagaimana))*$"
)
# Question templates around a topic: removed to find the topic of a question.
_TEMPLATES_BEFORE = [
    re.compile(p)
    for p in (
        r"^(?:tolong\s+|coba\s+|bisa\s+)?(?:jelaskan|jelasin|terangkan|sebutkan|uraikan)"
        r"(?:\s+lebih\s+lanjut)?(?:\s+(?:tentang|mengenai|soal|apa\s+itu|apa\s+yang\s+"
        r"dimaksud\s+(?:dengan|dgn)|pengertian(?:\s+dari)?|yang\s+dimaksud\s+(?:dengan|dgn)))?\s+",
        r"^apa(?:kah)?\s+(?:sih\s+)?(?:yang\s+|yg\s+)?(?:di)?maksud(?:nya)?\s+(?:dengan|dgn|dari)\s+",
        r"^apa(?:kah)?\s+(?:itu|sih|itu\s+sih|sih\s+itu|yg|yang\s+disebut)\s+",
        r"^apa(?:kah)?\s+(?:pengertian|arti|definisi)(?:\s+dari)?\s+",
        r"^(?:bagaimana|gimana|mengapa|kenapa|berapa|siapa|kapan|di\s*mana|apa(?:kah)?)\s+",
    )
]
_TEMPLATES_AFTER = re.compile(
    r"(?:\s+(?:itu|tuh|adalah|ialah|yaitu|apa|apaan|sih|ya|dong|kak|maksudnya|artinya|"
    r"bagaimana|gimana|seperti\s+apa|yang\s+benar))+$"
)
# A reference back to the previous topic: "hal itu", "konsep tersebut", "itu", "ini".
_REFERENCE = re.compile(
    r"\b(?:(?:hal|konsep|materi|rumus|bagian|topik|yang)\s+)?(?:itu|tersebut|tadi|ini)\b"
)
# "apa itu X" / "X itu apa": "itu" introduces a topic here, it does not point back.
_DEFINING_ITU = re.compile(r"\b(?:apa|apakah|adalah|yaitu)\s+itu\s+\S|\S\s+itu\s+(?:apa|adalah)\b")
# "menghitungnya", "jumlahnya", "melindunginya": a word whose object or owner is the
# previous topic.
_NYA = re.compile(r"\b([a-z]{3,}?)nya\b")
_PUNCT = re.compile(r"[?!.,;:]+$")


@dataclass(frozen=True, slots=True)
class Rewrite:
    """What to search for a question asked after ``previous`` questions."""

    question: str  # the standalone question to search (the asked one when not rewritten)
    kind: RewriteKind
    asked: str  # the student's own words
    topic: str = ""  # the previous topic the rewrite used ("" when standalone)

    @property
    def rewritten(self) -> bool:
        return self.kind != "standalone"


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()
    return _PUNCT.sub("", text).strip()


def _lower(text: str) -> str:
    return _clean(text).lower()


def topic_of(question: str) -> str:
    """The topic a question asks about, in its own words and casing: "Apa yang dimaksud
    dengan barisan aritmetika?" → "barisan aritmetika"; "aturan oktet tuh apa sih" →
    "aturan oktet"; "" when nothing is left."""
    text = _clean(question)
    low = text.lower()
    start = 0
    for pattern in _TEMPLATES_BEFORE:
        m = pattern.match(low[start:])
        if m:
            start += m.end()
    end = len(low)
    m = _TEMPLATES_AFTER.search(low[start:end])
    if m and m.start() > 0:
        end = start + m.start()
    topic = text[start:end].strip()
    # "rumus suku ke-n barisan aritmetika": the aspect word is not the topic.
    words = topic.split()
    while len(words) > 1 and words[0].lower() in PURE_ASPECTS:
        words = words[1:]
        if words and words[0].lower() in ("dari", "pada", "untuk"):
            words = words[1:]
    return " ".join(words)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _ask(text: str, ended: str) -> str:
    return _sentence(text) + ended


def _ending(question: str) -> str:
    stripped = question.rstrip()
    return "?" if not stripped.endswith(".") else "."


def _stems(text: str) -> set[str]:
    return set(content_terms(text))


def _similar(a: str, b: str) -> bool:
    """Words of one family: "pertidaksamaan"/"persamaan", "percepatan"/"kecepatan"."""
    a, b = a.lower(), b.lower()
    tail = 0
    while tail < min(len(a), len(b)) and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return a != b and tail >= 5


def _substitute(previous: str, topic: str, phrase: str) -> str | None:
    """The previous question with ``phrase`` (the student's casing) in place of its topic,
    or of part of it."""
    words = phrase.split()
    modifier = False
    if words and words[0].lower() in ("yang", "yg"):
        modifier, words = True, words[1:]
    if not words:
        return None
    phrase = " ".join(words)
    t_words = topic.split()
    # The head of the topic: before a preposition ("dekomposisi dalam berpikir
    # komputasional"), after leading aspect words ("fungsi alamat IP" keeps "fungsi").
    cut = next(
        (i for i, w in enumerate(t_words) if i > 0 and w.lower() in _PREPOSITIONS), len(t_words)
    )
    lead = 0
    while lead < cut - 1 and t_words[lead].lower() in ASPECTS:
        lead += 1
    head, tail = t_words[lead:cut], t_words[cut:]
    kept = t_words[:lead]
    t_stems = [stem_id(w.lower()) for w in t_words]
    p_stems = {stem_id(w.lower()) for w in words}
    shared = [i for i, st in enumerate(t_stems) if st in p_stems]
    similar = [i for i, w in enumerate(t_words) if any(_similar(w, x) for x in words)]
    if shared and len(words) >= 2:
        # "barisan geometri" after "barisan aritmetika", "dari desimal ke biner" after
        # "mengubah bilangan biner ke desimal": the topic changes from the first shared word,
        # less the phrase's own words before it ("deret aritmetika" replaces both words).
        first = next(j for j, w in enumerate(words) if stem_id(w.lower()) in t_stems)
        before = sum(1 for w in words[:first] if w.lower() not in _PREPOSITIONS)
        new_words = [*t_words[: max(0, min(shared) - before)], phrase]
    elif len(words) == 1 and similar:
        # "pertidaksamaan" after "persamaan nilai mutlak linear": a word of the same family.
        at = similar[0]
        new_words = [*t_words[:at], phrase, *t_words[at + 1 :]]
    elif len(words) == 1 and words[0].lower() in ASPECTS:
        # "keliling" after "luas lingkaran": the aspect changes, the object stays.
        at = next((i for i, w in enumerate(t_words) if w.lower() in ASPECTS), -1)
        new_words = [*t_words[: max(at, 0)], phrase, *t_words[at + 1 :]]
    elif len(words) == 1 and not modifier and not words[0].islower():
        new_words = [*kept, phrase]  # "DNS", "Newton": a name of its own
    elif modifier and len(words) >= 2:
        new_words = [*t_words, phrase]  # "yang tak hingga" after "deret geometri"
    elif len(words) == 1 and len(kept) + len(head) >= 2:
        # "yang geometri" / "geometri" after "barisan aritmetika": the last word changes.
        new_words = [*kept, *head[:-1], phrase, *tail]
    elif modifier:
        new_words = [*t_words, phrase]  # "yang negatif" after "eksponen"
    elif len(words) == 1 and tail:
        new_words = [*kept, phrase, *tail]  # "abstraksi" after "dekomposisi dalam …"
    else:
        new_words = [*kept, phrase]
    at = previous.lower().find(topic.lower())
    if at < 0:
        return None
    return previous[:at] + " ".join(new_words) + previous[at + len(topic) :]


def rewrite_followup(question: str, previous: Sequence[str]) -> Rewrite:
    """The standalone question to search for ``question``, asked after ``previous`` (the
    questions searched before in this conversation, oldest first; their rewritten forms, so
    a chain of follow-ups keeps its topic)."""
    asked = question.strip()
    earlier = [p for p in (x.strip() for x in previous) if p]
    standalone = Rewrite(asked, "standalone", asked)
    if not earlier or not asked:
        return standalone
    last = earlier[-1]
    topic = topic_of(last)
    if not topic:
        return standalone
    low = _lower(asked)
    words = low.split()
    ended = _ending(last)

    # 1. "kenapa?", "maksudnya?", "jelaskan lagi"
    if _ELABORATION.match(low):
        return Rewrite(f"Jelaskan lagi tentang {topic}.", "elaboration", asked, topic)

    # 2. "contohnya?", "rumusnya apa?", "apa bedanya?"
    m = _ASPECT_Q.match(low)
    if m and len(words) <= MAX_FOLLOWUP_WORDS:
        aspect = m.group("aspect")
        parts = aspect.split("-")
        if len(parts) == 2 and parts[0] == parts[1]:
            aspect = parts[0]  # "jenis-jenisnya", "contoh-contohnya"
        second = m.group("second")
        is_aspect = aspect in ASPECTS or aspect in _ASPECT_WORD
        if is_aspect and (second is None or len(second) > 2):
            name = _ASPECT_WORD.get(aspect, aspect)
            if second:
                name = f"{name} {second}"
            if name == "perbedaan":
                others = [topic_of(p) for p in earlier[:-1]]
                other = next((t for t in reversed(others) if t and t != topic), "")
                if other:
                    return Rewrite(f"Apa perbedaan {other} dan {topic}?", "aspect", asked, topic)
            if aspect == "cara":
                return Rewrite(f"Bagaimana {name} {topic}?", "aspect", asked, topic)
            return Rewrite(f"Apa {name} {topic}?", "aspect", asked, topic)

    # 3. "kalau yang geometri?", "bagaimana dengan deret geometri?"
    m = _MARKER.match(low)
    if m:
        rest = _TRAILING_FILLER.sub("", m.group("rest")).strip()
        rest = re.sub(r"\s+(?:itu|tuh)$", "", rest)
        rest_words = rest.split()
        if len(rest_words) == 1 and rest.endswith("nya") and len(rest) > 6:
            rest = rest[:-3]  # "kalau pertidaksamaannya?"
            rest_words = [rest]
        pointing = _REFERENCE.search(rest) or any(
            w.endswith("nya") and w not in _NYA_WORDS for w in rest_words
        )
        if rest and len(rest_words) <= 4 and not pointing:
            cleaned = _clean(asked)
            # The student's casing ("DNS") when lowercasing kept the offsets.
            at = m.start("rest")
            if len(cleaned) == len(low):
                rest = cleaned[at : at + len(rest)]
            new_question = _substitute(last, topic, rest)
            if new_question is not None:
                return Rewrite(_sentence(new_question), "substitution", asked, topic)

    # 4. "bagaimana cara menghitungnya?", "apa hubungan hal itu dengan suku pertama?"
    if len(words) <= MAX_FOLLOWUP_WORDS + 4 and not _DEFINING_ITU.search(low):
        core = _LEADING_FILLER.sub("", low)
        ref = _REFERENCE.search(core)
        verb = next((m for m in _NYA.finditer(core) if m.group(0) not in _NYA_WORDS), None)
        new_terms = _stems(core) - _stems(topic)
        if (ref or verb) and len(new_terms) <= 4:
            if ref:
                start = ref.start()
                # "barisan tersebut" after "barisan aritmetika": the noun is the topic's own.
                before = core[:start].split()
                topic_words = {w.lower() for w in topic.split()}
                while before and before[-1] in topic_words:
                    start = core.rfind(before.pop(), 0, start)
                text = core[:start] + topic + core[ref.end() :]
            else:
                assert verb is not None
                text = core[: verb.start()] + f"{verb.group(1)} {topic}" + core[verb.end() :]
            text = re.sub(r"\s+", " ", text).strip()
            return Rewrite(
                _ask(text, "?" if ended == "?" or "?" in asked else "."), "reference", asked, topic
            )

    return standalone
