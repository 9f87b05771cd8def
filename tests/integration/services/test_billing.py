"""Subscriptions against real SQLite and PostgreSQL: tiers, orders, Midtrans transitions
applied once, and the daily limits in practice, feedback and the tutor."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app import config as app_config
from nexus_app.services import auth, billing, feedback, practice, tutor
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.conftest import alembic_upgrade

KEY = "SB-Mid-server-integration-key"


@pytest.fixture
def server_key(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NEXUS_MIDTRANS_SERVER_KEY", KEY)
    app_config.get_settings.cache_clear()
    return KEY


@pytest.fixture
def admin(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(username="admin1", password="kata-sandi-1", role="admin")


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(
        username="siswa01", password="kata-sandi-1", role="siswa", full_name="Siti Aminah"
    )


def notification(order_id: str, status: str, amount: str, *, fraud: str | None = None) -> dict:
    status_code = {"settlement": "200", "capture": "200", "pending": "201"}.get(status, "202")
    body = {
        "order_id": order_id,
        "status_code": status_code,
        "gross_amount": amount,
        "transaction_status": status,
        "transaction_id": f"tx-{order_id}",
        "payment_type": "bank_transfer",
        "signature_key": hashlib.sha512(
            (order_id + status_code + amount + KEY).encode()
        ).hexdigest(),
    }
    if fraud:
        body["fraud_status"] = fraud
    return body


def _user_row(engine: Engine, username: str = "siswa01") -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT subscription_tier, subscription_start_date, subscription_end_date, "
                "is_subscription_active FROM users WHERE username = :u"
            ),
            {"u": username},
        ).one()


def _payment_row(engine: Engine, order_id: str) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT payment_status, midtrans_status, midtrans_transaction_id, payment_type, "
                "paid_at, subscription_start_date, subscription_end_date "
                "FROM payment_subscriptions WHERE midtrans_order_id = :o"
            ),
            {"o": order_id},
        ).one()


def _bind(engine: Engine, moment: datetime) -> datetime:
    """A raw-SQL timestamp parameter stored the way the app's UTC column type stores it."""
    return moment.replace(tzinfo=None) if engine.dialect.name == "sqlite" else moment


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back text through raw SQL
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --- tiers -------------------------------------------------------------------------------


def test_the_migration_seeds_the_default_tiers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    alembic_upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT tier, display_name, practice_questions_per_day, ai_feedback_per_day, "
                "tutor_questions_per_day, price_idr, duration_days FROM subscription_tiers "
                "ORDER BY tier"
            )
        ).all()
    engine.dispose()
    assert [billing.TierView(*r) for r in rows] == [
        billing.DEFAULT_TIERS[t] for t in ("free", "premium", "premium_plus")
    ]


