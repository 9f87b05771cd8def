"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

PostgreSQL is 127.0.0.1:5432 (or TEST_DATABASE_URL). Locally a missing server skips the
PostgreSQL half; under CI=true it is a failure, because CI must prove both databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import Engine

from alembic import command
from nexus_app import config as app_config
from nexus_app.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Reference data written by migrations: kept between tests.
KEEP_TABLES = {"utbk_sections", "alembic_version"}


def alembic_upgrade(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"nexus_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    alembic_upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'nexus-test.db'}"
    alembic_upgrade(url)
    return url


def _wipe(engine: Engine) -> None:
    from sqlmodel import SQLModel

    import nexus_app.models  # noqa: F401  (registers the tables)

    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in KEEP_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # Children first, so foreign keys stay on (a PRAGMA inside a transaction is ignored).
            for table in reversed(tables):
                conn.execute(table.delete())
            if _has_sequence(conn):
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))


def _has_sequence(conn: sa.Connection) -> bool:
    return bool(
        conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first()
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """A clean, migrated database, also installed as the app's default (for services)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path / "data"))
    app_config.get_settings.cache_clear()
    eng = make_engine(db_url)
    _wipe(eng)
    yield eng
    eng.dispose()
    app_config.get_settings.cache_clear()


@pytest.fixture
def tutor_lead_in(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tutor lets the model write a lead-in above the quote (NEXUS_TUTOR_LEAD_IN, off by
    default): for tests of what the model's part does through the services."""
    monkeypatch.setenv("NEXUS_TUTOR_LEAD_IN", "1")
    app_config.get_settings.cache_clear()


@pytest.fixture
def session(engine: Engine) -> Iterator[sa.orm.Session]:
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as s:
        yield s
