"""Practice from mistakes on the pages: the review button and the dashboard line are built."""

from nexus_app.pages.dashboard import dashboard_page
from nexus_app.pages.practice import practice_page


def test_practice_page_has_the_review_button() -> None:
    rendered = str(practice_page().render())
    assert "practice-review-due" in rendered and "Ulangi soal yang salah" in rendered


def test_dashboard_shows_how_many_are_due_today() -> None:
    rendered = str(dashboard_page().render())
    assert "review-due-today" in rendered
