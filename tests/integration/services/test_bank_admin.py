"""Admin question banks on both databases: create, import, the two-reviewer rule, flags,
soft delete and the editor's validation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from nexus_app.models import Question, QuestionReviewLog
from nexus_app.repositories import questions as question_repo
from nexus_app.services import auth, bank_admin, bank_import
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_import import MAX_FILE_BYTES, import_bank
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

HEADER = (
    "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,correct_answer,difficulty\n"
)


def _row(n: int, section: str = "PU", answer: str = "A", b: str = "0.1") -> str:
    return f"{section},logika,Soal nomor {n},a{n},b{n},c{n},d{n},e{n},{answer},{b}\n"


# Line 1 is the header; the stem of the second row spans two lines (a quoted newline), so
# the rows after it start one line later than their position: the report must say so.
BAD_CSV = (
    HEADER
    + _row(1)  # line 2
    + 'PK,aljabar,"Soal dua baris\nbaris kedua",p,q,r,s,t,B,0\n'  # lines 3-4
    + _row(3, section="XX")  # line 5: unknown section
    + _row(4, answer="F")  # line 6: bad key
    + "PU,logika,Soal lima,x,x,y,z,w,A,0\n"  # line 7: two equal options
    + _row(6, b="9")  # line 8: difficulty out of range
    + _row(7)  # line 9
).encode()


def _users() -> tuple[CurrentUser, CurrentUser, CurrentUser, CurrentUser]:
    admin1 = auth.create_user(
        username="admin1", password="kata-sandi-1", role="admin", full_name="Bu Ani"
    )
    admin2 = auth.create_user(
        username="admin2", password="kata-sandi-2", role="admin", full_name="Pak Budi"
    )
    guru = auth.create_user(username="guru1", password="kata-sandi-3", role="guru")
    siswa = auth.create_user(username="siswa1", password="kata-sandi-4", role="siswa")
    return admin1, admin2, guru, siswa


def _bank_with_items(admin: CurrentUser, n: int = 3, name: str = "Set A") -> int:
    bank = bank_admin.create_bank(actor=admin, name=name, source="practice_set")
    csv = (HEADER + "".join(_row(i) for i in range(1, n + 1))).encode()
    result = bank_admin.import_into_bank(
        actor=admin, bank_id=bank.id, filename="soal.csv", data=csv, skip_invalid=False
    )
    assert result.ok and result.imported == n
    return bank.id


def _item_ids(admin: CurrentUser, bank_id: int, status: str = "") -> list[int]:
    page = bank_admin.list_items(actor=admin, bank_id=bank_id, status=status, page_size=200)
    return [r.question_id for r in page.rows]


def _bank(admin: CurrentUser, bank_id: int) -> bank_admin.BankSummary:
    return next(b for b in bank_admin.list_banks(actor=admin) if b.id == bank_id)


def test_banks_are_created_with_unique_names_and_listed_with_counts(engine: Engine) -> None:
    admin, _, guru, siswa = _users()
    bank = bank_admin.create_bank(
        actor=admin, name="  Tryout   Oktober ", description="Dari MGMP", source="official_utbk"
    )
    assert bank.name == "Tryout Oktober" and bank.total == 0
    with pytest.raises(Conflict, match="sudah ada"):
        bank_admin.create_bank(actor=admin, name="tryout oktober")
    with pytest.raises(InvalidInput):
        bank_admin.create_bank(actor=admin, name="   ")
    with pytest.raises(InvalidInput):
        bank_admin.create_bank(actor=admin, name="Lain", source="scraped")
    for actor in (guru, siswa):
        with pytest.raises(PermissionDenied):
            bank_admin.create_bank(actor=actor, name="Milik guru")
        with pytest.raises(PermissionDenied):
            bank_admin.list_banks(actor=actor)

    csv = (HEADER + _row(1) + _row(2) + _row(3, section="PK") + _row(4, section="PM")).encode()
    bank_admin.import_into_bank(
        actor=admin, bank_id=bank.id, filename="a.csv", data=csv, skip_invalid=False
    )
    listed = _bank(admin, bank.id)
    assert (listed.total, listed.by_section) == (4, {"PU": 2, "PK": 1, "PM": 1})
    assert (listed.reviewed, listed.is_reviewed, listed.is_calibrated) == (0, False, False)
    assert listed.description == "Dari MGMP" and listed.source == "official_utbk"


def test_import_with_bad_rows_reports_line_numbers_and_saves_nothing(engine: Engine) -> None:
    admin, *_ = _users()
    bank = bank_admin.create_bank(actor=admin, name="Impor")
    result = bank_admin.import_into_bank(
        actor=admin, bank_id=bank.id, filename="soal.csv", data=BAD_CSV, skip_invalid=False
    )
    assert result.imported == 0
    assert [e.split(":")[0] for e in result.errors] == ["baris 5", "baris 6", "baris 7", "baris 8"]
    assert "section 'XX' tidak dikenal" in result.errors[0]
    assert "correct_answer harus A-E" in result.errors[1]
    assert "opsi jawaban yang sama" in result.errors[2]
    assert "difficulty harus di antara" in result.errors[3]
    assert _item_ids(admin, bank.id) == [] and _bank(admin, bank.id).total == 0

    skipped = bank_admin.import_into_bank(
        actor=admin, bank_id=bank.id, filename="soal.csv", data=BAD_CSV, skip_invalid=True
    )
    assert (skipped.imported, skipped.skipped, len(skipped.errors)) == (3, 4, 4)
    listed = _bank(admin, bank.id)
    assert (listed.total, listed.by_section) == (3, {"PU": 2, "PK": 1})
    page = bank_admin.list_items(actor=admin, bank_id=bank.id)
    assert "Soal dua baris\nbaris kedua" in [r.text for r in page.rows]
    # Importing the same file again: every good row is now a duplicate of the bank's items.
    again = bank_admin.import_into_bank(
        actor=admin, bank_id=bank.id, filename="soal.csv", data=BAD_CSV, skip_invalid=True
    )
    assert again.imported == 0 and len(again.errors) == 7


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("soal.json", b'[{"section": "PU", "text": "x",', "JSON rusak"),
        ("soal.json", b'{"section": "PU"}', "larik"),
        ("soal.csv", "section;text\nPU;Ä".encode("latin-1"), "UTF-8"),
        ("soal.csv", b"x" * (MAX_FILE_BYTES + 1), "terlalu besar"),
        ("soal.xlsx", b"PK\x03\x04", "tidak didukung"),
        ("soal.csv", b"section,text\nPU,x\n", "Kolom wajib"),
        ("soal.csv", b"", "kosong"),
        ("soal.csv", HEADER.encode(), "tidak berisi soal"),
        ("soal.json", b"[]", "tidak berisi soal"),
    ],
)
def test_unreadable_files_get_a_clear_message(
    engine: Engine, filename: str, data: bytes, message: str
) -> None:
    admin, *_ = _users()
    bank = bank_admin.create_bank(actor=admin, name="Rusak")
    with pytest.raises(InvalidInput, match=message):
        bank_admin.import_into_bank(
            actor=admin, bank_id=bank.id, filename=filename, data=data, skip_invalid=True
        )
    assert _bank(admin, bank.id).total == 0


def test_json_rows_are_reported_by_the_line_where_each_object_starts(engine: Engine) -> None:
    admin, *_ = _users()
    bank = bank_admin.create_bank(actor=admin, name="Json")
    good = {
        "section": "PBM",
        "text": "Ide pokok paragraf adalah ...",
        **{f"option_{x}": f"pilihan {x}" for x in "abcde"},
        "correct_answer": "C",
    }
    text = "[\n" + json.dumps(good) + ",\n" + json.dumps({**good, "sub_type": "x" * 51}) + "\n]"
    result = bank_admin.import_into_bank(
        actor=admin, bank_id=bank.id, filename="s.json", data=text.encode(), skip_invalid=False
    )
    assert result.errors == ("baris 3: terlalu panjang: sub_type (maks. 50)",)
    assert _bank(admin, bank.id).total == 0


def test_two_approvals_by_different_reviewers_make_an_item_reviewed(
    engine: Engine, session: Session
) -> None:
    admin1, admin2, *_ = _users()
    bank_id = _bank_with_items(admin1, n=1)
    (qid,) = _item_ids(admin1, bank_id)

    first = bank_admin.review_question(
        actor=admin1, question_id=qid, status="approved", notes="Jelas", aspects=("clarity",)
    )
    assert (first.detail.status, first.detail.approvals, first.detail.is_reviewed) == (
        "pending",
        1,
        False,
    )
    assert _item_ids(admin1, bank_id, status="pending") == [qid]
    second = bank_admin.review_question(actor=admin2, question_id=qid, status="approved")
    detail = second.detail
    assert (detail.status, detail.is_reviewed) == ("reviewed", True)
    assert (detail.reviewer_1_name, detail.reviewer_1_notes) == ("Bu Ani", "Jelas")
    assert (detail.reviewer_2_name, detail.reviewer_2_notes) == ("Pak Budi", "")
    assert [(h.reviewer_name, h.status) for h in detail.history] == [
        ("Bu Ani", "approved"),
        ("Pak Budi", "approved"),
    ]
    logs = session.exec(
        select(QuestionReviewLog).where(col(QuestionReviewLog.question_id) == qid)
    ).all()
    assert sorted((log.reviewer_id, log.reviewed_aspects) for log in logs) == sorted(
        [(admin1.id, "clarity"), (admin2.id, None)]
    )
    bank = _bank(admin1, bank_id)
    assert (bank.reviewed, bank.is_reviewed, bank.review_date is not None) == (1, True, True)
    # A third opinion on a reviewed item is logged but changes nothing.
    extra = bank_admin.review_question(actor=admin1, question_id=qid, status="approved")
    assert not extra.counted and extra.detail.is_reviewed and len(extra.detail.history) == 3


def test_the_same_reviewer_approving_twice_does_not_count_twice(engine: Engine) -> None:
    admin1, *_ = _users()
    bank_id = _bank_with_items(admin1, n=1)
    (qid,) = _item_ids(admin1, bank_id)
    bank_admin.review_question(actor=admin1, question_id=qid, status="approved")
    with pytest.raises(Conflict, match="reviewer lain"):
        bank_admin.review_question(actor=admin1, question_id=qid, status="approved")
    detail = bank_admin.get_question(actor=admin1, question_id=qid)
    assert (detail.is_reviewed, detail.approvals, len(detail.history)) == (False, 1, 1)
    assert not _bank(admin1, bank_id).is_reviewed


def test_needs_revision_and_rejection_reset_the_round(engine: Engine) -> None:
    admin1, admin2, *_ = _users()
    bank_id = _bank_with_items(admin1, n=1)
    (qid,) = _item_ids(admin1, bank_id)
    bank_admin.review_question(actor=admin1, question_id=qid, status="approved")
    with pytest.raises(InvalidInput, match="catatan"):
        bank_admin.review_question(actor=admin2, question_id=qid, status="needs_revision")
    revised = bank_admin.review_question(
        actor=admin2,
        question_id=qid,
        status="needs_revision",
        notes="Opsi C dan D mirip",
        revision_type="options",
    )
    assert (revised.detail.status, revised.detail.approvals) == ("draft", 0)
    assert revised.detail.history[-1].revision_type == "options"
    # The round starts again: admin1's earlier approval no longer counts, so admin1 may
    # approve again, and admin2's approval then completes the new round.
    bank_admin.review_question(actor=admin1, question_id=qid, status="approved")
    done = bank_admin.review_question(actor=admin2, question_id=qid, status="approved")
    assert done.detail.is_reviewed
    rejected = bank_admin.review_question(
        actor=admin1, question_id=qid, status="rejected", notes="Kunci salah"
    )
    assert (rejected.detail.is_reviewed, rejected.detail.reviewer_1_name) == (False, "")
    assert not _bank(admin1, bank_id).is_reviewed
    with pytest.raises(InvalidInput):
        bank_admin.review_question(actor=admin1, question_id=qid, status="maybe")


def _approve_all(admins: tuple[CurrentUser, CurrentUser], ids: list[int]) -> None:
    for qid in ids:
        for admin in admins:
            bank_admin.review_question(actor=admin, question_id=qid, status="approved")


def test_ambiguous_items_are_not_practice_candidates(engine: Engine, session: Session) -> None:
    admin1, admin2, _, siswa = _users()
    bank_id = _bank_with_items(admin1, n=3)
    ids = _item_ids(admin1, bank_id)
    _approve_all((admin1, admin2), ids)

    def candidates() -> set[int]:
        session.expire_all()
        rows = question_repo.list_cat_candidates(session=session, user_id=siswa.id, section="PU")
        return {c.question_id for c in rows}

    assert candidates() == set(ids)
    flagged = bank_admin.set_ambiguous(actor=admin1, question_id=ids[0], ambiguous=True)
    assert flagged.status == "ambiguous" and flagged.is_reviewed
    assert candidates() == set(ids[1:])
    assert _item_ids(admin1, bank_id, status="ambiguous") == [ids[0]]
    assert _bank(admin1, bank_id).ambiguous == 1
    bank_admin.set_ambiguous(actor=admin1, question_id=ids[0], ambiguous=False)
    assert candidates() == set(ids)


def test_soft_delete_and_restore(engine: Engine, session: Session) -> None:
    admin1, admin2, _, siswa = _users()
    bank_id = _bank_with_items(admin1, n=3)
    ids = _item_ids(admin1, bank_id)
    _approve_all((admin1, admin2), ids[:2])
    assert not _bank(admin1, bank_id).is_reviewed

    # Deleting the only unreviewed item leaves a bank whose live items are all reviewed.
    deleted = bank_admin.delete_question(actor=admin1, question_id=ids[2])
    assert deleted.is_deleted and deleted.status == "deleted"
    bank = _bank(admin1, bank_id)
    assert (bank.total, bank.deleted, bank.is_reviewed) == (2, 1, True)
    assert _item_ids(admin1, bank_id) == ids[:2]
    assert _item_ids(admin1, bank_id, status="deleted") == [ids[2]]
    with pytest.raises(InvalidInput, match="pulihkan"):
        bank_admin.review_question(actor=admin1, question_id=ids[2], status="approved")

    bank_admin.delete_question(actor=admin1, question_id=ids[0])
    rows = question_repo.list_cat_candidates(session=session, user_id=siswa.id, section="PU")
    assert {c.question_id for c in rows} == {ids[1]}

    restored = bank_admin.restore_question(actor=admin1, question_id=ids[2])
    assert not restored.is_deleted and restored.status == "draft"
    bank = _bank(admin1, bank_id)
    assert (bank.total, bank.deleted, bank.is_reviewed) == (2, 1, False)

    # A copy imported while the original was deleted blocks restoring the original.
    csv = (HEADER + _row(1)).encode()
    bank_admin.import_into_bank(
        actor=admin1, bank_id=bank_id, filename="s.csv", data=csv, skip_invalid=False
    )
    with pytest.raises(Conflict, match="sudah ada"):
        bank_admin.restore_question(actor=admin1, question_id=ids[0])
    with pytest.raises(NotFound):
        bank_admin.delete_question(actor=admin1, question_id=999_999)


def _form(detail: bank_admin.QuestionDetail, **changes: str) -> dict[str, str]:
    return {**detail.fields, **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"correct_answer": "F"}, "correct_answer harus A-E"),
        ({"option_c": "  "}, "kolom wajib kosong: option_c"),
        ({"option_b": "A1"}, "opsi jawaban yang sama"),
        ({"section": "XYZ"}, "section 'XYZ' tidak dikenal"),
        ({"difficulty": "mudah"}, "difficulty harus berupa angka"),
        ({"guessing": "0.7"}, "guessing harus di antara"),
        ({"option_e": "e" * 501}, "lebih dari 500 karakter"),
        ({"text": ""}, "kolom wajib kosong: text"),
    ],
)
def test_the_editor_applies_the_import_rules(
    engine: Engine, changes: dict[str, str], message: str
) -> None:
    admin1, *_ = _users()
    bank_id = _bank_with_items(admin1, n=1)
    (qid,) = _item_ids(admin1, bank_id)
    detail = bank_admin.get_question(actor=admin1, question_id=qid)
    with pytest.raises(InvalidInput, match=message):
        bank_admin.save_question(actor=admin1, question_id=qid, form=_form(detail, **changes))
    assert bank_admin.get_question(actor=admin1, question_id=qid).fields == detail.fields


def test_saving_a_substantive_change_voids_the_reviews(engine: Engine) -> None:
    admin1, admin2, guru, _ = _users()
    bank_id = _bank_with_items(admin1, n=2)
    qid, other = _item_ids(admin1, bank_id)
    _approve_all((admin1, admin2), [qid])
    detail = bank_admin.get_question(actor=admin1, question_id=qid)
    assert detail.fields["difficulty"] == "0.1"

    same = bank_admin.save_question(actor=admin1, question_id=qid, form=_form(detail))
    assert (same.changed, same.review_reset, same.detail.is_reviewed) == (False, False, True)
    light = bank_admin.save_question(
        actor=admin1,
        question_id=qid,
        form=_form(detail, strategy_tip="Coret opsi yang mustahil", difficulty="0.75"),
    )
    assert (light.changed, light.review_reset, light.detail.is_reviewed) == (True, False, True)
    assert light.detail.fields["difficulty"] == "0.75"

    heavy = bank_admin.save_question(
        actor=admin1,
        question_id=qid,
        form=_form(light.detail, text="Soal nomor 1 (diperbaiki)", section="PK"),
    )
    assert (heavy.changed, heavy.review_reset) == (True, True)
    assert (heavy.detail.status, heavy.detail.approvals, heavy.detail.reviewer_1_name) == (
        "draft",
        0,
        "",
    )
    bank = _bank(admin1, bank_id)
    assert (bank.by_section, bank.reviewed) == ({"PU": 1, "PK": 1}, 0)

    # Turning an item into a copy of another item of the bank is refused.
    twin = bank_admin.get_question(actor=admin1, question_id=other)
    copy = {k: twin.fields[k] for k in ("text", "option_a", "option_b", "option_c")}
    copy |= {"option_d": twin.fields["option_d"].upper(), "option_e": twin.fields["option_e"]}
    with pytest.raises(Conflict, match=f"soal #{other}"):
        bank_admin.save_question(actor=admin1, question_id=qid, form=_form(heavy.detail, **copy))

    bank_admin.delete_question(actor=admin1, question_id=qid)
    with pytest.raises(InvalidInput, match="pulihkan"):
        bank_admin.save_question(actor=admin1, question_id=qid, form=_form(heavy.detail))
    with pytest.raises(PermissionDenied):
        bank_admin.save_question(actor=guru, question_id=qid, form=_form(heavy.detail))


def test_every_admin_bank_function_refuses_other_roles(engine: Engine) -> None:
    admin1, _, guru, siswa = _users()
    bank_id = _bank_with_items(admin1, n=1)
    (qid,) = _item_ids(admin1, bank_id)
    calls = [
        lambda a: bank_admin.list_sections(actor=a),
        lambda a: bank_admin.list_items(actor=a, bank_id=bank_id),
        lambda a: bank_admin.import_into_bank(
            actor=a, bank_id=bank_id, filename="x.csv", data=b"", skip_invalid=False
        ),
        lambda a: bank_admin.get_question(actor=a, question_id=qid),
        lambda a: bank_admin.review_question(actor=a, question_id=qid, status="approved"),
        lambda a: bank_admin.set_ambiguous(actor=a, question_id=qid, ambiguous=True),
        lambda a: bank_admin.delete_question(actor=a, question_id=qid),
        lambda a: bank_admin.restore_question(actor=a, question_id=qid),
        lambda a: bank_admin.review_queue(actor=a, bank_id=bank_id),
        lambda a: bank_admin.next_in_queue(actor=a, bank_id=bank_id, after_question_id=qid),
        lambda a: bank_admin.approve_many(actor=a, question_ids=[qid]),
    ]
    for actor in (guru, siswa):
        for call in calls:
            with pytest.raises(PermissionDenied):
                call(actor)
    assert bank_admin.get_question(actor=admin1, question_id=qid).history == ()


def test_the_cli_importer_finds_a_bank_regardless_of_case(engine: Engine) -> None:
    admin1, *_ = _users()
    bank = bank_admin.create_bank(actor=admin1, name="Tryout Oktober")
    report = import_bank(
        filename="s.csv", data=(HEADER + _row(1)).encode(), bank_name="tryout oktober"
    )
    assert report.imported == 1
    assert [b.name for b in bank_admin.list_banks(actor=admin1)] == ["Tryout Oktober"]
    assert _bank(admin1, bank.id).total == 1


def test_the_download_template_imports_as_is(engine: Engine, session: Session) -> None:
    """The template the page offers is built from the importer's columns: it must import
    cleanly, every column present, and no value mangled by the export formula guard."""
    admin1, *_ = _users()
    text = bank_import.csv_template()
    header = text.lstrip("\ufeff").splitlines()[0].split(",")
    assert tuple(header) == bank_import.COLUMNS
    assert "'-" not in text  # the negative difficulty is a number, not guarded text
    bank = bank_admin.create_bank(actor=admin1, name="Templat")
    result = bank_admin.import_into_bank(
        actor=admin1,
        bank_id=bank.id,
        filename=bank_import.TEMPLATE_FILENAME,
        data=text.encode("utf-8"),
        skip_invalid=False,
    )
    assert result.ok and result.imported == 2
    stored = session.exec(
        select(Question.difficulty_irt).where(col(Question.question_bank_id) == bank.id)
    ).all()
    assert sorted(stored) == [-1.0, 0.0]


def test_every_missing_and_unknown_column_is_named_at_once(engine: Engine) -> None:
    admin1, *_ = _users()
    bank = bank_admin.create_bank(actor=admin1, name="Kolom")
    data = b"section,text,optin_a,option_b,option_c,option_d\nPU,x,a,b,c,d\n"
    with pytest.raises(InvalidInput) as caught:
        bank_admin.import_into_bank(
            actor=admin1, bank_id=bank.id, filename="s.csv", data=data, skip_invalid=False
        )
    message = caught.value.message
    assert "Kolom wajib tidak ada di baris judul: option_a, option_e, correct_answer." in message
    assert "Kolom tidak dikenal: optin_a." in message


def test_the_review_queue_holds_what_this_admin_may_approve(engine: Engine) -> None:
    admin1, admin2, *_ = _users()
    bank_id = _bank_with_items(admin1, n=4)
    q1, q2, q3, q4 = _item_ids(admin1, bank_id)
    bank_admin.review_question(actor=admin1, question_id=q1, status="approved")
    bank_admin.review_question(actor=admin2, question_id=q2, status="approved")
    bank_admin.set_ambiguous(actor=admin1, question_id=q4, ambiguous=True)
    # admin1 gave q1 its first approval: not hers to finish; q4 is ambiguous.
    assert bank_admin.review_queue(actor=admin1, bank_id=bank_id).question_ids == (q2, q3)
    assert bank_admin.review_queue(actor=admin2, bank_id=bank_id).question_ids == (q1, q3)
    assert bank_admin.next_in_queue(actor=admin1, bank_id=bank_id, after_question_id=q2) == q3
    # It wraps round to the oldest, and ends when nothing else is left.
    assert bank_admin.next_in_queue(actor=admin1, bank_id=bank_id, after_question_id=q3) == q2
    detail = bank_admin.get_question(actor=admin1, question_id=q1)
    assert detail.approval_refusal == bank_admin.SAME_REVIEWER
    assert bank_admin.get_question(actor=admin2, question_id=q1).approval_refusal == ""
    rows = {r.question_id: r for r in bank_admin.list_items(actor=admin1, bank_id=bank_id).rows}
    assert rows[q1].approval_refusal == bank_admin.SAME_REVIEWER
    assert rows[q2].approval_refusal == rows[q3].approval_refusal == ""
    bank_admin.review_question(actor=admin2, question_id=q1, status="approved")
    bank_admin.review_question(actor=admin1, question_id=q2, status="approved")
    bank_admin.review_question(actor=admin1, question_id=q3, status="approved")
    assert bank_admin.review_queue(actor=admin1, bank_id=bank_id).count == 0
    assert bank_admin.next_in_queue(actor=admin1, bank_id=bank_id, after_question_id=q3) is None
    assert bank_admin.review_queue(actor=admin2, bank_id=bank_id).question_ids == (q3,)
    with pytest.raises(NotFound):
        bank_admin.review_queue(actor=admin1, bank_id=bank_id + 99)


def test_bulk_approval_follows_the_single_approval_rules(engine: Engine, session: Session) -> None:
    admin1, admin2, *_ = _users()
    bank_id = _bank_with_items(admin1, n=5)
    q1, q2, q3, q4, q5 = _item_ids(admin1, bank_id)
    first = bank_admin.approve_many(actor=admin1, question_ids=[q1, q2, q3, q4])
    assert (first.approved, first.completed, first.refused) == ((q1, q2, q3, q4), (), ())
    bank_admin.delete_question(actor=admin1, question_id=q4)
    bank_admin.review_question(actor=admin2, question_id=q5, status="approved")
    # admin1 may not finish her own first approvals; admin2 finishes them.
    again = bank_admin.approve_many(actor=admin1, question_ids=[q1, q5])
    assert again.approved == (q5,) and again.completed == (q5,)
    assert again.refused == ((q1, bank_admin.SAME_REVIEWER),)
    second = bank_admin.approve_many(actor=admin2, question_ids=[q1, q2, q3, q4, q5, 10**6])
    assert (second.approved, second.completed) == ((q1, q2, q3), (q1, q2, q3))
    assert [qid for qid, _ in second.refused] == [q4, q5, 10**6]
    assert "dihapus" in second.refused[0][1] and "sudah disetujui" in second.refused[1][1]
    detail = bank_admin.get_question(actor=admin1, question_id=q1)
    assert (detail.reviewer_1_name, detail.reviewer_2_name, detail.is_reviewed) == (
        "Bu Ani",
        "Pak Budi",
        True,
    )
    assert [(h.reviewer_name, h.status) for h in detail.history] == [
        ("Bu Ani", "approved"),
        ("Pak Budi", "approved"),
    ]
    bank = _bank(admin1, bank_id)
    assert (bank.reviewed, bank.total, bank.is_reviewed) == (4, 4, True)
    with pytest.raises(InvalidInput, match="Pilih"):
        bank_admin.approve_many(actor=admin1, question_ids=[])
    with pytest.raises(InvalidInput, match="Paling banyak"):
        bank_admin.approve_many(actor=admin1, question_ids=list(range(1, bank_admin.MAX_BULK + 2)))
