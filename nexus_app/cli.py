"""The `nexus` command. Each failure prints one line to stderr and exits non-zero."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from nexus_app.cli_common import fail, run
from nexus_app.cli_ops import backup_app, jobs_app
from nexus_app.cli_tryout import blueprint_app, ptn_app
from nexus_app.formatting import format_size

PROJECT_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")

app = typer.Typer(
    help="Nexus: server sekolah untuk latihan UTBK dan tutor AI.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo school data.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
subject_app = typer.Typer(help="School subjects.", no_args_is_help=True)
bank_app = typer.Typer(help="UTBK question banks.", no_args_is_help=True)
practice_app = typer.Typer(
    help="School-subject practice questions (per subject and topic).", no_args_is_help=True
)
irt_app = typer.Typer(help="Item response theory: calibration.", no_args_is_help=True)
book_app = typer.Typer(help="Textbooks and their knowledge packages.", no_args_is_help=True)
school_app = typer.Typer(help="The school's own settings.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(subject_app, name="subject")
app.add_typer(bank_app, name="bank")
app.add_typer(practice_app, name="practice-questions")
app.add_typer(irt_app, name="irt")
app.add_typer(book_app, name="book")
app.add_typer(school_app, name="school")
app.add_typer(jobs_app, name="jobs")
app.add_typer(backup_app, name="backup")
app.add_typer(blueprint_app, name="blueprint")
app.add_typer(ptn_app, name="ptn")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    from alembic.config import Config

    from alembic import command
    from nexus_app.config import get_settings

    def action() -> str:
        cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
        cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
        url = get_settings().resolved_database_url
        cfg.attributes["database_url"] = url
        command.upgrade(cfg, "head")
        return url

    url = run(action)
    typer.echo(f"database is up to date ({url.split('://', 1)[0]})")


@demo_app.command("seed")
def demo_seed(
    no_books: Annotated[
        bool, typer.Option("--no-books", help="Skip ingesting the demo textbooks.")
    ] = False,
) -> None:
    """Create the demo school (idempotent) and print its logins."""
    from nexus_app.services.demo import seed_demo

    result = run(lambda: seed_demo(with_books=not no_books))
    typer.echo(
        f"demo school ready: {result.users_created} users, {result.subjects_created} subjects, "
        f"{result.questions_imported} questions, {result.attempts_created} practice answers, "
        f"{result.practice_questions_imported} school practice questions, "
        f"{result.books_ingested} book packages added"
    )
    shown: set[str] = set()
    for login in result.logins:
        if login.role == "siswa" and "siswa" in shown:
            continue
        label = "siswa01 … siswa30" if login.role == "siswa" else login.username
        typer.echo(f"  {login.role:<6} {label:<20} password: {login.password}")
        shown.add(login.role)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option("--username", help="Login name.")],
    role: Annotated[str, typer.Option("--role", help="siswa, guru or admin.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    full_name: Annotated[str | None, typer.Option("--full-name")] = None,
    class_name: Annotated[
        str | None, typer.Option("--class", help="Class, e.g. 'XII IPA 1'.")
    ] = None,
) -> None:
    """Create a user account."""
    from nexus_app.services import auth

    if not password_stdin:
        fail("pass the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    user = run(
        lambda: auth.create_user(
            username=username,
            password=password,
            role=role,
            full_name=full_name,
            class_name=class_name,
        )
    )
    typer.echo(f"created {user.role} '{user.username}' (id {user.id})")


@user_app.command("assign-class")
def user_assign_class(
    username: Annotated[str, typer.Option("--username", help="The teacher's login name.")],
    class_name: Annotated[str, typer.Option("--class", help="Class, e.g. 'XII IPA 1'.")],
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="Allow a class no student is in yet."),
    ] = False,
) -> None:
    """Let a guru see a class on /teacher."""
    from nexus_app.services.users import assign_class_by_username

    change = run(
        lambda: assign_class_by_username(
            username=username, class_name=class_name, allow_empty=allow_empty
        )
    )
    state = "assigned" if change.changed else "already assigned"
    empty = "" if change.has_students else " (no students yet)"
    typer.echo(
        f"{change.username}: '{change.class_name}' {state}{empty}; "
        f"classes: {', '.join(change.classes)}"
    )


@user_app.command("unassign-class")
def user_unassign_class(
    username: Annotated[str, typer.Option("--username", help="The teacher's login name.")],
    class_name: Annotated[str, typer.Option("--class", help="Class, e.g. 'XII IPA 1'.")],
) -> None:
    """Take a class away from a guru."""
    from nexus_app.services.users import unassign_class_by_username

    change = run(lambda: unassign_class_by_username(username=username, class_name=class_name))
    typer.echo(
        f"{change.username}: '{change.class_name}' removed; "
        f"classes: {', '.join(change.classes) or 'none'}"
    )


@school_app.command("set-default-tier")
def school_set_default_tier(
    tier: Annotated[
        str,
        typer.Argument(help="sekolah (unlimited) or gratis (40/10/20 a day) for new students."),
    ],
    sell_plans: Annotated[
        bool,
        typer.Option(
            "--sell-plans/--no-sell-plans",
            help="Whether this server sells paid plans (quota messages mention upgrading).",
        ),
    ] = False,
) -> None:
    """Choose, once, what a new student gets (docs/subscriptions.md)."""
    from nexus_app.services.school_setup import configure_default_tier

    plan = run(lambda: configure_default_tier(choice=tier, sells_plans=sell_plans))
    selling = "sells plans" if plan.sells_plans else "sells no plans"
    typer.echo(f"default tier for students: {plan.choice}; this server {selling}")


@subject_app.command("create")
def subject_create(
    grade: Annotated[int, typer.Option("--grade", help="10, 11 or 12.")],
    name: Annotated[str, typer.Option("--name")],
    code: Annotated[str, typer.Option("--code", help="Unique code, e.g. MAT_10.")],
) -> None:
    """Create a school subject."""
    from nexus_app.services.subjects import create_subject

    subject = run(lambda: create_subject(grade=grade, name=name, code=code))
    typer.echo(f"created subject {subject.code} (kelas {subject.grade}, id {subject.id})")


@bank_app.command("import")
def bank_import(
    file: Annotated[Path, typer.Argument(help="A .csv or .json file (see docs/bank-import.md).")],
    bank: Annotated[str, typer.Option("--bank", help="Bank name; created when missing.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows, skip the bad ones.")
    ] = False,
) -> None:
    """Validate and import questions into a bank (all or nothing unless --skip-invalid)."""
    from nexus_app.services.bank_import import import_bank

    data = run(file.read_bytes)
    report = run(
        lambda: import_bank(
            filename=file.name, data=data, bank_name=bank, skip_invalid=skip_invalid
        )
    )
    for error in report.errors:
        typer.echo(str(error), err=True)
    if report.errors and not skip_invalid:
        fail(
            f"{len(report.errors)} invalid rows; nothing imported (use --skip-invalid to skip them)"
        )
    typer.echo(f"imported {report.imported} questions into '{bank}', skipped {report.skipped}")


@practice_app.command("import")
def practice_questions_import(
    file: Annotated[
        Path, typer.Argument(help="A .csv file (see docs/practice-questions-import.md).")
    ],
    subject: Annotated[str, typer.Option("--subject", help="The subject's code, e.g. MAT_10.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the valid rows, skip the bad ones.")
    ] = False,
) -> None:
    """Validate and import practice questions into a subject (all or nothing unless
    --skip-invalid)."""
    from nexus_app.services.school_practice import import_practice_questions

    data = run(file.read_bytes)
    report = run(
        lambda: import_practice_questions(
            data=data, subject_code=subject, skip_invalid=skip_invalid
        )
    )
    for error in report.errors:
        typer.echo(str(error), err=True)
    if report.errors and not skip_invalid:
        fail(
            f"{len(report.errors)} invalid rows; nothing imported (use --skip-invalid to skip them)"
        )
    typer.echo(
        f"imported {report.imported} practice questions into {report.subject_code}, "
        f"skipped {report.skipped}"
    )


@practice_app.command("template")
def practice_questions_template(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of standard output.")
    ] = None,
) -> None:
    """The CSV template: every column with two example questions."""
    from nexus_app.services.school_practice import TEMPLATE_FILENAME, csv_template

    text = csv_template()
    if out is None:
        typer.echo(text.lstrip("\ufeff"), nl=False)
        return
    target = out / TEMPLATE_FILENAME if out.is_dir() else out
    run(lambda: target.write_text(text, encoding="utf-8"))
    typer.echo(f"wrote {target}")


@irt_app.command("calibrate")
def irt_calibrate(
    bank: Annotated[
        str | None, typer.Option("--bank", help="Bank name; every bank when omitted.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the new parameters (default: report only).")
    ] = False,
    min_responses: Annotated[
        int, typer.Option("--min-responses", help="Answers an item needs to be re-estimated.")
    ] = 30,
) -> None:
    """Re-estimate 3PL parameters from students' answers (MML-EM); report, then --apply."""
    from nexus_app.services.calibration import calibrate_bank, list_bank_names

    names = [bank] if bank else run(list_bank_names)
    if not names:
        fail("there are no question banks yet")
    for name in names:
        report = run(
            functools.partial(
                calibrate_bank, bank_name=name, apply=apply, min_responses=min_responses
            )
        )
        typer.echo(
            f"bank '{report.bank_name}': {report.persons} students, {report.responses} answers, "
            f"{report.iterations} EM iterations{'' if report.converged else ' (not converged)'}"
        )
        typer.echo("  item  sec   n    a old→new      b old→new      c old→new     infit  fit")
        for item in report.items:
            old, new = item.old, item.new
            flag = "fixed" if item.held_fixed else ("MISFIT" if item.misfit else "ok")
            typer.echo(
                f"  {item.question_id:>4}  {item.section:<4}{item.n_responses:>4}  "
                f"{old[0]:5.2f}→{new[0]:5.2f}  {old[1]:6.2f}→{new[1]:6.2f}  "
                f"{old[2]:5.2f}→{new[2]:5.2f}  {item.infit:5.2f}  {flag}"
            )
        if apply:
            typer.echo(f"  applied new parameters to {report.applied_count} items")
        else:
            typer.echo("  nothing written (add --apply to use these parameters)")


