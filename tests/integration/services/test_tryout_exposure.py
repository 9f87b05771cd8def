"""Tryout forms are exposure-controlled (issue 11): each new sitting of a blueprint draws
the items least used by its earlier sittings, on both databases."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, tryout
from tests.integration.services.test_tryout import school  # noqa: F401  (fixture)


def test_sittings_use_the_bank_round_by_round(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    # The Mini blueprint: PU 4 of 12 items (2 topics), PK 3 of 9 items (3 topics).
    for n in range(1, 4):
        student = auth.create_user(username=f"siswa{n:02d}", password="kata-sandi-1", role="siswa")
        tryout.start_tryout(actor=student, blueprint_id=school)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT s.section, i.question_id FROM tryout_items i JOIN "
                "tryout_sitting_sections s ON s.sitting_id = i.sitting_id "
                "AND s.position = i.position"
            )
        ).all()
    uses = Counter((section, question) for section, question in rows)
    # Three sittings: every PU and PK item used exactly once, none twice.
    assert sorted(uses.values()) == [1] * (12 + 9)
