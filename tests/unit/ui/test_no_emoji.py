"""No emoji in what the app shows: phones whose font lacks them show empty boxes. Icons
(rx.icon, lucide) or words say the same thing everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3] / "nexus_app"
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
SHOWN = ["pages", "components", "state", "services"]


@pytest.mark.parametrize("folder", SHOWN)
def test_no_emoji_in_text_people_read(folder: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if EMOJI.search(line)
    ]
    assert found == []
