"""Issue 12: follow-up questions are rewritten into standalone questions before retrieval."""

from __future__ import annotations

import pytest

from nexus_app.ai.rag.followup import rewrite_followup, topic_of

ARITMETIKA = "Apa yang dimaksud dengan barisan aritmetika?"
GEOMETRI = "Apa yang dimaksud dengan barisan geometri?"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        (ARITMETIKA, "barisan aritmetika"),
        ("Apa itu fotosintesis?", "fotosintesis"),
        ("aturan oktet tuh apa sih", "aturan oktet"),
        ("Jelaskan tentang hukum Newton", "hukum Newton"),
        ("Apa pengertian dari ikatan ion?", "ikatan ion"),
        ("apa rumus suku ke-n barisan aritmetika?", "suku ke-n barisan aritmetika"),
        ("Barisan aritmetika itu apa ya?", "Barisan aritmetika"),
        ("Bagaimana cara menghitung luas lingkaran?", "menghitung luas lingkaran"),
        ("apa yg dimaksud dgn eksponen", "eksponen"),
    ],
)
def test_topic_of_a_question(question: str, topic: str) -> None:
    assert topic_of(question) == topic


@pytest.mark.parametrize(
    ("followup", "searched"),
    [
        # Substitution: another kind of the same thing.
        ("kalau yang geometri?", GEOMETRI),
        ("Kalau geometri?", GEOMETRI),
        ("kalo yg geometri gimana?", GEOMETRI),
        ("lalu kalau geometri?", GEOMETRI),
        ("terus kalau yang geometri?", GEOMETRI),
        ("Bagaimana dengan barisan geometri?", GEOMETRI),
        ("gimana dengan deret geometri?", "Apa yang dimaksud dengan deret geometri?"),
        ("kalau deret aritmetika?", "Apa yang dimaksud dengan deret aritmetika?"),
        ("sedangkan geometri?", GEOMETRI),
        # Aspect: an example, the formula, a unit of the same topic.
        ("contohnya?", "Apa contoh barisan aritmetika?"),
        ("Contohnya apa?", "Apa contoh barisan aritmetika?"),
        ("ada contohnya?", "Apa contoh barisan aritmetika?"),
        ("contoh soalnya dong", "Apa contoh soal barisan aritmetika?"),
        ("rumusnya?", "Apa rumus barisan aritmetika?"),
        ("apa rumusnya?", "Apa rumus barisan aritmetika?"),
        ("rumusnya gimana?", "Apa rumus barisan aritmetika?"),
        ("sifat-sifatnya apa saja?", "Apa sifat barisan aritmetika?"),
        ("ciri-cirinya?", "Apa ciri barisan aritmetika?"),
        ("jenis-jenisnya apa saja?", "Apa jenis barisan aritmetika?"),
        ("bagaimana cara menghitungnya?", "Bagaimana cara menghitung barisan aritmetika?"),
        ("kegunaannya apa?", "Apa kegunaan barisan aritmetika?"),
        # Elaboration: say more about the same topic.
        ("kenapa?", "Jelaskan lagi tentang barisan aritmetika."),
        ("kok bisa begitu?", "Jelaskan lagi tentang barisan aritmetika."),
        ("maksudnya?", "Jelaskan lagi tentang barisan aritmetika."),
        ("maksudnya gimana?", "Jelaskan lagi tentang barisan aritmetika."),
        ("jelaskan lagi dong", "Jelaskan lagi tentang barisan aritmetika."),
        ("bisa dijelaskan lebih lanjut?", "Jelaskan lagi tentang barisan aritmetika."),
        ("jelasin lebih detail", "Jelaskan lagi tentang barisan aritmetika."),
        ("lebih rinci dong", "Jelaskan lagi tentang barisan aritmetika."),
        ("terus?", "Jelaskan lagi tentang barisan aritmetika."),
        # Reference: "itu", "tersebut", a verb with "-nya".
        (
            "apa hubungan hal itu dengan suku pertama?",
            "Apa hubungan barisan aritmetika dengan suku pertama?",
        ),
        ("siapa yang menemukannya?", "Siapa yang menemukan barisan aritmetika?"),
        (
            "bagaimana menentukan beda pada barisan tersebut?",
            "Bagaimana menentukan beda pada barisan aritmetika?",
        ),
    ],
)
def test_followups_after_a_definition_question(followup: str, searched: str) -> None:
    rewrite = rewrite_followup(followup, [ARITMETIKA])
    assert rewrite.rewritten, rewrite
    assert rewrite.question == searched
    assert rewrite.asked == followup and rewrite.topic == "barisan aritmetika"


