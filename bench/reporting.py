"""What every benchmark reports beside its figures: the code measured and the machine it
ran on (this machine is shared, so its load belongs next to every number), and the
percentile the benchmarks read their samples by."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def code_version() -> str:
    """The commit measured, `-dirty` when the work tree differs; BENCH_CODE_VERSION names
    it for a tree that is not a checkout (an export of another commit)."""
    if os.environ.get("BENCH_CODE_VERSION"):
        return os.environ["BENCH_CODE_VERSION"]
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


CODE_VERSION = code_version()


def context() -> dict[str, Any]:
    return {
        "code": CODE_VERSION,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
