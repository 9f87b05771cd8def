"""Which batches of feedback updates the practice page writes to the tab's state: each write
is a state round trip, so a heartbeat that changes nothing the student sees is skipped."""

from __future__ import annotations

from nexus_app.services.feedback import FeedbackUpdate
from nexus_app.state.practice import QUEUE_REFRESH_SECONDS, worth_showing


def queue(position: int) -> FeedbackUpdate:
    return FeedbackUpdate("queue", position=position, wait_s=12.0, max_wait_s=20.0)


def test_a_heartbeat_at_the_same_place_waits_for_the_refresh() -> None:
    assert not worth_showing([queue(3)], 3, 1.0)
    assert not worth_showing([queue(4), queue(3)], 3, QUEUE_REFRESH_SECONDS - 0.1)
    assert worth_showing([queue(3)], 3, QUEUE_REFRESH_SECONDS)


def test_a_new_place_tokens_and_the_final_text_are_written_at_once() -> None:
    assert worth_showing([queue(2)], 3, 0.0)  # moved up the line
    assert worth_showing([queue(3)], -1, 0.0)  # nothing shown yet
    assert worth_showing([queue(3), FeedbackUpdate("token", text="Kare")], 3, 0.0)
    assert worth_showing([FeedbackUpdate("final", text="Karena 32 = 2^5.")], 0, 0.0)
