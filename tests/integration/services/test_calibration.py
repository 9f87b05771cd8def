"""Calibration from recorded attempts, on both databases."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.engine.irt import probability
from nexus_app.services import auth
from nexus_app.services.bank_import import import_bank
from nexus_app.services.calibration import calibrate_bank
from nexus_app.services.errors import InvalidInput, NotFound

TRUE_B = np.linspace(-1.5, 1.5, 8)


def _seed_bank(engine: Engine, persons: int, *, answered_items: int = 8) -> None:
    header = "section,text,option_a,option_b,option_c,option_d,option_e,correct_answer,difficulty"
    rows = [header] + [f"PU,Soal {j}?,p,q,r,s,t,A,0.0" for j in range(8)]
    assert import_bank(
        filename="k.csv", data=("\n".join(rows) + "\n").encode(), bank_name="Kalibrasi"
    ).ok
    rng = np.random.default_rng(5)
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM questions ORDER BY id"))]
        conn.execute(
            sa.text("INSERT INTO users (username, password_hash, role) VALUES (:u, 'x', 'siswa')"),
            [{"u": f"s{i}"} for i in range(persons)],
        )
        users = [r[0] for r in conn.execute(sa.text("SELECT id FROM users ORDER BY id"))]
        theta = rng.normal(0, 1, persons)
        attempts = []
        for i, user in enumerate(users):
            for j, qid in enumerate(ids[:answered_items]):
                p = float(probability(theta[i], 1.3, TRUE_B[j], 0.15))
                attempts.append({"u": user, "q": qid, "ok": bool(rng.random() < p)})
        conn.execute(
            sa.text(
                "INSERT INTO attempts (user_id, question_id, selected_answer, is_correct, "
                "time_spent_seconds) VALUES (:u, :q, 'A', :ok, 30)"
            ),
            attempts,
        )


def test_report_then_apply(engine: Engine) -> None:
    _seed_bank(engine, persons=400, answered_items=6)
    report = calibrate_bank(bank_name="Kalibrasi")
    assert report.persons == 400 and report.responses == 2400 and not report.applied
    free = [i for i in report.items if not i.held_fixed]
    fixed = [i for i in report.items if i.held_fixed]
    assert len(free) == 6 and len(fixed) == 2  # two items nobody answered
    estimated_b = np.array([i.new[1] for i in free])
    assert np.corrcoef(estimated_b, TRUE_B[:6])[0, 1] > 0.95
    assert all(i.new == i.old for i in fixed)
    with engine.connect() as conn:  # report only: nothing written
        assert (
            conn.execute(
                sa.text("SELECT COUNT(*) FROM questions WHERE difficulty_irt != 0")
            ).scalar()
            == 0
        )
    applied = calibrate_bank(bank_name="Kalibrasi", apply=True)
    assert applied.applied_count == 6
    with engine.connect() as conn:
        bank = conn.execute(
            sa.text("SELECT is_calibrated, calibration_sample_size FROM question_banks")
        ).one()
        moved = conn.execute(
            sa.text("SELECT COUNT(*) FROM questions WHERE difficulty_irt != 0")
        ).scalar()
    assert bool(bank.is_calibrated) and bank.calibration_sample_size == 2400
    assert moved == 6


def test_too_few_answers_is_explained(engine: Engine) -> None:
    _seed_bank(engine, persons=10)
    with pytest.raises(InvalidInput, match="Belum cukup jawaban"):
        calibrate_bank(bank_name="Kalibrasi")


def test_unknown_bank(engine: Engine) -> None:
    auth.create_user(username="x1", password="kata-sandi-1", role="admin")
    with pytest.raises(NotFound):
        calibrate_bank(bank_name="Tidak ada")
