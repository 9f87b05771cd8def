"""Two tabs pressing "Mulai tryout" at the same instant make one sitting (issue 11).

Both threads pass a barrier and call start_tryout together; drawing the forms is slowed
down so that, without the per-student lock, both would find no open sitting and insert one
each. Run on both databases (PostgreSQL: a row lock; SQLite: the write lock)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.engine import form
from nexus_app.services import auth, tryout
from nexus_app.services.tryout import sitting as sitting_module
from tests.integration.services.test_tryout import school  # noqa: F401  (fixture)


def test_two_simultaneous_starts_make_one_sitting(
    engine: Engine,
    school: int,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    student = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    draw = form.draw_form

    def slow_draw(*args: object, **kwargs: object) -> list[int]:
        time.sleep(0.3)  # the window in which a second start would slip in unlocked
        return draw(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sitting_module.form, "draw_form", slow_draw)
    barrier = threading.Barrier(2)
    views: list[tryout.SittingView] = []
    errors: list[BaseException] = []

    def press_start() -> None:
        try:
            barrier.wait(timeout=10)
            views.append(
                tryout.start_tryout(actor=student, blueprint_id=school, rng=np.random.default_rng())
            )
        except BaseException as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)

    threads = [threading.Thread(target=press_start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(views) == 2
    assert views[0].sitting_id == views[1].sitting_id
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM tryout_sittings")).scalar() == 1
        # One form: the second start did not draw another set of items.
        assert conn.execute(sa.text("SELECT COUNT(*) FROM tryout_items")).scalar() == 7
