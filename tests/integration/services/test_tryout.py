"""The full tryout against real SQLite and PostgreSQL: blueprints, forms, deadlines, scores,
review and standing."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.engine import form, readiness
from nexus_app.engine.irt import item_params
from nexus_app.models import utcnow
from nexus_app.services import auth, tryout
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied
from nexus_app.services.tryout import results as results_module
from nexus_app.services.tryout import sitting as sitting_module
from tests.integration.services.test_practice import _bank_csv

TINY = b"order,section,items,minutes\n1,PU,4,2\n2,PK,3,1.5\n"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(sitting_module, "utcnow", fake)
    monkeypatch.setattr(results_module, "utcnow", fake)
    return fake


@pytest.fixture
def school(engine: Engine) -> int:
    """Items for PU (two topics) and PK (three topics), and the tiny blueprint's id."""
    for section, n, topics in (("PU", 12, ("induktif", "deduktif")), ("PK", 9, ("a", "b", "c"))):
        report = import_bank(
            filename="b.csv",
            data=_bank_csv(section, n, topics),
            bank_name=f"Uji {section}",
            mark_reviewed_by=["Bu Ani", "Pak Budi"],
        )
        assert report.ok
    report = tryout.import_blueprint(data=TINY, name="Mini")
    assert report.ok and report.sections == 2
    return next(b.id for b in tryout.list_blueprints() if b.name == "Mini")


def _score_with_none_right(engine: Engine, sitting_id: str, *, position: int) -> int:
    """The score the section's own form gives when no answer is right."""
    with engine.connect() as conn:
        params = conn.execute(
            sa.text(
                "SELECT q.discrimination, q.difficulty_irt, q.guessing_param FROM tryout_items i "
                "JOIN questions q ON q.id = i.question_id "
                "WHERE i.sitting_id = :sitting AND i.position = :position"
            ),
            {"sitting": sitting_id, "position": position},
        ).all()
    responses = [(*item_params(a, b, c), False) for a, b, c in params]
    theta, _ = form.score_form(responses)
    return round(readiness.theta_to_score(theta))


def _student(name: str = "siswa01") -> auth.CurrentUser:
    return auth.create_user(username=name, password="kata-sandi-1", role="siswa")


def test_the_default_blueprint_follows_snbt_and_imports_validate_by_line(engine: Engine) -> None:
    blueprints = tryout.list_blueprints()
    assert [b.name for b in blueprints] == [tryout.DEFAULT_NAME]
    default = blueprints[0]
    assert [s.section for s in default.sections] == ["PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM"]
    assert default.total_items == 160 and default.total_minutes == 195
    bad = b"order,section,items,minutes\n1,PU,4,2\n1,PK,3,1\n2,XX,3,1\n3,PM,0,1\n4,LBI,2,-1\n"
    report = tryout.import_blueprint(data=bad, name="Rusak")
    assert [str(e) for e in report.errors] == [
        "baris 3: order 1 sudah dipakai di baris 2",
        "baris 4: subtes 'XX' tidak dikenal (LBE, LBI, PBM, PK, PM, PPU, PU)",
        "baris 5: items harus di antara 1 dan 200 (tertulis 0)",
        "baris 6: minutes harus lebih dari 0 dan paling banyak 300",
    ]
    assert [b.name for b in tryout.list_blueprints()] == [tryout.DEFAULT_NAME]
    with pytest.raises(InvalidInput, match="Kolom wajib"):
        tryout.import_blueprint(data=b"order,section,items\n1,PU,3\n", name="X")
    # Re-importing a name replaces its sections; order values may have gaps.
    assert tryout.import_blueprint(
        data=b"order,section,items,minutes\n5,PK,2,3\n2,PU,3,4\n", name="X"
    ).ok
    again = tryout.import_blueprint(data=b"order,section,items,minutes\n1,PM,2,3\n", name="X")
    assert again.ok
    x = next(b for b in tryout.list_blueprints() if b.name == "X")
    assert [(s.position, s.section) for s in x.sections] == [(1, "PM")]


def test_forms_are_balanced_never_repeat_and_differ_between_students(
    engine: Engine, school: int, clock: Clock
) -> None:
    first = tryout.start_tryout(actor=_student("siswa01"), blueprint_id=school)
    second = tryout.start_tryout(actor=_student("siswa02"), blueprint_id=school)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.sitting_id, i.position, i.number, q.id, q.sub_type FROM tryout_items i "
                "JOIN questions q ON q.id = i.question_id ORDER BY i.position, i.number"
            )
        ).all()
    forms: dict[str, list[int]] = {}
    for sitting_id, position, _, qid, sub_type in rows:
        forms.setdefault(sitting_id, []).append(qid)
        if position == 1:
            assert sub_type in ("induktif", "deduktif")
    for sitting_id in (first.sitting_id, second.sitting_id):
        assert len(forms[sitting_id]) == 7 == len(set(forms[sitting_id]))
        pu = Counter(r.sub_type for r in rows if r.sitting_id == sitting_id and r.position == 1)
        assert sorted(pu.values()) == [2, 2]  # 4 items over two topics
    assert forms[first.sitting_id] != forms[second.sitting_id]


