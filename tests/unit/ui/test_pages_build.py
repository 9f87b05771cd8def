"""Every page's component tree builds: a broken page fails here in a second, not in the
browser tests after a production build."""

import importlib
import pkgutil

import pytest

import nexus_app.pages
from nexus_app.pages.admin import PAGES as ADMIN_PAGES
from nexus_app.state.admin.sections import ADMIN_SECTIONS, NAV_SECTIONS, SECTION


def _page_functions() -> list[tuple[str, object]]:
    found = []
    # Subpackages too (state/admin/, pages/admin/).
    for info in pkgutil.walk_packages(nexus_app.pages.__path__, prefix="nexus_app.pages."):
        module = importlib.import_module(info.name)
        for name in dir(module):
            fn = getattr(module, name)
            if (
                callable(fn)
                and getattr(fn, "__module__", "") == module.__name__
                and not name.startswith("_")
                and name.endswith(("_page", "_home", "home", "not_found"))
            ):
                found.append((f"{info.name.removeprefix('nexus_app.pages.')}.{name}", fn))
    return found


PAGES = _page_functions()


def test_every_route_module_has_a_page() -> None:
    assert len(PAGES) >= 10


@pytest.mark.parametrize(("name", "page"), PAGES, ids=[n for n, _ in PAGES])
def test_page_builds(name: str, page) -> None:
    component = page()
    assert component is not None
    assert component.render()


def test_every_admin_section_has_one_page_and_the_nav_one_link() -> None:
    """The registry (state/admin/sections.py) and the page functions line up by key."""
    assert set(ADMIN_PAGES) == set(SECTION)
    links = [s.link_id for s in NAV_SECTIONS]
    assert len(links) == len(set(links)) == len(SECTION) - 1  # the question editor has none
    assert all(s.route.startswith("/admin") for s in ADMIN_SECTIONS)


def test_the_app_module_imports() -> None:
    module = importlib.import_module("nexus_app.nexus_app")
    assert module.app is not None