@book_app.command("ingest")
def book_ingest(
    file: Annotated[Path, typer.Argument(help="A .pdf, .md or .txt book.")],
    subject: Annotated[str, typer.Option("--subject", help="Subject code, e.g. MAT_10.")],
    title: Annotated[str, typer.Option("--title", help="Book title.")],
) -> None:
    """Build (or bump) the subject's knowledge package for this book."""
    from nexus_app.services.books import ingest_book

    def progress(stage: str, done: int, total: int) -> None:
        typer.echo(f"  {stage}: {done}/{total}", err=True)

    result = run(
        lambda: ingest_book(path=file, subject_code=subject, title=title, progress=progress)
    )
    state = "new version" if result.created else "unchanged, current version kept"
    typer.echo(
        f"{result.subject} '{result.title}': version {result.version}, "
        f"{result.chunk_count} chunks from {result.page_count} pages ({state})"
    )


@book_app.command("export")
def book_export(
    subject: Annotated[str, typer.Option("--subject")],
    title: Annotated[str, typer.Option("--title")],
    out: Annotated[Path, typer.Option("--out", help="A file or a folder.")] = Path("."),
) -> None:
    """Write the book's current package to one .vkp file (e.g. for a USB stick)."""
    from nexus_app.services.books import export_book

    path = run(lambda: export_book(subject_code=subject, title=title, dest=out))
    typer.echo(f"exported {path} ({format_size(path.stat().st_size)})")


