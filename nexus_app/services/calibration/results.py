"""Limits and the result types of a calibration: per item, per bank, runs and progress."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

MIN_RESPONSES_PER_ITEM = 30
# The admin may go lower (a small school), but below this the priors decide everything.
MIN_RESPONSES_FLOOR = 10
MAX_RESPONSES_SETTING = 100_000
MIN_FREE_ITEMS = 2
EM_TOLERANCE = 1e-4
EM_MAX_ITER = 500
TEXT_PREVIEW_CHARS = 90
RUN_FORMAT = 1
# Parameters read back from the database equal what was written up to float noise.
_SAME_PARAMS = 1e-9


@dataclass(frozen=True)
class ItemCalibration:
    question_id: int
    section: str
    sub_type: str
    n_responses: int
    held_fixed: bool
    old: tuple[float, float, float]
    new: tuple[float, float, float]
    se: tuple[float, float, float]  # nan for held items
    infit: float  # nan when nobody answered the item
    outfit: float
    misfit: bool
    chi2_p: float = math.nan  # nan with fewer than 80 answers (too few for the grouping)
    text: str = ""

    @property
    def change(self) -> tuple[float, float, float]:
        return (
            self.new[0] - self.old[0],
            self.new[1] - self.old[1],
            self.new[2] - self.old[2],
        )

    @property
    def change_b(self) -> float:
        return self.new[1] - self.old[1]

    @property
    def well_fitting(self) -> bool:
        """Estimated and not flagged by the fit statistics: safe to apply."""
        return not self.held_fixed and not self.misfit


@dataclass(frozen=True)
class CalibrationReport:
    bank_name: str
    persons: int
    responses: int
    iterations: int
    converged: bool
    items: list[ItemCalibration]
    applied: bool
    applied_count: int = 0


@dataclass(frozen=True)
class CalibrationRun:
    """A pending calibration of one bank: the proposal the admin applies from."""

    run_id: str
    bank_id: int
    bank_name: str
    created_at: datetime
    created_by: str
    min_responses: int
    persons: int
    responses: int
    iterations: int
    converged: bool
    seconds: float
    items: tuple[ItemCalibration, ...]

    @property
    def estimated(self) -> int:
        return sum(1 for i in self.items if not i.held_fixed)

    @property
    def misfitting(self) -> int:
        return sum(1 for i in self.items if not i.held_fixed and i.misfit)


@dataclass(frozen=True)
class CalibrationProgress:
    """What the page shows while a run is busy."""

    stage: str  # "data", "em", "finish", "done"
    message: str
    percent: int
    iteration: int = 0
    change: float = math.nan


@dataclass(frozen=True)
class BankChoice:
    bank_id: int
    name: str
    live_items: int
    is_calibrated: bool
    calibration_date: date | None
    calibration_sample_size: int | None


@dataclass(frozen=True)
class BankData:
    """How much a bank's calibration would have to work with."""

    bank: BankChoice
    students: int
    first_responses: int
    items_answered: int
    items_ready: int  # items with at least min_responses first answers
    min_responses: int

    @property
    def enough(self) -> bool:
        return self.items_ready >= MIN_FREE_ITEMS


@dataclass(frozen=True)
class ApplyResult:
    bank_name: str
    applied_count: int
    calibration_date: date
    sample_size: int


ProgressSink = Callable[[CalibrationProgress], None]
