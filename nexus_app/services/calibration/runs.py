"""The pending run of a bank, kept as a JSON file in the data folder."""

from __future__ import annotations

import json
import math
import os
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from nexus_app.config import get_settings

from .results import RUN_FORMAT, CalibrationRun, ItemCalibration

# --- the pending run on disk ------------------------------------------------------------------


def _run_path(bank_id: int) -> Path:
    return get_settings().data_dir / "calibration" / f"bank-{int(bank_id)}.json"


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _item_to_json(item: ItemCalibration) -> dict[str, Any]:
    raw = asdict(item)
    raw["se"] = [_finite_or_none(v) for v in item.se]
    for key in ("infit", "outfit", "chi2_p"):
        raw[key] = _finite_or_none(raw[key])
    return raw


def _item_from_json(raw: dict[str, Any]) -> ItemCalibration:
    def num(value: float | None) -> float:
        return math.nan if value is None else float(value)

    return ItemCalibration(
        question_id=int(raw["question_id"]),
        section=str(raw["section"]),
        sub_type=str(raw["sub_type"]),
        n_responses=int(raw["n_responses"]),
        held_fixed=bool(raw["held_fixed"]),
        old=tuple(float(v) for v in raw["old"]),  # type: ignore[arg-type]
        new=tuple(float(v) for v in raw["new"]),  # type: ignore[arg-type]
        se=tuple(num(v) for v in raw["se"]),  # type: ignore[arg-type]
        infit=num(raw["infit"]),
        outfit=num(raw["outfit"]),
        misfit=bool(raw["misfit"]),
        chi2_p=num(raw["chi2_p"]),
        text=str(raw["text"]),
    )


def _save_run(run: CalibrationRun) -> None:
    path = _run_path(run.bank_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": RUN_FORMAT,
        "run_id": run.run_id,
        "bank_id": run.bank_id,
        "bank_name": run.bank_name,
        "created_at": run.created_at.isoformat(),
        "created_by": run.created_by,
        "min_responses": run.min_responses,
        "persons": run.persons,
        "responses": run.responses,
        "iterations": run.iterations,
        "converged": run.converged,
        "seconds": run.seconds,
        "items": [_item_to_json(i) for i in run.items],
    }
    # Write then rename: a reader never sees half a file, even if the server stops midway.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(payload, allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


def _load_run(bank_id: int) -> CalibrationRun | None:
    path = _run_path(bank_id)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format") != RUN_FORMAT or int(raw["bank_id"]) != bank_id:
            return None
        return CalibrationRun(
            run_id=str(raw["run_id"]),
            bank_id=int(raw["bank_id"]),
            bank_name=str(raw["bank_name"]),
            created_at=datetime.fromisoformat(raw["created_at"]),
            created_by=str(raw["created_by"]),
            min_responses=int(raw["min_responses"]),
            persons=int(raw["persons"]),
            responses=int(raw["responses"]),
            iterations=int(raw["iterations"]),
            converged=bool(raw["converged"]),
            seconds=float(raw["seconds"]),
            items=tuple(_item_from_json(i) for i in raw["items"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # An unreadable proposal is as good as none: the admin simply runs it again.
        return None
