"""Every form control is submitted by its `name`: Reflex 0.11 drops controls that only have an
`id` from the form data (0.10.1 warns, once, when the form is built)."""

from collections.abc import Callable

import pytest
import reflex as rx
from reflex_base.utils import console

from tests.unit.ui.test_pages_build import PAGES


class _ProbeState(rx.State):
    @rx.event
    def submit(self, form_data: dict[str, str]) -> None:
        pass


@pytest.fixture
def id_only_controls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    found: list[str] = []

    def deprecate(feature_name: str, *args: object, **kwargs: object) -> None:
        if "by its `id`" in feature_name:
            found.append(feature_name)

    monkeypatch.setattr(console, "deprecate", deprecate)
    return found


def test_the_check_sees_an_id_only_control(id_only_controls: list[str]) -> None:
    rx.form(rx.input(id="probe-input"), on_submit=_ProbeState.submit)
    assert id_only_controls == ["Submitting the form control with id 'probe-input' by its `id`"]


@pytest.mark.parametrize(("name", "page"), PAGES, ids=[n for n, _ in PAGES])
def test_no_form_control_is_submitted_by_id(
    name: str, page: Callable[[], rx.Component], id_only_controls: list[str]
) -> None:
    page()
    assert id_only_controls == [], name
