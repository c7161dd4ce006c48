"""`catalogue schedule`: run each source on its own cron schedule, in-process.

Cron syntax is the classic five fields (minute hour day-of-month month
day-of-week) with `*`, lists (`1,15`), ranges (`1-5`), steps (`*/10`,
`0-30/5`), month and weekday names (`jan`, `mon`) and the shorthands
`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. As in cron, when both
day fields are restricted a day matching either runs.

The scheduler wakes at each minute, queues the sources due then, and runs the
queue one source at a time in a worker thread, so one source never runs twice
at once: a source still running (or queued) when its next slot comes is
skipped for that slot and the log says so. The per-source lock of the runner
also keeps a `catalogue harvest` from cron and the scheduler apart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DAYS = {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}
_FIELDS = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, _MONTHS), ("day of week", 0, 7, _DAYS))


class CronError(ValueError):
    """A cron expression that cannot be read; the message names the field."""


def _value(text: str, low: int, high: int, names: dict[str, int], name: str) -> int:
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if not text.isdigit():
        raise CronError(f"{name}: {text!r} is not a number" + (f" or a name ({', '.join(names)})" if names else ""))
    number = int(text)
    if not low <= number <= high:
        raise CronError(f"{name}: {number} is outside {low}-{high}")
    return number


def _field(text: str, low: int, high: int, names: dict[str, int], name: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{name}: empty list item in {text!r}")
        span, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{name}: step {step_text!r} must be a positive number")
            step = int(step_text)
        if span == "*":
            start, end = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            start, end = _value(a, low, high, names, name), _value(b, low, high, names, name)
            if start > end:
                raise CronError(f"{name}: range {span!r} runs backwards")
        else:
            start = _value(span, low, high, names, name)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed five-field cron expression."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, text: str) -> Cron:
        expanded = _ALIASES.get(text.strip().lower(), text)
        parts = expanded.split()
        if len(parts) != 5:
            raise CronError(f"{text!r}: a cron expression has 5 fields (minute hour day month weekday), e.g. '0 3 * * *'")
        sets = [_field(p, lo, hi, names, name) for p, (name, lo, hi, names) in zip(parts, _FIELDS, strict=True)]
        weekdays = frozenset(d % 7 for d in sets[4])  # 7 is Sunday too
        return cls(text, sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")

    def matches(self, moment: datetime) -> bool:
        if moment.minute not in self.minutes or moment.hour not in self.hours or moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def next_after(self, moment: datetime) -> datetime:
        """The first matching minute strictly after `moment` (within 5 years)."""
        probe = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = probe + timedelta(days=366 * 5)
        while probe < limit:
            if probe.month not in self.months:
                probe = (probe.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_ok(probe):
                probe = probe.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if probe.hour not in self.hours:
                probe = probe.replace(minute=0) + timedelta(hours=1)
                continue
            if probe.minute in self.minutes:
                return probe
            probe += timedelta(minutes=1)
        raise CronError(f"{self.text!r} never matches")

    def _day_ok(self, moment: datetime) -> bool:
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok


@dataclass(frozen=True)
class Job:
    name: str
    cron: Cron


class Scheduler:
    """Runs `run(name)` for each job at its cron minutes, one run at a time.

    `clock` and `sleep` are injectable so tests need not wait for a minute.
    """

    def __init__(
        self,
        jobs: Sequence[Job],
        run: Callable[[str], object],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.jobs = list(jobs)
        self.run = run
        self.clock = clock
        self.sleep = sleep
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._pending: set[str] = set()  # queued or running
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.skipped: list[tuple[str, datetime]] = []  # (source, slot) not run: still busy
        self.started: list[tuple[str, datetime]] = []

    def due(self, minute: datetime) -> list[str]:
        return [job.name for job in self.jobs if job.cron.matches(minute)]

    def tick(self, minute: datetime) -> None:
        """Queue every job due at this minute that is not already queued or running."""
        for name in self.due(minute):
            with self._lock:
                busy = name in self._pending
                if not busy:
                    self._pending.add(name)
            if busy:
                self.skipped.append((name, minute))
                log.warning("schedule source=%s slot=%s skipped: the previous run is still going", name, minute.isoformat())
            else:
                self._queue.put(name)

    def _worker(self) -> None:
        while True:
            name = self._queue.get()
            if name is None:
                return
            self.started.append((name, self.clock()))
            try:
                self.run(name)
            except Exception:  # one source's crash must not stop the schedule
                log.exception("schedule source=%s run crashed", name)
            finally:
                with self._lock:
                    self._pending.discard(name)

    def serve(self, until: datetime | None = None) -> None:
        """Tick at each minute until `until` (or stop()); then finish the queue."""
        worker = threading.Thread(target=self._worker, name="catalogue-schedule", daemon=True)
        worker.start()
        last: datetime | None = None
        try:
            while not self._stop.is_set():
                now = self.clock()
                if until is not None and now >= until:
                    break
                minute = now.replace(second=0, microsecond=0)
                if minute != last:
                    last = minute
                    self.tick(minute)
                nxt = minute + timedelta(minutes=1)
                wait = (nxt - self.clock()).total_seconds()
                if until is not None:
                    wait = min(wait, (until - self.clock()).total_seconds())
                self.sleep(max(0.05, min(wait, 30.0)))
        finally:
            self._queue.put(None)
            worker.join()

    def stop(self) -> None:
        self._stop.set()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or running; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if not self._pending:
                    return True
            time.sleep(0.01)
        return False


def run_schedule(
    catalogue: object,
    sources: object,
    until: datetime | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> Scheduler:
    """Serve the cron schedules of the enabled sources with one catalogue
    (a `catalogue.core.Catalogue`) until `until`, SIGTERM or Ctrl-C."""
    import signal

    from .harvest import LogProgress
    from .sources import SourceList

    assert isinstance(sources, SourceList)
    jobs = [Job(s.name, s.cron) for s in sources.sources if s.enabled]

    def run(name: str) -> None:
        catalogue.harvest(sources, [name], progress=LogProgress())  # type: ignore[attr-defined]

    scheduler = Scheduler(jobs, run, clock=clock, sleep=sleep)
    for job in jobs:
        log.info("schedule source=%s cron=%r next=%s", job.name, job.cron.text, job.cron.next_after(clock()).isoformat())
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: scheduler.stop())
    try:
        scheduler.serve(until)
    except KeyboardInterrupt:
        log.info("schedule stopping: interrupted")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return scheduler