@book_app.command("import")
def book_import(file: Annotated[Path, typer.Argument(help="A .vkp package file.")]) -> None:
    """Install a package exported by another Nexus server."""
    from nexus_app.services.books import import_book

    result = run(lambda: import_book(path=file))
    typer.echo(
        f"{result.subject} '{result.title}': version {result.version}, "
        f"{result.chunk_count} chunks installed"
    )


@book_app.command("list")
def book_list() -> None:
    """Books with their current package version."""
    from nexus_app.services.books import list_books

    for book in run(list_books):
        typer.echo(
            f"{book.subject:<8} v{book.version:<8} {book.chunk_count:>5} chunks  {book.title}"
        )


@app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - for one per line on stdin.")],
    subject: Annotated[str, typer.Option("--subject", help="Subject code, e.g. MAT_10.")],
    k: Annotated[int, typer.Option("--k", help="Passages to retrieve.")] = 5,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Retrieval only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per answer.")] = False,
) -> None:
    """Ask the tutor from the command line (retrieval, then a grounded answer)."""
    import json

    from nexus_app.services import tutor

    questions = [line.strip() for line in sys.stdin] if question == "-" else [question]
    questions = [q for q in questions if q]
    if not questions:
        fail("no question given")
    if question == "-":
        as_json = True  # one object per line, the model loaded once
    for q in questions:
        answer = run(
            functools.partial(tutor.ask, subject_code=subject, question=q, k=k, use_llm=not no_llm)
        )
        passages = [
            {"book": s.book, "page": s.page, "where": s.where, "score": s.score, "text": s.text}
            for s in answer.sources
        ]
        # --no-llm shows what retrieval found; a refusal is still said, or nothing would print.
        shown = answer.answer if answer.mode == "not_covered" or not no_llm else ""
        if as_json:
            typer.echo(
                json.dumps(
                    {"question": answer.question, "answer": shown, "passages": passages},
                    ensure_ascii=False,
                )
            )
            continue
        if shown:
            typer.echo(shown)
        if answer.notice:
            typer.echo(f"({answer.notice})")
        for i, s in enumerate(answer.sources, start=1):
            typer.echo(f"[{i}] {s.book}, {s.where} (v{s.version}, skor {s.score:.3f})")