@pytest.mark.parametrize(
    ("previous", "followup", "searched"),
    [
        ("Apa itu eksponen?", "kalau yang negatif?", "Apa itu eksponen negatif?"),
        (
            "Bagaimana cara menghitung luas lingkaran?",
            "kalau keliling?",
            "Bagaimana cara menghitung keliling lingkaran?",
        ),
        ("Apa fungsi alamat IP?", "kalau DNS?", "Apa fungsi DNS?"),
        ("fotosintesis itu apa sih", "kalau respirasi sel?", "Respirasi sel itu apa sih"),
        ("aturan oktet tuh apa sih", "contohnya?", "Apa contoh aturan oktet?"),
        ("Apa satuan kecepatan?", "kalau percepatan?", "Apa satuan percepatan?"),
        ("Apa itu topologi bus?", "kalau yang star?", "Apa itu topologi star?"),
        ("Apa itu fungsi linear?", "kalau fungsi kuadrat?", "Apa itu fungsi kuadrat?"),
        (
            "Apa yang dimaksud dengan fungsi komposisi?",
            "kalau yang invers?",
            "Apa yang dimaksud dengan fungsi invers?",
        ),
        (
            "Apa yang dimaksud dengan deret geometri?",
            "kalau yang tak hingga?",
            "Apa yang dimaksud dengan deret geometri tak hingga?",
        ),
        (
            "Apa yang dimaksud dengan persamaan nilai mutlak linear?",
            "kalau pertidaksamaannya?",
            "Apa yang dimaksud dengan pertidaksamaan nilai mutlak linear?",
        ),
        (
            "Apa itu dekomposisi dalam berpikir komputasional?",
            "kalau abstraksi?",
            "Apa itu abstraksi dalam berpikir komputasional?",
        ),
        (
            "Bagaimana cara mengubah bilangan biner ke desimal?",
            "kalau dari desimal ke biner?",
            "Bagaimana cara mengubah bilangan dari desimal ke biner?",
        ),
        ("Apa itu nilai mutlak?", "contohnya?", "Apa contoh nilai mutlak?"),
        ("Apa itu variabel?", "tipe datanya apa saja?", "Apa tipe data variabel?"),
        ("Apa itu data pribadi?", "bagaimana melindunginya?", "Bagaimana melindungi data pribadi?"),
        (
            "Apa itu barisan aritmetika?",
            "bagaimana cara menghitung jumlahnya?",
            "Bagaimana cara menghitung jumlah barisan aritmetika?",
        ),
    ],
)
def test_followups_after_other_questions(previous: str, followup: str, searched: str) -> None:
    assert rewrite_followup(followup, [previous]).question == searched


def test_the_difference_names_the_two_latest_topics() -> None:
    rewrite = rewrite_followup("apa bedanya?", [ARITMETIKA, GEOMETRI])
    assert rewrite.question == "Apa perbedaan barisan aritmetika dan barisan geometri?"
    assert rewrite.kind == "aspect"


def test_a_chain_of_followups_keeps_the_topic() -> None:
    # The caller passes the searched (rewritten) questions, so the topic carries on.
    first = rewrite_followup("kalau yang geometri?", [ARITMETIKA])
    second = rewrite_followup("contohnya?", [ARITMETIKA, first.question])
    assert second.question == "Apa contoh barisan geometri?"


@pytest.mark.parametrize(
    "question",
    [
        "Apa yang dimaksud dengan deret geometri?",
        "Apa itu gaya?",
        "Barisan itu apa?",
        "Jelaskan pengertian logaritma",
        "Bagaimana cara mengubah bilangan biner ke desimal?",
        "kalau suku pertama 2 dan rasio 3, berapa suku ke-5?",
        "Siapa presiden pertama Indonesia?",
        "Berapa suku ke-20 dari barisan 3, 7, 11, 15?",
    ],
)
def test_standalone_questions_are_searched_as_asked(question: str) -> None:
    rewrite = rewrite_followup(question, [ARITMETIKA])
    assert not rewrite.rewritten and rewrite.question == question
    assert rewrite.kind == "standalone"


def test_without_a_conversation_nothing_is_rewritten() -> None:
    for question in ("contohnya?", "kalau yang geometri?", "kenapa?"):
        rewrite = rewrite_followup(question, [])
        assert rewrite.question == question and not rewrite.rewritten
    # Blank earlier entries do not count as a conversation.
    assert not rewrite_followup("contohnya?", ["", "  "]).rewritten
