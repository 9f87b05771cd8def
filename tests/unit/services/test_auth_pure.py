"""Password hashing and input rules, without a database."""

import pytest

from nexus_app.services import auth
from nexus_app.services.errors import InvalidInput


def test_hash_is_argon2id_and_salted() -> None:
    first = auth.hash_password("rahasia-sekali")
    second = auth.hash_password("rahasia-sekali")
    assert first.startswith("$argon2id$")
    assert first != second
    assert auth.verify_password(first, "rahasia-sekali")
    assert not auth.verify_password(first, "rahasia-sekalI")


def test_verify_survives_a_malformed_hash() -> None:
    # A seed-style bare SHA-256 hex string must be rejected, not crash the login.
    assert not auth.verify_password("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef72", "x")


def test_token_digest_is_stable_and_not_the_token() -> None:
    digest = auth.hash_token("abc")
    assert digest == auth.hash_token("abc") and digest != "abc" and len(digest) == 64


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("", "panjang-sekali", "siswa", "wajib diisi"),
        ("ada spasi", "panjang-sekali", "siswa", "hanya boleh"),
        ("budi", "pendek", "siswa", "minimal 8"),
        ("budi", "panjang-sekali", "kepala", "Peran tidak dikenal"),
        ("budi", "x" * 300, "siswa", "maksimal 256"),
    ],
)
def test_new_user_rules(username: str, password: str, role: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        auth.validate_new_user(username, password, role)
