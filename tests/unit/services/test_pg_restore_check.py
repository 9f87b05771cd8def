"""The statement checker behind PostgreSQL restores, on hand-made scripts (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus_app.services.pg_restore_check import (
    Reference,
    UnsafeDump,
    add_reference,
    script_items,
    write_checked_script,
)

REFERENCE = """--
-- PostgreSQL database dump
--

\\restrict AbC123

SET statement_timeout = 0;
SET lock_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
DROP TABLE IF EXISTS public.users;
CREATE FUNCTION public.touch() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$;

--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id integer NOT NULL,
    note text DEFAULT 'a;b'::text
);
CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1;

\\unrestrict AbC123
"""

GOOD_DUMP = REFERENCE.replace(
    "\\unrestrict AbC123",
    "COPY public.users (id, note) FROM stdin;\n1\t'; DROP TABLE users; --\n2\t\\\\! rm\n\\.\n"
    "SELECT pg_catalog.setval('public.users_id_seq', 2, true);\n\\unrestrict AbC123",
).replace("\\restrict AbC123", "\\restrict Zz9")


def _reference() -> Reference:
    return add_reference(Reference(), REFERENCE.splitlines())


def _check(tmp_path: Path, script: str) -> str:
    source, out = tmp_path / "dump.sql", tmp_path / "checked.sql"
    source.write_text(script, encoding="utf-8")
    write_checked_script(source, _reference(), out)
    return out.read_text(encoding="utf-8")


def test_the_reference_knows_tables_sequences_and_bodies() -> None:
    reference = _reference()
    assert reference.tables == {"users"} and reference.sequences == {"users_id_seq"}
    body = next(s for s in reference.statements if s.startswith("CREATE FUNCTION"))
    assert body.endswith("$$;") and "RETURN NEW;" in body  # the ; inside $$ did not split it


def test_our_schema_and_data_pass_through_unchanged(tmp_path: Path) -> None:
    checked = _check(tmp_path, GOOD_DUMP)
    # Data lines are data, whatever they look like; the lock timeout is ours.
    assert "1\t'; DROP TABLE users; --" in checked and "2\t\\\\! rm" in checked
    assert "SET lock_timeout = '30s';" in checked and "SET lock_timeout = 0;" not in checked
    assert "\\restrict Zz9" in checked
    kinds = [kind for kind, _ in script_items(iter(checked.splitlines()))]
    assert kinds.count("copy") == 1 and kinds.count("data") == 3


@pytest.mark.parametrize(
    "evil",
    [
        "ALTER ROLE CURRENT_USER SET search_path = evil;",
        "\\! touch /tmp/pwned",
        "\\connect other",
        "COPY public.users (id) FROM PROGRAM 'id';",
        "COPY public.secrets (id) FROM stdin;\n1\n\\.",
        "SELECT pg_catalog.setval('public.other_seq', 1, true);",
        "DROP TABLE IF EXISTS public.users; DROP SCHEMA public CASCADE;",
        "CREATE TABLE public.users (\n    id integer NOT NULL,\n"
        "    note text DEFAULT 'a;b'::text\n); CREATE ROLE x SUPERUSER;",
        "CREATE FUNCTION public.touch() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $$\n"
        "BEGIN\n    PERFORM pg_sleep(1);\n    RETURN NEW;\nEND;\n$$;",
    ],
)
def test_anything_else_refuses_the_whole_dump(tmp_path: Path, evil: str) -> None:
    script = GOOD_DUMP.replace("\\unrestrict AbC123", evil + "\n\\unrestrict AbC123")
    with pytest.raises(UnsafeDump):
        _check(tmp_path, script)


def test_an_unfinished_statement_or_copy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeDump, match="terpotong"):
        _check(tmp_path, REFERENCE + "CREATE TABLE public.users (\n")
    with pytest.raises(UnsafeDump, match="terpotong"):
        _check(tmp_path, REFERENCE + "COPY public.users (id) FROM stdin;\n1\n")
