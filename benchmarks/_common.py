"""Shared helpers for the benchmark scripts: timing, data paths, tables and JSON results."""

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def use_shared_data():
    """Point the standard loaders' caches at ``../shared/data`` when it exists."""
    if SHARED_DATA.is_dir():
        os.environ.setdefault("SCIKIT_LEARN_DATA", str(SHARED_DATA / "scikit_learn_data"))
        os.environ.setdefault("KERAS_HOME", str(SHARED_DATA / "keras"))
    return SHARED_DATA


def timed(fn, *args, **kwargs):
    """Call ``fn`` once; return ``(result, seconds)``."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def median_time(fn, repeats=5, warmup=0):
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def format_table(rows, columns=None):
    """Render a list of dicts as a Markdown table."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])

    def cell(value):
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def write_results(name, rows, **meta):
    """Print ``rows`` as a table and write them with ``meta`` to ``results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        **meta,
        "rows": rows,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(format_table(rows))
    print(f"\nwritten to {path}")
    return path
