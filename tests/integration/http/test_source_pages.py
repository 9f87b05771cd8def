"""GET /api/sumber/halaman: the real build_api() app answers a page picture as a cacheable PNG,
and anything the service refuses (forged, expired, missing) as a plain 404."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from nexus_app.http import build_api
from nexus_app.services.books import source_view
from nexus_app.services.errors import NotFound


def test_a_signed_page_picture_is_served_and_a_refusal_is_a_404(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = tmp_path / "1-1000.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nisi")
    seen: list[dict[str, str]] = []

    def fake(*, params: dict[str, str]) -> Path:
        seen.append(params)
        if params.get("sig") != "baik":
            raise NotFound("Gambar halaman tidak tersedia.")
        return png

    monkeypatch.setattr(source_view, "page_image", fake)
    client = TestClient(build_api())
    ok = client.get(source_view.IMAGE_ROUTE, params={"buku": "b", "hlm": "1", "sig": "baik"})
    assert ok.status_code == 200 and ok.content == png.read_bytes()
    assert ok.headers["content-type"] == "image/png"
    assert ok.headers["cache-control"].startswith("private")
    assert seen[0] == {"buku": "b", "hlm": "1", "sig": "baik"}
    bad = client.get(source_view.IMAGE_ROUTE, params={"sig": "palsu"})
    assert bad.status_code == 404 and "tidak tersedia" in bad.text
    assert client.post(source_view.IMAGE_ROUTE).status_code == 405
