"""Calibration through the service (as the admin page runs it) on a platform-sized bank.

Run from the repo root; it creates a throw-away database, fills it, runs, drops it:

    python bench/bench_calibration_service.py --db postgresql   # 100k x 1,000, 5 M answers
    python bench/bench_calibration_service.py --db sqlite --persons 20000 --items 500

Filling: the answers come from bench_calibration_scale.simulate (random design, same
generating distributions) and go in with COPY on PostgreSQL (executemany on SQLite);
the bank is imported through the app's own CSV import. Timed: the page's pre-run counts
(`bank_data`) and `run_calibration` (streaming the first answers out of the database,
building the sparse answers, EM, SEs, fit, writing the proposal), with the progress messages
the page would show, and the process's peak RSS (which includes the filling).
"""

import argparse
import io
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic.config import Config  # noqa: E402

from alembic import command  # noqa: E402
from bench.bench_calibration_scale import rmse, simulate  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BANK = "Bench kalibrasi"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, "head")


def fill(
    url: str, person: np.ndarray, item: np.ndarray, correct: np.ndarray, items: int
) -> list[int]:
    """Students, the bank (imported) and their answers; returns the bank's question ids."""
    from nexus_app.db import make_engine
    from nexus_app.services.bank_import import import_bank

    header = "section,text,option_a,option_b,option_c,option_d,option_e,correct_answer,difficulty"
    rows = [header] + [f"PU,Soal bench {j}?,p,q,r,s,t,A,0.0" for j in range(items)]
    report = import_bank(
        filename="bench.csv", data=("\n".join(rows) + "\n").encode(), bank_name=BANK
    )
    assert report.ok, report
    engine = make_engine(url)
    persons = int(person.max()) + 1
    with engine.begin() as conn:
        ids = [int(r[0]) for r in conn.execute(sa.text("SELECT id FROM questions ORDER BY id"))]
        conn.execute(
            sa.text("INSERT INTO users (username, password_hash, role) VALUES (:u, 'x', 'siswa')"),
            [{"u": f"bench{i}"} for i in range(persons)],
        )
        users = [
            int(r[0])
            for r in conn.execute(sa.text("SELECT id FROM users WHERE role = 'siswa' ORDER BY id"))
        ]
    user_of = np.array(users, dtype=np.int64)
    question_of = np.array(ids, dtype=np.int64)
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                copy_sql = (
                    "COPY attempts (user_id, question_id, selected_answer, is_correct, "
                    "time_spent_seconds) FROM STDIN"
                )
                with cur.copy(copy_sql) as copy:
                    for start in range(0, person.size, 500_000):
                        sl = slice(start, start + 500_000)
                        buf = io.StringIO()
                        for u, q, ok in zip(
                            user_of[person[sl]].tolist(),
                            question_of[item[sl]].tolist(),
                            correct[sl].tolist(),
                            strict=True,
                        ):
                            buf.write(f"{u}\t{q}\tA\t{'t' if ok else 'f'}\t30\n")
                        copy.write(buf.getvalue())
            raw.commit()
        finally:
            raw.close()
        with engine.begin() as conn:
            # Planner statistics as autovacuum would have them on a live server (without them
            # PostgreSQL picks a per-item nested loop for the page counts: ~90 s, not ~4).
            conn.execute(sa.text("ANALYZE"))
    else:
        with engine.begin() as conn:
            stmt = sa.text(
                "INSERT INTO attempts (user_id, question_id, selected_answer, is_correct, "
                "time_spent_seconds) VALUES (:u, :q, 'A', :ok, 30)"
            )
            for start in range(0, person.size, 200_000):
                sl = slice(start, start + 200_000)
                conn.execute(
                    stmt,
                    [
                        {"u": u, "q": q, "ok": ok}
                        for u, q, ok in zip(
                            user_of[person[sl]].tolist(),
                            question_of[item[sl]].tolist(),
                            correct[sl].tolist(),
                            strict=True,
                        )
                    ],
                )
    engine.dispose()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000)
    parser.add_argument("--per-person", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the database")
    parser.add_argument("--reuse", help="PostgreSQL: a database kept by --keep (no filling)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="nexus-bench-calib-"))
    name = args.reuse or f"nexus_bench_calib_{uuid.uuid4().hex[:8]}"
    admin_engine = None
    if args.db == "postgresql":
        admin_engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        if not args.reuse:
            with admin_engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    os.environ["NEXUS_DATA_DIR"] = str(tmp / "data")
    try:
        from nexus_app.db import unit_of_work
        from nexus_app.services import auth, calibration

        answers, a, b, c = simulate(args.persons, args.items, args.per_person, "random", args.seed)
        if args.reuse:
            with sa.create_engine(url).connect() as conn:
                ids = [
                    int(r[0]) for r in conn.execute(sa.text("SELECT id FROM questions ORDER BY id"))
                ]
            admin = auth.login(username="benchadmin", password="kata-sandi-bench").user
        else:
            migrate(url)
            t0 = time.perf_counter()
            ids = fill(url, answers.person, answers.item, answers.correct, args.items)
            print(
                f"{args.db}: {args.persons:,} students x {args.items:,} items, {len(answers):,} "
                f"answers filled in {time.perf_counter() - t0:.0f} s"
            )
            admin = auth.create_user(
                username="benchadmin", password="kata-sandi-bench", role="admin"
            )
        del answers
        with unit_of_work() as session:
            bank_id = int(
                session.exec(sa.text("SELECT id FROM question_banks")).scalar_one()  # type: ignore[call-overload]
            )

        t0 = time.perf_counter()
        data = calibration.bank_data(actor=admin, bank_id=bank_id)
        print(
            f"bank_data (page counts before a run): {time.perf_counter() - t0:.1f} s "
            f"({data.students:,} students, {data.first_responses:,} first answers)"
        )

        t0 = time.perf_counter()
        shown: list[str] = []

        def progress(p: calibration.CalibrationProgress) -> None:
            line = f"  {time.perf_counter() - t0:6.1f} s  {p.percent:3d}%  {p.message}"
            if p.stage != "em" or p.iteration <= 2 or p.iteration % 10 == 0:
                print(line, flush=True)
            shown.append(line)

        run = calibration.run_calibration(actor=admin, bank_id=bank_id, progress=progress)
        total = time.perf_counter() - t0
        print(
            f"run_calibration: {total:.1f} s in all, of which the engine {run.seconds:.1f} s; "
            f"{len(shown)} progress updates; EM {run.iterations} iterations, "
            f"converged {run.converged}"
        )
        print(f"peak RSS: {peak_mb():.0f} MB")
        order = {qid: j for j, qid in enumerate(ids)}
        est = np.array([i.new for i in sorted(run.items, key=lambda i: order[i.question_id])])
        print(
            f"RMSE vs truth: a {rmse(est[:, 0], a):.3f}, b {rmse(est[:, 1], b):.3f}, "
            f"c {rmse(est[:, 2], c):.3f}"
        )
    finally:
        from nexus_app.db import get_engine

        get_engine().dispose()
        shutil.rmtree(tmp, ignore_errors=True)  # the SQLite file and the proposal
        if args.keep and admin_engine is not None:
            print(f"kept database {name}: rerun with --reuse {name}")
        elif admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin_engine.dispose()


if __name__ == "__main__":
    main()
