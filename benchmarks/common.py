"""What every benchmark section shares: timing, statistics, memory, the result table."""

from __future__ import annotations

import math
import os
import platform
import resource
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any


@dataclass
class Latency:
    """Latencies of one measured operation, in milliseconds."""

    samples: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile."""
        if not self.samples:
            return math.nan
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def summary(self) -> dict[str, float]:
        return {"median_ms": self.median, "p95_ms": self.p95, "n": self.n}


def time_runs(
    run: Callable[[int], object], runs: int, warmup: int = 3, budget: float = 60.0, minimum: int = 5
) -> Latency:
    """Call `run(i)` `warmup` times untimed, then up to `runs` times timed.

    Stops early (after at least `minimum` timed runs) when `budget` seconds
    of timed runs are spent, so a slow baseline cannot take the whole run."""
    for i in range(warmup):
        run(i)
    latency = Latency()
    spent = 0.0
    for i in range(runs):
        start = time.perf_counter()
        run(i)
        elapsed = time.perf_counter() - start
        latency.samples.append(elapsed * 1000)
        spent += elapsed
        if spent > budget and latency.n >= minimum:
            break
    return latency


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.seconds`."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return math.nan


def dir_size_mb(path: Path) -> float:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total / 2**20


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """The machine and library versions the figures were measured with."""
    import sqlite3

    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "libraries": {
            "pyoxigraph": _version("pyoxigraph"),
            "rdflib": _version("rdflib"),
            "tantivy": _version("tantivy"),
            "whoosh-reloaded": _version("Whoosh-Reloaded"),
            "pydantic": _version("pydantic"),
            "sqlite": sqlite3.sqlite_version,
        },
    }


def cpu_probe() -> float:
    """Milliseconds one core takes for a fixed mix of interpreter work and
    compression: the machine's speed at that moment.

    On a shared virtual machine the same code runs up to ~40 % slower from one
    minute to the next with nothing else running here (seen while measuring
    the search latencies), which the load average does not show. The probe,
    taken at the start and the end of a run, says how fast the machine was.
    """
    data = bytes(range(256)) * 2048
    best = float("inf")
    for _ in range(3):  # the best of three: a probe, not a benchmark
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i % 7
        zlib.compress(data, 6)
        best = min(best, time.perf_counter() - started)
    return best * 1000


# --- results -------------------------------------------------------------------


@dataclass
class Row:
    """One line of the result table: ours against a baseline.

    Latency rows: `ratio` is baseline median / ours median (how many times
    faster we are) and `ratio_p95` the same at p95. Throughput rows: `ratio`
    is ours / baseline. Either way, above 1 means ours is better."""

    section: str
    measure: str
    ours: str
    baseline: str = ""
    ratio: float | None = None
    ratio_p95: float | None = None
    notes: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # raw figures for --out


def latency_text(lat: Latency, label: str = "") -> str:
    prefix = f"{label}: " if label else ""
    return f"{prefix}{_ms(lat.median)} / {_ms(lat.p95)}"


def _ms(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def latency_row(section: str, measure: str, ours: Latency, ours_label: str,
                base: Latency | None, base_label: str, notes: str = "") -> Row:  # fmt: skip
    row = Row(section, measure, latency_text(ours, ours_label), notes=notes)
    row.data = {"ours": {"label": ours_label, **ours.summary()}}
    if base is not None:
        row.baseline = latency_text(base, base_label)
        row.ratio = base.median / ours.median if ours.median > 0 else None
        row.ratio_p95 = base.p95 / ours.p95 if ours.p95 > 0 else None
        row.data["baseline"] = {"label": base_label, **base.summary()}
    return row


def rate_text(rate: float, unit: str) -> str:
    return f"{rate:,.0f} {unit}"


def ratio_text(value: float | None) -> str:
    if value is None or math.isnan(value):
        return ""
    return f"{value:,.1f}×" if value >= 10 else f"{value:.2f}×"


def markdown_table(rows: Iterable[Row]) -> str:
    header = "| section | measure | ours | baseline | ratio | ratio p95 | notes |"
    lines = [header, "| --- | --- | --- | --- | ---: | ---: | --- |"]
    for r in rows:
        cells = [r.section, r.measure, r.ours, r.baseline, ratio_text(r.ratio), ratio_text(r.ratio_p95), r.notes]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def row_dict(row: Row) -> dict[str, Any]:
    return asdict(row)
