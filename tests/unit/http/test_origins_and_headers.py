"""The websocket's origin rule and the CSP built from the frontend's inline scripts."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_app import config as app_config
from nexus_app.config import parse_origins
from nexus_app.http.origins import origin_allowed
from nexus_app.http.security_headers import content_security_policy, inline_script_hashes


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.delenv("NEXUS_ALLOWED_ORIGINS", raising=False)
    app_config.get_settings.cache_clear()
    yield monkeypatch
    app_config.get_settings.cache_clear()


def _environ(host: str, forwarded: str | None = None) -> dict[str, str]:
    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": host}
    if forwarded:
        environ["HTTP_X_FORWARDED_HOST"] = forwarded
    return environ


def test_parse_origins() -> None:
    assert parse_origins("") == ()
    assert parse_origins(" https://a.sch.id/ , http://b:3000,, ") == (
        "https://a.sch.id",
        "http://b:3000",
    )


def test_pages_of_the_same_host_connect_others_do_not(allowed) -> None:
    school = _environ("192.168.1.10:3000")
    assert origin_allowed("http://192.168.1.10:3000", school)
    assert origin_allowed("https://192.168.1.10:3000", school)  # TLS ended by a proxy
    assert not origin_allowed("http://evil.example", school)
    assert not origin_allowed("http://192.168.1.10:3001", school)
    assert not origin_allowed("null", school)
    assert origin_allowed(None, school)  # not a browser
    proxied = _environ("127.0.0.1:3000", forwarded="nexus.sekolah.sch.id")
    assert origin_allowed("https://nexus.sekolah.sch.id", proxied)
    assert not origin_allowed("https://evil.example", proxied)


def test_listed_origins_are_allowed(allowed) -> None:
    allowed.setenv("NEXUS_ALLOWED_ORIGINS", "https://portal.sekolah.sch.id/")
    app_config.get_settings.cache_clear()
    school = _environ("192.168.1.10:3000")
    assert origin_allowed("https://portal.sekolah.sch.id", school)
    assert not origin_allowed("https://evil.example", school)
    allowed.setenv("NEXUS_ALLOWED_ORIGINS", "*")
    app_config.get_settings.cache_clear()
    assert origin_allowed("https://evil.example", school)


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_policy_lists_each_inline_script_by_hash(tmp_path: Path) -> None:
    (tmp_path / "login").mkdir()
    (tmp_path / "index.html").write_text(
        '<script>window.a = 1;</script><script type="module" async="">import "/x.js";</script>'
        '<script src="/assets/app.js"></script>'
    )
    (tmp_path / "login" / "index.html").write_text('<SCRIPT id="_R_">go()</SCRIPT>')
    hashes = inline_script_hashes(tmp_path)
    assert hashes == sorted([_sha("window.a = 1;"), _sha('import "/x.js";'), _sha("go()")])
    policy = content_security_policy(hashes)
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and _sha("go()") in script_src
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    # No built pages (dev mode): inline scripts allowed rather than a page that cannot start.
    assert "'unsafe-inline'" in content_security_policy([]).split("; ")[1]
