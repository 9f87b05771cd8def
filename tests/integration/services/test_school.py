"""The admin overview counts what is there and refuses every other role."""

import pytest
from sqlalchemy.engine import Engine

from nexus_app.services import auth, school
from nexus_app.services.errors import PermissionDenied


def test_admin_overview_and_refusals(engine: Engine) -> None:
    admin = auth.create_user(username="admin1", password="kata-sandi-1", role="admin")
    guru = auth.create_user(username="guru1", password="kata-sandi-1", role="guru")
    siswa = auth.create_user(username="siswa1", password="kata-sandi-1", role="siswa")
    overview = school.admin_overview(actor=admin)
    assert overview.users_by_role == {"admin": 1, "guru": 1, "siswa": 1}
    assert set(overview.questions_by_section) == {"PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM"}
    assert overview.database in ("sqlite", "postgresql")
    for actor in (guru, siswa):
        with pytest.raises(PermissionDenied):
            school.admin_overview(actor=actor)
