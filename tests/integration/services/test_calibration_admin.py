"""The admin page's calibration: run (kept as the bank's pending run), apply selected, refuse."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.engine.irt import probability
from nexus_app.services import auth, calibration
from nexus_app.services.auth import CurrentUser
from nexus_app.services.bank_import import import_bank
from nexus_app.services.calibration import CalibrationProgress
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied

TRUE_B = np.linspace(-1.5, 1.5, 8)
BANK = "Kalibrasi Admin"


def _seed(engine: Engine, persons: int, *, answered_items: int = 6) -> tuple[int, list[int]]:
    """A bank of 8 items (a=1, b=0, c=0.2 as imported); `persons` students answer the
    first `answered_items` from a 3PL with spread difficulties. Returns (bank id, item ids)."""
    header = "section,text,option_a,option_b,option_c,option_d,option_e,correct_answer,difficulty"
    rows = [header] + [f"PU,Soal {j}?,p,q,r,s,t,A,0.0" for j in range(8)]
    assert import_bank(filename="k.csv", data=("\n".join(rows) + "\n").encode(), bank_name=BANK).ok
    rng = np.random.default_rng(11)
    with engine.begin() as conn:
        bank_id = conn.execute(sa.text("SELECT id FROM question_banks")).scalar_one()
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM questions ORDER BY id"))]
        if persons:
            conn.execute(
                sa.text(
                    "INSERT INTO users (username, password_hash, role) VALUES (:u, 'x', 'siswa')"
                ),
                [{"u": f"murid{i}"} for i in range(persons)],
            )
        users = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT id FROM users WHERE username LIKE 'murid%' ORDER BY id")
            )
        ]
        theta = rng.normal(0, 1, persons)
        attempts = []
        for i, user in enumerate(users):
            for j, qid in enumerate(ids[:answered_items]):
                p = float(probability(theta[i], 1.3, TRUE_B[j], 0.15))
                attempts.append({"u": user, "q": qid, "ok": bool(rng.random() < p)})
        if attempts:
            conn.execute(
                sa.text(
                    "INSERT INTO attempts (user_id, question_id, selected_answer, is_correct, "
                    "time_spent_seconds) VALUES (:u, :q, 'A', :ok, 30)"
                ),
                attempts,
            )
    return int(bank_id), [int(i) for i in ids]


def _admin() -> CurrentUser:
    return auth.create_user(username="admin1", password="kata-sandi-1", role="admin")


def _params(engine: Engine) -> dict[int, tuple[float, float, float]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, discrimination, difficulty_irt, guessing_param FROM questions")
        ).all()
    return {int(r[0]): (float(r[1]), float(r[2]), float(r[3])) for r in rows}


def _bank_fields(engine: Engine) -> tuple[bool, object, int | None]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT is_calibrated, calibration_date, calibration_sample_size "
                "FROM question_banks"
            )
        ).one()
    return bool(row[0]), row[1], row[2]


def test_run_reports_old_new_and_fit_and_is_kept(engine: Engine) -> None:
    admin = _admin()
    bank_id, ids = _seed(engine, persons=400)
    data = calibration.bank_data(actor=admin, bank_id=bank_id)
    assert (data.students, data.first_responses, data.items_ready) == (400, 2400, 6)
    assert data.enough and data.bank.live_items == 8 and not data.bank.is_calibrated

    seen: list[CalibrationProgress] = []
    run = calibration.run_calibration(actor=admin, bank_id=bank_id, progress=seen.append)
    assert (run.persons, run.responses, run.estimated) == (400, 2400, 6)
    assert run.created_by == "admin1" and run.bank_name == BANK
    free = [i for i in run.items if not i.held_fixed]
    held = [i for i in run.items if i.held_fixed]
    assert [i.question_id for i in free] == ids[:6] and [i.question_id for i in held] == ids[6:]
    for item in free:
        assert item.old == (1.0, 0.0, 0.2) and item.new != item.old
        assert item.n_responses == 400
        assert all(math.isfinite(s) and s > 0 for s in item.se)
        assert 0.5 < item.infit < 1.5 and 0.5 < item.outfit < 2.0
        assert math.isfinite(item.chi2_p)  # 400 answers: enough for the grouped chi-square
        assert item.change[1] == pytest.approx(item.new[1] - item.old[1])
    assert np.corrcoef([i.new[1] for i in free], TRUE_B[:6])[0, 1] > 0.95
    for item in held:
        assert item.new == item.old and item.n_responses == 0
        assert all(math.isnan(s) for s in item.se) and not item.misfit

    # Progress: collecting, EM iterations, the finishing step, then done at 100%.
    stages = [p.stage for p in seen]
    assert stages[0] == "data" and "em" in stages and stages[-2:] == ["finish", "done"]
    percents = [p.percent for p in seen]
    assert percents == sorted(percents) and percents[-1] == 100

    # Nothing written yet, and the run survives (a reload, another worker) until applied.
    assert set(_params(engine).values()) == {(1.0, 0.0, 0.2)}
    kept = calibration.latest_calibration(actor=admin, bank_id=bank_id)
    assert kept is not None and kept.run_id == run.run_id
    assert [(i.question_id, i.new, i.held_fixed) for i in kept.items] == [
        (i.question_id, i.new, i.held_fixed) for i in run.items
    ]
    assert kept.items[0].se == run.items[0].se and math.isnan(kept.items[-1].se[0])


def test_apply_writes_only_the_selected_items_and_marks_the_bank(engine: Engine) -> None:
    admin = _admin()
    bank_id, ids = _seed(engine, persons=400)
    run = calibration.run_calibration(actor=admin, bank_id=bank_id)
    chosen = {ids[0], ids[3]}
    result = calibration.apply_calibration(
        actor=admin, bank_id=bank_id, run_id=run.run_id, question_ids=chosen
    )
    assert result.applied_count == 2 and result.sample_size == 2400 and result.bank_name == BANK
    by_id = {i.question_id: i for i in run.items}
    params = _params(engine)
    for qid in ids:
        expected = by_id[qid].new if qid in chosen else (1.0, 0.0, 0.2)
        assert params[qid] == pytest.approx(expected, abs=1e-9)
    calibrated, when, sample = _bank_fields(engine)
    assert calibrated and sample == 2400
    assert str(when) == result.calibration_date.isoformat()
    # The proposal is used up: gone from the page, and it cannot be applied twice.
    assert calibration.latest_calibration(actor=admin, bank_id=bank_id) is None
    with pytest.raises(Conflict):
        calibration.apply_calibration(
            actor=admin, bank_id=bank_id, run_id=run.run_id, question_ids={ids[1]}
        )
    assert _params(engine)[ids[1]] == (1.0, 0.0, 0.2)


def test_apply_refuses_bad_selections_and_stale_items(engine: Engine) -> None:
    admin = _admin()
    bank_id, ids = _seed(engine, persons=400)
    run = calibration.run_calibration(actor=admin, bank_id=bank_id)
    with pytest.raises(InvalidInput, match="Pilih minimal satu soal"):
        calibration.apply_calibration(
            actor=admin, bank_id=bank_id, run_id=run.run_id, question_ids=[]
        )
    with pytest.raises(InvalidInput, match="tidak diestimasi"):  # a held item
        calibration.apply_calibration(
            actor=admin, bank_id=bank_id, run_id=run.run_id, question_ids=[ids[0], ids[7]]
        )
    with pytest.raises(Conflict, match="tidak berlaku"):
        calibration.apply_calibration(
            actor=admin, bank_id=bank_id, run_id="another-run", question_ids=[ids[0]]
        )
    # Someone edits an item after the run: applying it must not overwrite that edit.
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE questions SET difficulty_irt = 1.25 WHERE id = :q"), {"q": ids[2]}
        )
    with pytest.raises(Conflict, match=f"#{ids[2]}"):
        calibration.apply_calibration(
            actor=admin, bank_id=bank_id, run_id=run.run_id, question_ids=[ids[1], ids[2]]
        )
    params = _params(engine)
    assert params[ids[1]] == (1.0, 0.0, 0.2) and params[ids[2]] == (1.0, 1.25, 0.2)
    assert _bank_fields(engine) == (False, None, None)
    # Refusals keep the proposal; discarding drops it and writes nothing.
    assert calibration.latest_calibration(actor=admin, bank_id=bank_id) is not None
    calibration.discard_calibration(actor=admin, bank_id=bank_id)
    assert calibration.latest_calibration(actor=admin, bank_id=bank_id) is None
    assert _bank_fields(engine) == (False, None, None)


def test_too_few_answers_is_refused_and_changes_nothing(engine: Engine) -> None:
    admin = _admin()
    bank_id, _ = _seed(engine, persons=20)
    data = calibration.bank_data(actor=admin, bank_id=bank_id)
    assert data.items_ready == 0 and not data.enough
    with pytest.raises(InvalidInput, match="Belum cukup jawaban") as refused:
        calibration.run_calibration(actor=admin, bank_id=bank_id)
    assert "Tidak ada yang diubah" in refused.value.message
    assert calibration.latest_calibration(actor=admin, bank_id=bank_id) is None
    assert set(_params(engine).values()) == {(1.0, 0.0, 0.2)}
    assert _bank_fields(engine) == (False, None, None)
    # With a lower (allowed) minimum, 20 answers per item are enough to try.
    assert calibration.bank_data(actor=admin, bank_id=bank_id, min_responses=20).enough
    with pytest.raises(InvalidInput, match="antara 10"):
        calibration.run_calibration(actor=admin, bank_id=bank_id, min_responses=5)
    with pytest.raises(NotFound):
        calibration.run_calibration(actor=admin, bank_id=bank_id + 99)


def test_other_roles_are_refused(engine: Engine) -> None:
    bank_id, ids = _seed(engine, persons=0)
    guru = auth.create_user(username="guru1", password="kata-sandi-1", role="guru")
    siswa = auth.create_user(username="siswa1", password="kata-sandi-1", role="siswa")
    for actor in (guru, siswa):
        calls = [
            lambda a=actor: calibration.list_banks(actor=a),
            lambda a=actor: calibration.bank_data(actor=a, bank_id=bank_id),
            lambda a=actor: calibration.run_calibration(actor=a, bank_id=bank_id),
            lambda a=actor: calibration.latest_calibration(actor=a, bank_id=bank_id),
            lambda a=actor: calibration.discard_calibration(actor=a, bank_id=bank_id),
            lambda a=actor: calibration.apply_calibration(
                actor=a, bank_id=bank_id, run_id="x", question_ids=ids
            ),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()


def test_progress_counts_the_answers_read(engine: Engine) -> None:
    admin = _admin()
    bank_id, _ = _seed(engine, persons=60)
    seen: list[CalibrationProgress] = []
    calibration.run_calibration(
        actor=admin, bank_id=bank_id, min_responses=10, progress=seen.append
    )
    data = [p.message for p in seen if p.stage == "data"]
    assert "Mengumpulkan jawaban siswa… 360 jawaban terbaca" in data
    assert data[-1] == "360 jawaban pertama dari 60 siswa terbaca; memulai EM…"
