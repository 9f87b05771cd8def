"""Recalibrate a bank's 3PL parameters from the answers students have given.

Each student's first answer to each item is one record of the sparse `Answers` the engine
estimates from (never a persons × items matrix: a platform-sized bank has 100,000 students
and 5 M answers); the answers are read from the database in chunks.
Items with too few answers cannot be estimated: they are held at their current values and
so also anchor the scale (linking), and the others are estimated by MML-EM with priors.
Nothing changes until the result is applied.

Two callers:

* `calibrate_bank` (the `nexus irt calibrate` CLI): estimate and optionally apply in one go.
* the admin page: `run_calibration` estimates and keeps the result as the bank's pending
  run, `apply_calibration` writes the items the admin selected from it (one transaction),
  `discard_calibration` drops it.

The pending run is a JSON file per bank in `<data dir>/calibration/`, not a database row:
it is a large, throw-away proposal (one record per item, SEs and fit) that must survive a
page reload or a server restart but has no business in backups, and the data folder is
already the server's place for such files. Applying checks that every selected item still
has the parameters the run started from, so a stale proposal can never overwrite an edit
made after it.
"""

from .admin import (
    apply_calibration,
    bank_data,
    discard_calibration,
    latest_calibration,
    list_banks,
    run_calibration,
)
from .estimation import calibrate_bank, list_bank_names
from .results import (
    EM_MAX_ITER,
    EM_TOLERANCE,
    MAX_RESPONSES_SETTING,
    MIN_FREE_ITEMS,
    MIN_RESPONSES_FLOOR,
    MIN_RESPONSES_PER_ITEM,
    RUN_FORMAT,
    TEXT_PREVIEW_CHARS,
    ApplyResult,
    BankChoice,
    BankData,
    CalibrationProgress,
    CalibrationReport,
    CalibrationRun,
    ItemCalibration,
    ProgressSink,
)

__all__ = [
    "EM_MAX_ITER",
    "EM_TOLERANCE",
    "MAX_RESPONSES_SETTING",
    "MIN_FREE_ITEMS",
    "MIN_RESPONSES_FLOOR",
    "MIN_RESPONSES_PER_ITEM",
    "RUN_FORMAT",
    "TEXT_PREVIEW_CHARS",
    "ApplyResult",
    "BankChoice",
    "BankData",
    "CalibrationProgress",
    "CalibrationReport",
    "CalibrationRun",
    "ItemCalibration",
    "ProgressSink",
    "apply_calibration",
    "bank_data",
    "calibrate_bank",
    "discard_calibration",
    "latest_calibration",
    "list_bank_names",
    "list_banks",
    "run_calibration",
]
