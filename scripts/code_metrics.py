"""Measure what issue 13 tracks: long modules, long functions, formatting habits.

Usage: python scripts/code_metrics.py [DIR ...]   (default: services, ai, engine, cli)
Prints modules over 500 lines, functions over 60 lines, `_pct`-style helpers and how often
each empty-placeholder spelling ("-" or "–" written for a missing value: after `or`,
`else` or `return`, as an `empty=` default, or as a `.get()` default) appears.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ["nexus_app/services", "nexus_app/ai", "nexus_app/engine", "nexus_app/cli.py"]
PLACEHOLDER = re.compile(
    r'(?:\bor\s+|\belse\s+|\breturn\s+|empty: str = |EMPTY = |\.get\([^()]*, )"([-–])"(?![.\w])'
)
MODULE_LIMIT = 500
FUNCTION_LIMIT = 60


def python_files(targets: list[str]) -> list[Path]:
    files: list[Path] = []
    for target in targets:
        path = ROOT / target
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def main(argv: list[str]) -> int:
    files = python_files(argv or DEFAULT)
    long_modules: list[tuple[int, str]] = []
    long_functions: list[tuple[int, str]] = []
    pct_helpers: list[str] = []
    placeholders = {"-": 0, "–": 0}
    for path in files:
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        lines = text.count("\n")
        if lines > MODULE_LIMIT:
            long_modules.append((lines, rel))
        for spelling in PLACEHOLDER.findall(text):
            placeholders[spelling] += 1
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LIMIT:
                    long_functions.append((length, f"{rel}:{node.lineno} {node.name}"))
                if "pct" in node.name.lower() or "percent" in node.name.lower():
                    pct_helpers.append(f"{rel}:{node.lineno} {node.name}")
    print(f"files: {len(files)}")
    print(f"modules over {MODULE_LIMIT} lines: {len(long_modules)}")
    for lines, rel in sorted(long_modules, reverse=True):
        print(f"  {lines:5d} {rel}")
    print(f"functions over {FUNCTION_LIMIT} lines: {len(long_functions)}")
    for length, where in sorted(long_functions, reverse=True):
        print(f"  {length:5d} {where}")
    print(f"percent helpers: {len(pct_helpers)}")
    for where in pct_helpers:
        print(f"  {where}")
    print(f'placeholder literals: "-" x{placeholders["-"]}, "–" x{placeholders["–"]}')
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
