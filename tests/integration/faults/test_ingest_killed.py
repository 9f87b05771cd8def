"""The app killed during book ingestion: the previous package version keeps serving.

`nexus book ingest` of a changed book runs as a real subprocess against the test database
and is killed part-way: from outside with SIGKILL as it starts embedding, and (to hit the two
riskiest instants exactly) from inside with SIGKILL just before the built folder is fsynced
and renamed, and just after the rename but before `current.json` is switched. Each time the
tutor must still answer from version 1.0.0 with a package that verifies, the `books` row must
still say 1.0.0, no incomplete folder may count as a version, and the next ingest must work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app import config
from nexus_app.ai import vkp
from nexus_app.services import books, subjects, tutor
from tests.integration.services.test_books_tutor import BOOK

ROOT = Path(__file__).resolve().parents[3]
NEXUS = str(ROOT / ".venv" / "bin" / "nexus")
TITLE = "Fisika Dasar"
NEW_TERM = "termodinamika"


def _bigger_book(sections: int) -> str:
    """Version 2: the old text plus new sections (several embedding batches of 16 chunks)."""
    parts = [BOOK]
    for i in range(1, sections + 1):
        parts.append(
            f"\n<!-- halaman {i + 2} -->\n### Termodinamika bagian {i}\n"
            f"Hukum {NEW_TERM} ke-{i} membahas kalor, kerja dan energi dalam sistem nomor {i}. "
            f"Energi dalam berubah ketika sistem {i} menerima kalor atau melakukan kerja.\n"
        )
    return "".join(parts)


def _ingest_args(source: Path) -> list[str]:
    return ["book", "ingest", str(source), "--subject", "FIS_10", "--title", TITLE]


def _book_dir() -> Path:
    return vkp.book_dir(books.packages_root(), vkp.make_book_key("FIS_10", TITLE))


def _assert_old_version_serves(engine: Engine) -> None:
    book = _book_dir()
    assert vkp.current_version(book) == "1.0.0"
    vkp.load_current(book).verify()  # every file matches the manifest's hashes
    assert all((book / v / vkp.MANIFEST).is_file() for v in vkp.list_versions(book))
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT vkp_version FROM books")).all()
    assert row == [("1.0.0",)]
    answer = tutor.ask(
        subject_code="FIS_10", question="Apa yang dimaksud dengan percepatan?", use_llm=False
    )
    assert answer.sources and {s.version for s in answer.sources} == {"1.0.0"}
    assert "percepatan" in answer.answer.lower()
    assert NEW_TERM not in " ".join(s.text for s in answer.sources).lower()


def _assert_next_ingest_works(engine: Engine, source: Path) -> None:
    done = subprocess.run(
        [NEXUS, *_ingest_args(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    version = vkp.current_version(_book_dir())
    assert version is not None and version != "1.0.0"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT vkp_version FROM books")).scalar() == version
    answer = tutor.ask(subject_code="FIS_10", question=f"Apa itu hukum {NEW_TERM}?", use_llm=False)
    assert {s.version for s in answer.sources} == {version}
    assert NEW_TERM in " ".join(s.text for s in answer.sources).lower()


def _library(tmp_path: Path, sections: int) -> Path:
    subjects.create_subject(grade=10, name="Fisika", code="FIS_10")
    source = tmp_path / "fisika.md"
    source.write_text(BOOK, encoding="utf-8")
    assert books.ingest_book(path=source, subject_code="FIS_10", title=TITLE).version == "1.0.0"
    source.write_text(_bigger_book(sections), encoding="utf-8")
    return source


@pytest.fixture
def library(engine: Engine, tmp_path: Path) -> Path:
    """The real default embedder, slow enough per batch to be killed while it embeds."""
    return _library(tmp_path, 60)


@pytest.fixture
def quick_library(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The hashing embedder (for parent and child): where the kill lands does not depend on
    embedding speed, and the re-ingest afterwards stays fast."""
    monkeypatch.setenv("NEXUS_EMBED_MODEL", "hashing")
    config.get_settings.cache_clear()
    return _library(tmp_path, 40)


def test_sigkill_while_embedding_keeps_the_old_version(engine: Engine, library: Path) -> None:
    proc = subprocess.Popen(
        [NEXUS, *_ingest_args(library)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 300
        for line in proc.stderr:
            seen.append(line.strip())
            assert time.monotonic() < deadline, seen
            # Killed as embedding starts: every batch and the write are still to come.
            if line.strip().startswith("embed: 0/"):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, seen
    assert any(s.startswith("embed:") for s in seen), seen
    # (The next ingest after a kill is proved below, with a faster embedder.)
    _assert_old_version_serves(engine)


# The child patches one step of vkp.build to kill itself there, then runs the real CLI.
CRASH_AT = """
import os, signal, sys
from nexus_app.ai.vkp import build
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
setattr(build, sys.argv[1], die)
from nexus_app.cli import main
sys.argv = ["nexus", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize(
    ("step", "leftover"),
    [
        ("_fsync_tree", ".build-"),  # files written, not yet renamed into a version
        ("set_current", "1.1.0"),  # the version folder is complete, current.json not switched
    ],
)
def test_sigkill_while_writing_keeps_the_old_version(
    engine: Engine, quick_library: Path, step: str, leftover: str
) -> None:
    library = quick_library
    done = subprocess.run(
        [sys.executable, "-c", CRASH_AT, step, *_ingest_args(library)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    # The crash happened where intended: its half (or whole) output is on disk.
    assert any(p.name.startswith(leftover) for p in _book_dir().iterdir())
    _assert_old_version_serves(engine)
    _assert_next_ingest_works(engine, library)
