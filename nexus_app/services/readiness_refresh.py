"""The `refresh_readiness` job: every student's readiness numbers, set-based.

One transaction, a fixed number of statements whatever the number of students:

1. `refresh_readiness_batch`: one UPDATE … FROM (CTE) recounts attempts and accuracy and
   takes the latest theta (Genta's Query 5), stamping `updated_by_job_id`;
2. one SELECT of every row with a theta, with its theta-history summarised in SQL as the
   sums an ordinary least-squares trend needs;
3. numpy computes readiness %, the predicted score range, the ready-by date, days to ready
   and the weekly improvement for all rows at once: the same formulas as
   `engine.readiness` (readiness_percentage, predicted_range, ready_by with
   settle=SETTLE_ANSWERS, as the practice service calls them), vectorised. The tests
   compare both paths row by row, so a change to the engine shows up there;
4. the results go into a temporary table (COPY on PostgreSQL) and ONE UPDATE … FROM.

No query runs per student, so 300,000 rows cost about what 3,000 do, times 100.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import numpy.typing as npt

from nexus_app.db import unit_of_work
from nexus_app.engine import readiness as engine  # the scalar formulas vectorised here
from nexus_app.models import utcnow
from nexus_app.repositories import jobs as jobs_repo
from nexus_app.repositories import readiness as readiness_repo
from nexus_app.repositories.jobs import ForecastRow, ReadinessInputRow

# Same fallback as the practice service: a student without a target is measured against 600.
DEFAULT_TARGET_SCORE = 600
# A row whose variance is missing gets the prior's SD (as the practice review shows it).
DEFAULT_SE = 1.0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ReadinessRefreshSummary:
    counted_rows: int  # rows whose counts/accuracy/theta were recomputed (step 1)
    forecast_rows: int  # rows whose readiness numbers were rewritten (steps 2-4)
    seconds_counts: float
    seconds_select: float
    seconds_numpy: float
    seconds_write: float

    def __str__(self) -> str:
        return (
            f"{self.counted_rows} rows recounted, {self.forecast_rows} forecasts written "
            f"(counts {self.seconds_counts:.1f}s, select {self.seconds_select:.1f}s, "
            f"numpy {self.seconds_numpy:.1f}s, write {self.seconds_write:.1f}s)"
        )


def refresh_all_readiness(*, job_id: str, now: datetime | None = None) -> ReadinessRefreshSummary:
    when = now or utcnow()
    with unit_of_work() as session:
        t0 = time.perf_counter()
        counted = readiness_repo.refresh_readiness_batch(session=session, job_id=job_id, now=when)
        t1 = time.perf_counter()
        inputs = jobs_repo.select_readiness_inputs(
            session=session, now=when, settle=engine.SETTLE_ANSWERS
        )
        t2 = time.perf_counter()
        rows = compute_forecasts(inputs, now=when)
        t3 = time.perf_counter()
        written = jobs_repo.write_readiness_forecasts(
            session=session, rows=rows, job_id=job_id, now=when
        )
        t4 = time.perf_counter()
    return ReadinessRefreshSummary(counted, written, t1 - t0, t2 - t1, t3 - t2, t4 - t3)


def _column(rows: Sequence[ReadinessInputRow], name: str) -> FloatArray:
    # dtype=float turns None into nan, which the masks below handle.
    return np.array([getattr(row, name) for row in rows], dtype=float)


def compute_forecasts(rows: Sequence[ReadinessInputRow], *, now: datetime) -> list[ForecastRow]:
    """The readiness numbers of every row, as tuples in `jobs_repo.FORECAST_COLUMNS` order."""
    if not rows:
        return []
    target = _column(rows, "target_score")
    target = np.where(np.isfinite(target) & (target != 0), target, DEFAULT_TARGET_SCORE)
    variance = _column(rows, "theta_variance")
    finite = np.isfinite(variance) & (variance >= 0)
    se = np.where(finite, np.sqrt(np.where(finite, variance, 0.0)), DEFAULT_SE)
    theta = _column(rows, "current_theta")

    percent = readiness_percentage(theta, se, target)
    low, high = predicted_range(theta, se)
    days, per_week = ready_by(
        n_history=_column(rows, "n_history"),
        last_theta=_column(rows, "last_theta"),
        n_trend=_column(rows, "n_trend"),
        sum_x=_column(rows, "sum_x"),
        sum_y=_column(rows, "sum_y"),
        sum_xx=_column(rows, "sum_xx"),
        sum_xy=_column(rows, "sum_xy"),
        min_x=_column(rows, "min_x"),
        max_x=_column(rows, "max_x"),
        target_score=target,
    )
    target_theta = np.asarray(engine.score_to_theta(target), dtype=float)
    known = np.isfinite(days)
    day_counts = np.where(known, days, 0).astype(np.int64)
    dates = np.datetime64(now.date(), "D") + day_counts.astype("timedelta64[D]")
    ready_dates: list[date | None] = [
        d if k else None for d, k in zip(dates.astype(object).tolist(), known.tolist(), strict=True)
    ]
    days_to_ready: list[int | None] = [
        n if k else None for n, k in zip(day_counts.tolist(), known.tolist(), strict=True)
    ]
    return list(
        zip(
            [row.user_id for row in rows],
            [row.section for row in rows],
            target_theta.tolist(),
            percent.tolist(),
            low.astype(np.int64).tolist(),
            high.astype(np.int64).tolist(),
            ready_dates,
            per_week.tolist(),
            days_to_ready,
            strict=True,
        )
    )


def readiness_percentage(theta: FloatArray, se: FloatArray, target_score: FloatArray) -> FloatArray:
    """Vectorised `engine.readiness.readiness_percentage`: progress from the scale's floor
    (200) to the target, 100 · (score − 200) / (target − 200) clipped to [0, 100]; a target
    at or below 200 is met. `se` plays no part (as in the engine)."""
    score = np.asarray(engine.theta_to_score(theta), dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = 100.0 * (score - engine.SCORE_MIN) / (target_score - engine.SCORE_MIN)
    return np.where(target_score <= engine.SCORE_MIN, 100.0, np.clip(progress, 0.0, 100.0))


def predicted_range(theta: FloatArray, se: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vectorised `engine.readiness.predicted_range` with z = 1 (np.round, like round(), is
    half-to-even)."""
    low = np.round(np.asarray(engine.theta_to_score(theta - se), dtype=float))
    high = np.round(np.asarray(engine.theta_to_score(theta + se), dtype=float))
    return low, high


