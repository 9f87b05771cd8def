"""Finding 5: argon2 work runs in its own bounded pool, never on the event loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from nexus_app.services import auth
from nexus_app.services.errors import ServerBusy


def test_password_work_runs_in_the_argon2_pool_not_on_the_loop() -> None:
    async def main() -> tuple[str, str]:
        loop_thread = threading.current_thread().name
        worker = await auth.run_password_work(lambda: threading.current_thread().name)
        return loop_thread, worker

    loop_thread, worker = asyncio.run(main())
    assert worker != loop_thread and worker.startswith("argon2")
    assert auth.password_queue_length() == 0


def test_a_full_queue_refuses_at_once_with_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "PASSWORD_QUEUE_LIMIT", 2)
    release = threading.Event()

    async def main() -> None:
        held = [asyncio.create_task(auth.run_password_work(release.wait, 10)) for _ in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(ServerBusy, match=r"Coba lagi dalam \d+ detik"):
            await auth.run_password_work(lambda: None)
        release.set()
        await asyncio.gather(*held)

    asyncio.run(main())
    assert auth.password_queue_length() == 0


def test_no_more_hashes_at_once_than_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    running, peak, lock = 0, 0, threading.Lock()

    class SlowHasher:
        def hash(self, password: str) -> str:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with lock:
                running -= 1
            return "$argon2id$fake"

    monkeypatch.setattr(auth, "_hasher", SlowHasher())
    threads = [
        threading.Thread(target=auth.hash_password, args=("x",))
        for _ in range(3 * auth.PASSWORD_THREADS + 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == auth.PASSWORD_THREADS


def test_a_long_estimated_wait_refuses_before_the_queue_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Calls have lately taken 3 s: the fourth waiting login would wait past the limit.
    monkeypatch.setattr(auth, "_call_seconds", 3.0)
    monkeypatch.setattr(auth, "PASSWORD_THREADS", 1)
    release = threading.Event()

    async def main() -> None:
        held = [asyncio.create_task(auth.run_password_work(release.wait, 10)) for _ in range(3)]
        await asyncio.sleep(0.05)
        with pytest.raises(ServerBusy, match=r"Coba lagi dalam 12 detik"):
            await auth.run_password_work(lambda: None)
        release.set()
        await asyncio.gather(*held)

    asyncio.run(main())
    assert auth.password_queue_length() == 0


def test_a_class_of_forty_at_the_measured_hash_time_is_not_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auth, "_call_seconds", 0.2)  # a busy 2-core server's argon2
    monkeypatch.setattr(auth, "PASSWORD_THREADS", 2)
    release = threading.Event()

    async def main() -> None:
        held = [asyncio.create_task(auth.run_password_work(release.wait, 10)) for _ in range(40)]
        await asyncio.sleep(0.05)
        assert auth.password_queue_length() == 40
        release.set()
        await asyncio.gather(*held)

    asyncio.run(main())
    assert auth.password_queue_length() == 0