# Measured per backend worker on the demo school in prod mode (docs/operations.md): the app,
# torch and the embedder stack loaded, after a few hundred students' events. A worker forked
# from the preloaded supervisor shares part of that; this is the figure to budget.
WORKER_MEMORY_BYTES = 900 * 1024 * 1024
# Left to PostgreSQL, Redis, the language model's own process and the system.
RESERVED_MEMORY_BYTES = 2 * 1024 * 1024 * 1024
MAX_WORKERS = 8  # Reflex's own ceiling (reflex.utils.processes.MAX_BACKEND_WORKERS)


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (Linux); None where it cannot be read."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def choose_workers(
    *, requested: int | None, redis: bool, cpus: int, memory_bytes: int | None
) -> int:
    """How many backend worker processes `nexus serve` starts.

    Without Redis every tab's state lives in one process's memory, so there is exactly one
    worker. With Redis: what was asked for, or one worker per core (an event is CPU-bound
    Python, so more workers than cores only adds memory and Redis round trips), fewer when
    the memory left after RESERVED_MEMORY_BYTES does not hold that many workers.
    """
    if requested is not None:
        if requested < 1:
            raise ValueError("--workers must be at least 1")
        if requested > 1 and not redis:
            raise ValueError(
                "several workers share students' state through Redis: set REDIS_URL "
                "(or use --workers 1)"
            )
        return min(requested, MAX_WORKERS)
    if not redis:
        return 1
    by_cpu = max(1, cpus)
    if memory_bytes is None:
        return min(by_cpu, MAX_WORKERS)
    by_memory = max(1, (memory_bytes - RESERVED_MEMORY_BYTES) // WORKER_MEMORY_BYTES)
    return int(min(by_cpu, by_memory, MAX_WORKERS))


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option("--port")] = 3000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            envvar="NEXUS_WORKERS",
            help="Backend worker processes (default: one per core with REDIS_URL, else 1).",
        ),
    ] = None,
    backend_only: Annotated[
        bool,
        typer.Option(
            "--backend-only",
            help="Only the websocket and HTTP API, no pages and no frontend build: a second "
            "backend beside a full `nexus serve` of the same checkout.",
        ),
    ] = False,
) -> None:
    """Run the web app in production mode on one port."""
    from nexus_app.config import get_settings

    settings = get_settings()
    try:
        count = choose_workers(
            requested=workers,
            redis=bool(settings.redis_url),
            cpus=os.cpu_count() or 1,
            memory_bytes=available_memory_bytes(),
        )
    except ValueError as exc:
        fail(str(exc))
    env = dict(os.environ)
    env.update(reflex_environment(port))
    env.setdefault("NEXUS_DATA_DIR", str(settings.data_dir.resolve()))
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url  # from .env too: rxconfig reads the environment
    # Reflex runs its production backend under Granian (uvicorn and gunicorn are not
    # installed); GRANIAN_WORKERS overrides its own 2 x cores + 1.
    env["REFLEX_USE_GRANIAN"] = "true"
    env["GRANIAN_WORKERS"] = str(count)
    typer.echo(f"nexus serve: port {port}, {count} backend worker(s)", err=True)
    reflex = Path(sys.executable).with_name("reflex")
    args = [str(reflex), "run", "--env", "prod"]
    if backend_only:
        env["NEXUS_BACKEND_ONLY"] = "1"
        args += ["--backend-only", "--backend-port", str(port)]
    else:
        env.pop("NEXUS_BACKEND_ONLY", None)
        args += ["--frontend-port", str(port), "--backend-port", str(port)]
    os.chdir(PROJECT_ROOT)
    os.execve(str(reflex), args, env)


def reflex_environment(port: int) -> dict[str, str]:
    """Keep Reflex offline: our own bun, no telemetry, no version checks, caches in .tools."""
    tools = PROJECT_ROOT / ".tools"
    return {
        "NEXUS_PORT": str(port),
        "REFLEX_BUN_PATH": str(tools / "node_modules" / "bun" / "bin" / "bun.exe"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "BUN_INSTALL_CACHE_DIR": str(tools / "bun-cache"),
        "npm_config_cache": str(tools / "npm-cache"),
    }


def main() -> None:
    app()


if __name__ == "__main__":
    main()