def ready_by(
    *,
    n_history: FloatArray,
    last_theta: FloatArray,
    n_trend: FloatArray,
    sum_x: FloatArray,
    sum_y: FloatArray,
    sum_xx: FloatArray,
    sum_xy: FloatArray,
    min_x: FloatArray,
    max_x: FloatArray,
    target_score: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Vectorised `engine.readiness.ready_by(…, settle=SETTLE_ANSWERS)` from the SQL sums.

    The trend (OLS slope over the points after the settling ones) sets the pace; the
    newest theta is where the student stands. Returns (days_to_ready, nan for "no
    forecast"; improvement in score points per week). The date is today + days.
    """
    theta_target = (target_score - engine.SCORE_CENTER) / engine.SCORE_PER_THETA
    has_history = n_history > 0
    span = np.where(n_trend > 0, max_x - min_x, 0.0)
    has_trend = (n_trend >= engine.MIN_HISTORY_POINTS) & (span > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sxx = sum_xx - sum_x * sum_x / n_trend
        sxy = sum_xy - sum_x * sum_y / n_trend
        slope = np.where(has_trend, sxy / sxx, 0.0)
        slope = np.where(np.isfinite(slope), slope, 0.0)
        days_needed = np.ceil((theta_target - last_theta) / slope - 1e-9)
    per_week = slope * 7.0 * engine.SCORE_PER_THETA

    days = np.where(
        has_trend & (slope > 0.0) & (days_needed <= engine.MAX_FORECAST_DAYS),
        days_needed,
        np.nan,
    )
    already = (target_score <= engine.SCORE_MIN) | (last_theta >= theta_target)
    days = np.where(already, 0.0, days)
    days = np.where(target_score > engine.SCORE_MAX, np.nan, days)
    days = np.where(has_history, days, np.nan)
    return days, np.where(has_history, per_week, 0.0)
