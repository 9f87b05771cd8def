"""The admin overview counts what is there and refuses every other role."""

import pytest
from sqlalchemy.engine import Engine

from nexus_app.services import auth, backup, error_log, jobs, school
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


def test_overview_reports_backup_errors_and_jobs(engine: Engine) -> None:
    admin = auth.create_user(username="admin1", password="kata-sandi-1", role="admin")
    empty = school.admin_overview(actor=admin)
    assert empty.last_backup == "" and empty.last_backup_age_hours is None
    assert empty.errors_last_day == 0
    assert {j.name for j in empty.jobs} == set(jobs.JOB_NAMES)
    assert all(j.status == "never" for j in empty.jobs)

    made = backup.create_backup()
    error_log.capture(RuntimeError("disk penuh"), endpoint="job:nightly_backup")
    jobs.run_job("cleanup_sessions", force=True)
    overview = school.admin_overview(actor=admin)
    assert overview.last_backup == made.name
    assert overview.last_backup_age_hours is not None and overview.last_backup_age_hours < 1
    assert overview.errors_last_day == 1
    by_name = {j.name: j for j in overview.jobs}
    assert by_name["cleanup_sessions"].status == "success"
    assert by_name["nightly_backup"].status == "never"
