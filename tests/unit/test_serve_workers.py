"""How many backend workers `nexus serve` starts (nexus_app.cli.choose_workers)."""

from __future__ import annotations

import pytest

from nexus_app.cli import (
    MAX_WORKERS,
    RESERVED_MEMORY_BYTES,
    WORKER_MEMORY_BYTES,
    choose_workers,
)

GB = 1024**3


def test_without_redis_there_is_one_worker_whatever_the_machine() -> None:
    assert choose_workers(requested=None, redis=False, cpus=16, memory_bytes=64 * GB) == 1


def test_several_workers_without_redis_are_refused() -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        choose_workers(requested=2, redis=False, cpus=2, memory_bytes=24 * GB)


def test_one_requested_worker_needs_no_redis() -> None:
    assert choose_workers(requested=1, redis=False, cpus=2, memory_bytes=24 * GB) == 1


def test_zero_workers_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        choose_workers(requested=0, redis=True, cpus=2, memory_bytes=24 * GB)


def test_with_redis_one_worker_per_core() -> None:
    # Not Reflex's 2 x cores + 1: an event is CPU-bound Python.
    assert choose_workers(requested=None, redis=True, cpus=2, memory_bytes=24 * GB) == 2
    assert choose_workers(requested=None, redis=True, cpus=4, memory_bytes=24 * GB) == 4


def test_memory_limits_the_default() -> None:
    room_for_two = RESERVED_MEMORY_BYTES + 2 * WORKER_MEMORY_BYTES + WORKER_MEMORY_BYTES // 2
    assert choose_workers(requested=None, redis=True, cpus=8, memory_bytes=room_for_two) == 2
    # Too little memory for even one still gives one worker.
    assert choose_workers(requested=None, redis=True, cpus=8, memory_bytes=GB) == 1
    # Memory unknown: cores decide.
    assert choose_workers(requested=None, redis=True, cpus=3, memory_bytes=None) == 3


def test_never_more_than_reflex_allows() -> None:
    assert choose_workers(requested=None, redis=True, cpus=64, memory_bytes=512 * GB) == MAX_WORKERS
    assert choose_workers(requested=32, redis=True, cpus=2, memory_bytes=24 * GB) == MAX_WORKERS


def test_what_is_asked_for_wins_over_the_default() -> None:
    assert choose_workers(requested=3, redis=True, cpus=2, memory_bytes=24 * GB) == 3