def test_admin_edits_tiers_with_validation(engine: Engine, admin, student) -> None:
    # The test database is wiped between tests: missing rows fall back to the defaults.
    assert billing.list_tiers(actor=admin) == list(billing.DEFAULT_TIERS.values())
    saved = billing.update_tier(
        actor=admin,
        tier="premium",
        display_name=" Premium Sekolah ",
        practice_questions_per_day="150",
        ai_feedback_per_day="0",
        tutor_questions_per_day="",
        price_idr="59.000",
        duration_days="31",
    )
    assert saved == billing.TierView("premium", "Premium Sekolah", 150, 0, None, 59_000, 31)
    assert billing.list_tiers(actor=admin)[1] == saved
    base = dict(
        actor=admin,
        tier="premium",
        display_name="Premium",
        practice_questions_per_day="10",
        ai_feedback_per_day="10",
        tutor_questions_per_day="10",
        price_idr="49000",
        duration_days="30",
    )
    for change, message in [
        ({"practice_questions_per_day": "-1"}, "tanpa tanda minus"),
        ({"ai_feedback_per_day": "banyak"}, "bilangan bulat"),
        ({"tutor_questions_per_day": "1000001"}, "antara 0 dan 100.000"),
        ({"price_idr": ""}, r"Harga \(Rp\) wajib diisi"),
        ({"price_idr": "0"}, "Harga"),
        ({"duration_days": "0"}, "Durasi"),
        ({"display_name": "  "}, "Nama paket"),
        ({"tier": "gold"}, "tidak dikenal"),
        ({"tier": "free"}, "tidak memiliki harga"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            billing.update_tier(**{**base, **change})
    assert billing.list_tiers(actor=admin)[1] == saved  # nothing refused was written
    free = billing.update_tier(
        actor=admin,
        tier="free",
        display_name="Gratis",
        practice_questions_per_day="5",
        ai_feedback_per_day="",
        tutor_questions_per_day="3",
    )
    assert (free.price_idr, free.duration_days, free.ai_feedback_per_day) == (None, None, None)
    with pytest.raises(PermissionDenied):
        billing.list_tiers(actor=student)
    with pytest.raises(PermissionDenied):
        billing.update_tier(**{**base, "actor": student})


# --- orders ------------------------------------------------------------------------------


def test_pending_orders_and_the_payment_list(engine: Engine, admin, student) -> None:
    other = auth.create_user(username="budi02", password="kata-sandi-1", role="siswa")
    auth.create_user(username="guru01", password="kata-sandi-1", role="guru")
    first = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    second = billing.create_pending_order(actor=admin, username="budi02", tier="premium_plus")
    assert first.order_id.startswith(f"NEXUS-{student.id}-") and first.status == "pending"
    assert (first.price_idr, first.duration_days) == (49_000, 30)
    assert (second.tier, second.price_idr, second.user_id) == ("premium_plus", 99_000, other.id)
    for username, tier, message in [
        ("guru01", "premium", "hanya untuk akun siswa"),
        ("siswa01", "free", "paket berbayar"),
        ("", "premium", "username"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            billing.create_pending_order(actor=admin, username=username, tier=tier)
    with pytest.raises(NotFound):
        billing.create_pending_order(actor=admin, username="hantu", tier="premium")
    with pytest.raises(PermissionDenied):
        billing.create_pending_order(actor=student, username="siswa01", tier="premium")

    def orders(**filters) -> list[str]:
        return [p.order_id for p in billing.list_payments(actor=admin, **filters)]

    assert orders() == [second.order_id, first.order_id]  # newest first
    assert orders(tier="premium") == [first.order_id]
    assert orders(search="BUDI") == [second.order_id]
    assert orders(search=first.order_id[-6:]) == [first.order_id]
    assert orders(search="%") == []  # LIKE wildcards are matched literally
    assert orders(status="success") == []
    assert orders(status="pending", tier="premium_plus") == [second.order_id]
    with pytest.raises(InvalidInput):
        billing.list_payments(actor=admin, status="paid")
    with pytest.raises(PermissionDenied):
        billing.list_payments(actor=student)


# --- notifications -----------------------------------------------------------------------


def test_a_repeated_settlement_applies_once(engine: Engine, server_key, admin, student) -> None:
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    now = datetime.now(UTC)
    settle = notification(order.order_id, "settlement", "49000.00")
    first = billing.handle_midtrans_notification(settle, now=now)
    assert (first.changed, first.payment_status) == (True, "success")
    user = _user_row(engine)
    assert user.subscription_tier == "premium" and bool(user.is_subscription_active)
    assert _as_utc(user.subscription_end_date) == now + timedelta(days=30)
    # Midtrans retries: the same notification again (an hour later) changes nothing.
    again = billing.handle_midtrans_notification(settle, now=now + timedelta(hours=1))
    assert (again.changed, again.payment_status) == (False, "success")
    assert _as_utc(_user_row(engine).subscription_end_date) == now + timedelta(days=30)
    # Late or out-of-order news cannot downgrade a success.
    for late in ("pending", "expire", "deny"):
        result = billing.handle_midtrans_notification(
            notification(order.order_id, late, "49000.00")
        )
        assert (result.changed, result.payment_status) == (False, "success")
    payment = _payment_row(engine, order.order_id)
    assert payment.payment_status == "success" and payment.midtrans_status == "settlement"
    assert payment.midtrans_transaction_id == f"tx-{order.order_id}"
    assert payment.payment_type == "bank_transfer" and payment.paid_at is not None
    assert str(payment.subscription_start_date) == str(billing.jakarta_date(now))
    assert str(payment.subscription_end_date) == str(billing.jakarta_date(now + timedelta(30)))
    view = billing.user_subscription(actor=admin, username="siswa01")
    assert view.effective_tier == "premium" and view.is_active
    assert [p.order_id for p in view.payments] == [order.order_id]


def test_a_second_payment_extends_from_the_current_end(
    engine: Engine, server_key, admin, student
) -> None:
    now = datetime.now(UTC)
    first = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    billing.handle_midtrans_notification(
        notification(first.order_id, "capture", "49000.00", fraud="accept"), now=now
    )
    second = billing.create_pending_order(actor=admin, username="siswa01", tier="premium_plus")
    later = now + timedelta(days=10)
    result = billing.handle_midtrans_notification(
        notification(second.order_id, "settlement", "99000.00"), now=later
    )
    assert result.changed
    user = _user_row(engine)
    # 30 days from the first, then 30 more from its end (not from the second's date);
    # the higher tier applies to the whole period.
    assert _as_utc(user.subscription_end_date) == now + timedelta(days=60)
    assert user.subscription_tier == "premium_plus"
    assert _as_utc(user.subscription_start_date) == now
    payment = _payment_row(engine, second.order_id)
    assert str(payment.subscription_start_date) == str(billing.jakarta_date(now + timedelta(30)))


def test_a_capture_under_fraud_review_waits_then_settles(
    engine: Engine, server_key, admin, student
) -> None:
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    review = billing.handle_midtrans_notification(
        notification(order.order_id, "capture", "49000.00", fraud="challenge")
    )
    assert (review.changed, review.payment_status) == (False, "pending")
    assert _user_row(engine).subscription_tier == "free"
    denied = billing.handle_midtrans_notification(notification(order.order_id, "deny", "49000.00"))
    assert (denied.changed, denied.payment_status) == (True, "failed")
    # A retry inside the same Midtrans order that is paid is still honoured.
    paid = billing.handle_midtrans_notification(
        notification(order.order_id, "settlement", "49000.00")
    )
    assert (paid.changed, paid.payment_status) == (True, "success")
    assert _user_row(engine).subscription_tier == "premium"


def test_expiry_and_refund(engine: Engine, server_key, admin, student) -> None:
    stale = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    expired = billing.handle_midtrans_notification(
        notification(stale.order_id, "expire", "49000.00")
    )
    assert (expired.changed, expired.payment_status) == (True, "expired")
    assert billing.handle_midtrans_notification(
        notification(stale.order_id, "pending", "49000.00")
    ).payment_status == ("expired")
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    billing.handle_midtrans_notification(notification(order.order_id, "settlement", "49000.00"))
    assert _user_row(engine).subscription_tier == "premium"
    refund = billing.handle_midtrans_notification(
        notification(order.order_id, "refund", "49000.00")
    )
    assert (refund.changed, refund.payment_status) == (True, "refunded")
    user = _user_row(engine)
    assert user.subscription_tier == "free" and not bool(user.is_subscription_active)
    # A refunded order stays refunded.
    after = billing.handle_midtrans_notification(
        notification(order.order_id, "settlement", "49000.00")
    )
    assert (after.changed, after.payment_status) == (False, "refunded")


def test_refused_notifications_change_nothing(engine: Engine, server_key, admin, student) -> None:
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    # Correctly signed, but for less money than the order costs.
    with pytest.raises(Conflict, match="tidak sama"):
        billing.handle_midtrans_notification(notification(order.order_id, "settlement", "1000.00"))
    forged = notification(order.order_id, "settlement", "49000.00")
    forged["signature_key"] = hashlib.sha512(b"guess").hexdigest()
    with pytest.raises(billing.InvalidSignature):
        billing.handle_midtrans_notification(forged)
    with pytest.raises(NotFound, match="tidak ditemukan"):
        billing.handle_midtrans_notification(notification("NEXUS-0-0-000000", "settlement", "1.00"))
    with pytest.raises(InvalidInput, match="bukan angka"):
        billing.handle_midtrans_notification(notification(order.order_id, "settlement", "abc"))
    ignored = billing.handle_midtrans_notification(
        notification(order.order_id, "authorize", "49000.00")
    )
    assert (ignored.changed, ignored.payment_status) == (False, "pending")
    assert _payment_row(engine, order.order_id).payment_status == "pending"
    assert _user_row(engine).subscription_tier == "free"


def test_without_a_server_key_nothing_is_accepted(engine: Engine, admin, student, monkeypatch):
    monkeypatch.delenv("NEXUS_MIDTRANS_SERVER_KEY", raising=False)
    app_config.get_settings.cache_clear()
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    assert not billing.payments_configured()
    with pytest.raises(billing.PaymentsNotConfigured, match="NEXUS_MIDTRANS_SERVER_KEY"):
        billing.handle_midtrans_notification(notification(order.order_id, "settlement", "49000"))


def test_concurrent_copies_of_one_notification_apply_once(
    engine: Engine, server_key, admin, student
) -> None:
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium")
    settle = notification(order.order_id, "settlement", "49000.00")
    now = datetime.now(UTC)
    outcomes: list[object] = []
    start = threading.Barrier(4)

    def deliver() -> None:
        start.wait()
        try:
            outcomes.append(billing.handle_midtrans_notification(settle, now=now).changed)
        except Exception as exc:  # SQLite may refuse a racing writer; Midtrans retries
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count(True) == 1, outcomes
    assert all(o is False or o == "OperationalError" for o in outcomes if o is not True)
    assert _as_utc(_user_row(engine).subscription_end_date) == now + timedelta(days=30)


def test_a_lapsed_subscription_falls_back_to_free(engine: Engine, admin, student) -> None:
    past = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE users SET subscription_tier = 'premium', is_subscription_active = :t, "
                "subscription_end_date = :end WHERE username = 'siswa01'"
            ),
            {"t": True, "end": _bind(engine, past)},
        )
    view = billing.user_subscription(actor=admin, username="siswa01")
    assert (view.stored_tier, view.effective_tier, view.is_active) == ("premium", "free", False)
    assert billing.overview(actor=admin).expired_now == 1
    user = _user_row(engine)
    assert user.subscription_tier == "free" and not bool(user.is_subscription_active)
    assert billing.overview(actor=admin).active_by_tier == {}


# --- daily limits ------------------------------------------------------------------------


def _bank_csv(n: int) -> bytes:
    header = (
        "section,sub_type,text,option_a,option_b,option_c,option_d,option_e,"
        "correct_answer,explanation,strategy_tip,discrimination,difficulty,guessing"
    )
    rows = [header] + [
        f"PU,a,Soal nomor {i}?,p{i},q{i},r{i},s{i},t{i},B,Karena B.,Teliti.,1.2,{i / 10:.2f},0.2"
        for i in range(12)
    ]
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def bank(engine: Engine) -> None:
    assert import_bank(
        filename="b.csv", data=_bank_csv(12), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok


def _answer(view: practice.QuestionView, actor: auth.CurrentUser, letter: str = "B"):
    return practice.submit_answer(
        actor=actor,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer=letter,
    )


def test_practice_stops_at_the_daily_limit(engine: Engine, bank, admin, student) -> None:
    billing.update_tier(
        actor=admin,
        tier="free",
        display_name="Gratis",
        practice_questions_per_day="3",
        ai_feedback_per_day="",
        tutor_questions_per_day="",
    )
    view = practice.start_session(actor=student, section="PU")
    _answer(view, student)
    view = practice.current_question(actor=student, session_id=view.session_id)
    # A second tab: the question on screen there counts too.
    other_tab = practice.start_session(actor=student, section="PU")
    _answer(view, student)
    with pytest.raises(billing.DailyLimitReached, match=r"\(3 per hari\).*00\.00 WIB"):
        practice.current_question(actor=student, session_id=view.session_id)
    _answer(other_tab, student)  # what was already shown can still be answered
    with pytest.raises(billing.DailyLimitReached):
        practice.start_session(actor=student, section="PU")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM attempts")).scalar() == 3
        # A refused start leaves no empty session behind.
        assert conn.execute(sa.text("SELECT COUNT(*) FROM user_study_sessions")).scalar() == 2
    # Yesterday's answers (Jakarta time) do not count against today.
    yesterday = billing.jakarta_day_start() - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE attempts SET created_at = :t"),
            {"t": _bind(engine, yesterday)},
        )
    assert practice.start_session(actor=student, section="PU").position == 1


def test_a_paid_tier_lifts_the_limit(engine: Engine, bank, server_key, admin, student) -> None:
    billing.update_tier(
        actor=admin,
        tier="free",
        display_name="Gratis",
        practice_questions_per_day="0",
        ai_feedback_per_day="0",
        tutor_questions_per_day="0",
    )
    with pytest.raises(billing.DailyLimitReached, match="tidak mencakup soal latihan"):
        practice.start_session(actor=student, section="PU")
    order = billing.create_pending_order(actor=admin, username="siswa01", tier="premium_plus")
    billing.handle_midtrans_notification(notification(order.order_id, "settlement", "99000.00"))
    view = practice.start_session(actor=student, section="PU")
    for _ in range(5):
        _answer(view, student)
        view = practice.current_question(actor=student, session_id=view.session_id)
    usage = {u.kind: u for u in billing.user_subscription(actor=admin, username="siswa01").usage}
    assert (usage["practice"].used, usage["practice"].limit) == (6, None)  # 5 + 1 on screen


def _two_wrong_answers_with_one_feedback_a_day(
    admin: auth.CurrentUser, student: auth.CurrentUser, *, tutor_per_day: str
) -> tuple[practice.QuestionView, list[practice.AnswerResult]]:
    """The free tier allows one AI feedback a day; the student answers two items wrong.
    Returns the second item's view (its session goes on) and the two answers."""
    billing.update_tier(
        actor=admin,
        tier="free",
        display_name="Gratis",
        practice_questions_per_day="",
        ai_feedback_per_day="1",
        tutor_questions_per_day=tutor_per_day,
    )
    view = practice.start_session(actor=student, section="PU")
    wrong = [_answer(view, student, "A")]
    view = practice.current_question(actor=student, session_id=view.session_id)
    wrong.append(_answer(view, student, "A"))
    return view, wrong


def test_the_feedback_quota_check_reads_the_user_and_tier_with_the_attempt(
    engine: Engine, bank, admin, student, monkeypatch
) -> None:
    """Issue 16: a wrong answer's feedback checks the quota on the User and tier rows its
    first query brought, not with reads of its own (two statements per wrong answer)."""
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    _, wrong = _two_wrong_answers_with_one_feedback_a_day(admin, student, tutor_per_day="")
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(statement.split()))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
    try:
        first = list(feedback.stream_feedback(actor=student, attempt_id=wrong[0].attempt_id))
        # The limit still holds on the prefetched rows.
        with pytest.raises(billing.DailyLimitReached, match=r"\(1 per hari\)"):
            list(feedback.stream_feedback(actor=student, attempt_id=wrong[1].attempt_id))
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
    assert first[-1].kind == "final" and first[-1].feedback_id
    own_reads = [s for s in sent if " FROM users " in f"{s} " or "FROM subscription_tiers" in s]
    assert own_reads == []


def test_feedback_and_tutor_limits(engine: Engine, bank, admin, student, monkeypatch) -> None:
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    view, wrong = _two_wrong_answers_with_one_feedback_a_day(admin, student, tutor_per_day="0")
    first = list(feedback.stream_feedback(actor=student, attempt_id=wrong[0].attempt_id))[-1]
    assert first.kind == "final"
    with pytest.raises(billing.DailyLimitReached, match=r"umpan balik AI .*\(1 per hari\)"):
        list(feedback.stream_feedback(actor=student, attempt_id=wrong[1].attempt_id))
    # Feedback already given is shown again without counting.
    again = list(feedback.stream_feedback(actor=student, attempt_id=wrong[0].attempt_id))[-1]
    assert again.feedback_id == first.feedback_id
    # The page's submit: the answer is saved, the limit is said where the feedback would be.
    view = practice.current_question(actor=student, session_id=view.session_id)
    answered = feedback.submit_with_ready_feedback(
        actor=student,
        session_id=view.session_id,
        question_id=view.question_id,
        position=view.position,
        answer="A",
    )
    assert not answered.result.is_correct and answered.ready is None
    assert "(1 per hari)" in answered.feedback_error
    with engine.connect() as conn:
        saved = "SELECT COUNT(*) FROM attempts WHERE id = :id"
        assert conn.execute(sa.text(saved), {"id": answered.result.attempt_id}).scalar() == 1
    # The tutor refuses before any retrieval (this subject has no books at all).
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO subjects (grade, name, code) VALUES (10, 'Fisika', 'FIS_10')")
        )
    with pytest.raises(billing.DailyLimitReached, match="Tutor AI"):
        list(tutor.stream(subject_code="FIS_10", question="Apa itu gaya?", actor=student))
    # Teachers are never limited: they reach the "no books" answer instead.
    guru = auth.create_user(username="guru01", password="kata-sandi-1", role="guru")
    with pytest.raises(NotFound, match="Belum ada buku"):
        list(tutor.stream(subject_code="FIS_10", question="Apa itu gaya?", actor=guru))
