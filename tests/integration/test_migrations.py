"""The migrations build the schema the models describe, on both databases."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config

from alembic import command
from tests.conftest import PG_ADMIN_URL, ROOT, _postgres_available


def _config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    return cfg


def _roundtrip(url: str) -> None:
    cfg = _config(url)
    command.upgrade(cfg, "head")
    command.check(cfg)  # raises when the models and the migrated schema differ
    engine = sa.create_engine(url)
    tables = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        sections = conn.execute(sa.text("SELECT code FROM utbk_sections ORDER BY sort_order"))
        assert [r[0] for r in sections] == ["PU", "PPU", "PBM", "PK", "LBI", "LBE", "PM"]
    engine.dispose()
    expected = {
        "users",
        "sessions",
        "subjects",
        "books",
        "chat_history",
        "topic_mastery",
        "weak_areas",
        "practice_questions",
        "question_banks",
        "questions",
        "attempts",
        "user_readiness",
        "attempt_feedback",
        "user_study_sessions",
        "payment_subscriptions",
        "error_logs",
        "question_review_logs",
        "utbk_sections",
        "login_attempts",
        "job_runs",
        "item_exposure",
        "section_exposure",
    }
    assert expected <= tables
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")


def test_upgrade_and_check_on_sqlite(tmp_path: Path) -> None:
    _roundtrip(f"sqlite:///{tmp_path / 'm.db'}")


def test_upgrade_and_check_on_postgresql() -> None:
    problem = _postgres_available()
    if problem:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL required under CI: {problem}")
        pytest.skip(problem)
    name = f"nexus_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        _roundtrip(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
