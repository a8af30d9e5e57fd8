"""What the database benchmarks share: time inside the driver's ``execute`` and the
summary of a list of timings. Imported by the scripts in this folder, which Python runs
with the folder on its path."""

from __future__ import annotations

import platform
import statistics
import time
from typing import Any

from sqlalchemy import Engine, event


class SqlClock:
    """Time inside the driver's ``execute`` (for SQLite, up to the first row: a grouped
    query's whole work), summed over statements, from SQLAlchemy's cursor events."""

    def __init__(self, engine: Engine) -> None:
        self.seconds = 0.0
        self.statements = 0
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started
        self.statements += 1

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, 0

    def close(self, engine: Engine) -> None:
        event.remove(engine, "before_cursor_execute", self._before)
        event.remove(engine, "after_cursor_execute", self._after)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> dict[str, float]:
    """Median, p95, min, max and interquartile range, in milliseconds."""
    ordered = sorted(values)
    q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return {
        "median": round(statistics.median(ordered) * 1000, 1),
        "p95": round(p95(ordered) * 1000, 1),
        "min": round(ordered[0] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
        "iqr": round((q3 - q1) * 1000, 1),
    }


def cpu() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()