def test_sitting_resumes_refuses_late_answers_and_times_out_into_the_next_section(
    engine: Engine, school: int, clock: Clock
) -> None:
    student = _student()
    view = tryout.start_tryout(actor=student, blueprint_id=school)
    assert (view.position, view.section, view.seconds_left) == (1, "PU", 120)
    assert [c.status for c in view.cells] == ["unanswered"] * 4
    item = tryout.show_item(actor=student, sitting_id=view.sitting_id, position=1, number=2)
    assert len(item.options) == 5 and item.answer == ""
    view = tryout.answer_item(
        actor=student, sitting_id=view.sitting_id, position=1, number=2, answer="b"
    )
    view = tryout.answer_item(
        actor=student, sitting_id=view.sitting_id, position=1, number=2, answer="C"
    )  # changed
    view = tryout.mark_doubt(
        actor=student, sitting_id=view.sitting_id, position=1, number=3, doubt=True
    )
    assert [c.status for c in view.cells] == ["unanswered", "answered", "doubt", "unanswered"]
    # A reload 50 s later (another tab, a new connection) sees the real time left.
    clock.advance(seconds=50)
    again = tryout.current_sitting(actor=student)
    assert again is not None and again.seconds_left == 70 and again.section == "PU"
    assert tryout.start_tryout(actor=student, blueprint_id=school).sitting_id == view.sitting_id
    # Past the deadline: PU is over, PK started at PU's deadline, PU answers are refused.
    clock.advance(seconds=80)
    with pytest.raises(InvalidInput, match="Waktu subtes"):
        tryout.answer_item(
            actor=student, sitting_id=view.sitting_id, position=1, number=1, answer="B"
        )
    now_pk = tryout.current_sitting(actor=student)
    assert now_pk is not None and now_pk.section == "PK" and now_pk.seconds_left == 80
    with pytest.raises(InvalidInput):  # no way back
        tryout.show_item(actor=student, sitting_id=view.sitting_id, position=1, number=1)
    with pytest.raises(InvalidInput, match="setelah seluruh tryout"):
        tryout.tryout_result(actor=student, sitting_id=view.sitting_id)
    # Ending PK early finishes the tryout.
    tryout.answer_item(actor=student, sitting_id=view.sitting_id, position=2, number=1, answer="B")
    assert tryout.end_section(actor=student, sitting_id=view.sitting_id, position=2) is None
    assert tryout.current_sitting(actor=student) is None
    result = tryout.tryout_result(actor=student)
    assert result is not None and result.sitting_id == view.sitting_id
    pu, pk = result.sections
    assert (pu.section, pu.minutes_used, pu.correct) == ("PU", 2.0, 0)  # C is wrong
    # PK started at PU's deadline, 10 s before the student came back.
    assert (pk.section, pk.correct, pk.minutes_used) == ("PK", 1, 0.2)
    assert pu.low <= pu.score <= pu.high
    # One right answer scores above none on the same form. (Not above PU's 0 of 4: the
    # forms differ, and an easy PK form once scored 1 of 3 just under it in CI.)
    assert pk.score > _score_with_none_right(engine, view.sitting_id, position=2)
    assert abs(result.total - (pu.score + pk.score) / 2) <= 1
    assert len(result.review) == 7
    reviewed = next(r for r in result.review if r.section == "PU" and r.number == 2)
    assert (reviewed.key, reviewed.choice, reviewed.is_correct) == ("B", "C", False)
    assert reviewed.explanation == "Karena B."
    assert not result.standing.shown and result.standing.sitters == 1


def test_a_sitting_left_alone_finishes_itself(engine: Engine, school: int, clock: Clock) -> None:
    student = _student()
    view = tryout.start_tryout(actor=student, blueprint_id=school)
    clock.advance(minutes=10)
    assert tryout.current_sitting(actor=student) is None
    result = tryout.tryout_result(actor=student)
    assert result is not None and result.sitting_id == view.sitting_id
    assert [s.minutes_used for s in result.sections] == [2.0, 1.5]


def test_standing_shows_from_ten_students_without_names(
    engine: Engine, school: int, clock: Clock
) -> None:
    students = [_student(f"siswa{i:02d}") for i in range(1, 11)]
    for i, student in enumerate(students):
        view = tryout.start_tryout(actor=student, blueprint_id=school)
        for number in range(1, 5):
            answer = "B" if number <= i % 5 else "A"
            tryout.answer_item(
                actor=student, sitting_id=view.sitting_id, position=1, number=number, answer=answer
            )
        tryout.end_section(actor=student, sitting_id=view.sitting_id, position=1)
        if i < 9:
            tryout.end_section(actor=student, sitting_id=view.sitting_id, position=2)
            result = tryout.tryout_result(actor=student)
            assert result is not None and not result.standing.shown
    tryout.end_section(actor=students[9], sitting_id=view.sitting_id, position=2)
    result = tryout.tryout_result(actor=students[9])
    assert result is not None and result.standing.shown and result.standing.sitters == 10
    assert result.standing.percentile is not None and 0 <= result.standing.percentile <= 100
    assert result.standing.rank is not None and 1 <= result.standing.rank <= 10
    assert set(result.standing.sections) == {"PU", "PK"}
    assert "siswa" not in repr(result.standing)


