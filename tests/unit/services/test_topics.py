"""Topic keys become display names on students' pages."""

import pytest

from nexus_app.services.topics import topic_label


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("fungsi_linear", "Fungsi linear"),
        ("spldv", "SPLDV"),
        ("sistem_spldv", "Sistem SPLDV"),
        ("ide_pokok", "Ide pokok"),
        ("deduktif", "Deduktif"),
        ("vocabulary-in-context", "Vocabulary in context"),
        ("  geometri__terapan ", "Geometri terapan"),
        ("", ""),
        (None, ""),
    ],
)
def test_topic_label(key: str | None, label: str) -> None:
    assert topic_label(key) == label