def test_only_students_and_only_their_own_sittings(
    engine: Engine, school: int, clock: Clock
) -> None:
    owner = _student("siswa01")
    other = _student("siswa02")
    guru = auth.create_user(username="guru01", password="kata-sandi-1", role="guru")
    view = tryout.start_tryout(actor=owner, blueprint_id=school)
    with pytest.raises(PermissionDenied):
        tryout.start_tryout(actor=guru, blueprint_id=school)
    with pytest.raises(NotFound):
        tryout.answer_item(
            actor=other, sitting_id=view.sitting_id, position=1, number=1, answer="B"
        )
    with pytest.raises(NotFound):
        tryout.tryout_result(actor=other, sitting_id=view.sitting_id)
    with pytest.raises(InvalidInput, match="A–E"):
        tryout.answer_item(
            actor=owner, sitting_id=view.sitting_id, position=1, number=1, answer="F"
        )


def test_a_blueprint_the_bank_cannot_fill_is_refused(engine: Engine, school: int) -> None:
    default = next(b for b in tryout.list_blueprints() if b.name == tryout.DEFAULT_NAME)
    with pytest.raises(InvalidInput, match="PU \\(ada 12, perlu 30\\)"):
        tryout.start_tryout(actor=_student(), blueprint_id=default.id)


PTN_CSV = (
    "ptn,program,capacity,applicants,year,cutoff\n"
    "UI,Kedokteran,100,5000,2025,\n"
    "UI,Kedokteran,90,4000,2024,\n"
    "UI,Sastra Jawa,80,160,2025,\n"
    "UGM,Teknik Sipil,120,2400,2025,\n"
    "ITB,Matematika,60,600,2025,610\n"
    "UNPAD,Farmasi,70,1400,2025,\n"
)


def test_ptn_import_and_chances(engine: Engine, school: int, clock: Clock) -> None:
    bad = tryout.import_ptn(
        data=b"ptn,program,capacity,applicants,year\nUI,A,0,10,2025\nUI,B,5,10,20x\n"
        b"UI,C,5,10,2025\nUI,C,5,10,2025\n"
    )
    assert [str(e) for e in bad.errors] == [
        "baris 2: capacity harus di antara 1 dan 100000 (tertulis 0)",
        "baris 3: year harus bilangan bulat (tertulis '20x')",
        "baris 5: program ini untuk tahun itu sudah ada di baris 4",
    ]
    with pytest.raises(InvalidInput, match="Kolom wajib"):
        tryout.import_ptn(data=b"ptn,program\nUI,A\n")
    assert tryout.import_ptn(data=PTN_CSV.encode()).imported == 6
    assert tryout.import_ptn(data=PTN_CSV.encode()).imported == 6  # updates, no duplicates
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ptn_programs")).scalar() == 6

    student = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET target_ptn = 'ugm' WHERE username = 'siswa01'"))
    view = tryout.start_tryout(actor=student, blueprint_id=school)
    with pytest.raises(InvalidInput, match="setelah seluruh tryout"):
        tryout.tryout_chances(actor=student, sitting_id=view.sitting_id, program_id=1)
    for position in (1, 2):
        tryout.end_section(actor=student, sitting_id=view.sitting_id, position=position)
    result = tryout.tryout_result(actor=student)
    assert result is not None and result.total_se > 0
    labels = dict(result.program_choices)
    assert len(labels) == 5  # UI Kedokteran once, its newest year
    assert labels[result.default_program_id] == "UGM · Teknik Sipil"  # the target PTN
    chances = tryout.tryout_chances(
        actor=student, sitting_id=view.sitting_id, program_id=result.default_program_id
    )
    names = [f"{c.ptn} {c.program}" for c in chances]
    # Target first, then the next lower cut-offs (safer), then higher ones to fill three.
    assert names[0] == "UGM Teknik Sipil" and len(names) == 4
    cutoffs = [c.cutoff for c in chances]
    assert cutoffs[1] <= cutoffs[0] and all(0 <= c.chance <= 1 for c in chances)
    itb = next(c for c in chances if c.ptn == "ITB")
    assert itb.cutoff == 610 and itb.cutoff_given
    kedokteran = (
        next(c for c in chances if c.program == "Kedokteran")
        if any(c.program == "Kedokteran" for c in chances)
        else None
    )
    assert kedokteran is None or kedokteran.cutoff > cutoffs[0]
