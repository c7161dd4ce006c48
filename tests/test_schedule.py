"""Cron expressions, the in-process scheduler, and `catalogue schedule` /
`catalogue sources` end to end."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalogue.cli import app
from catalogue.schedule import Cron, CronError, Job, Scheduler


@pytest.mark.parametrize(
    ("text", "moment", "expected"),
    [
        ("* * * * *", datetime(2025, 3, 4, 5, 6), True),
        ("0 3 * * *", datetime(2025, 3, 4, 3, 0), True),
        ("0 3 * * *", datetime(2025, 3, 4, 3, 1), False),
        ("*/15 * * * *", datetime(2025, 3, 4, 3, 45), True),
        ("30 2 * * mon", datetime(2025, 3, 3, 2, 30), True),  # a Monday
        ("30 2 * * 1-5", datetime(2025, 3, 8, 2, 30), False),  # a Saturday
        ("0 0 1 jan *", datetime(2025, 1, 1, 0, 0), True),
        ("0 0 13 * 5", datetime(2025, 6, 13, 0, 0), True),  # day OR weekday when both are set
        ("@hourly", datetime(2025, 6, 13, 7, 0), True),
    ],
)
def test_cron_matches(text: str, moment: datetime, expected: bool) -> None:
    assert Cron.parse(text).matches(moment) is expected


@pytest.mark.parametrize(("text", "message"), [("daily", "5 fields"), ("61 * * * *", "minute: 61 is outside 0-59"), ("* * * * 9", "day of week"), ("5-1 * * * *", "backwards")])
def test_bad_cron_names_the_field(text: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        Cron.parse(text)


def test_next_after() -> None:
    assert Cron.parse("30 2 * * 1").next_after(datetime(2025, 3, 4, 0, 0)) == datetime(2025, 3, 10, 2, 30)
    assert Cron.parse("0 0 29 2 *").next_after(datetime(2025, 1, 1)) == datetime(2028, 2, 29, 0, 0)


def test_a_source_still_running_is_not_started_twice() -> None:
    release = threading.Event()
    started: list[str] = []

    def run(name: str) -> None:
        started.append(name)
        release.wait(5)

    scheduler = Scheduler([Job("slow", Cron.parse("* * * * *")), Job("other", Cron.parse("*/2 * * * *"))], run)
    worker = threading.Thread(target=scheduler._worker, daemon=True)
    worker.start()
    t0 = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    scheduler.tick(t0)
    scheduler.tick(t0 + timedelta(minutes=1))  # slow still running, other queued: slow's slot is skipped
    assert scheduler.skipped == [("slow", t0 + timedelta(minutes=1))]
    release.set()
    scheduler._queue.put(None)
    worker.join(5)
    assert started == ["slow", "other"]


def test_catalogue_schedule_runs_each_source_and_sources_lists_the_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import catalogue.schedule as schedule_module

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CATALOGUE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CATALOGUE_BASE_URI", "https://gpc.test")
    for name in ("one", "two"):
        (tmp_path / f"{name}.ttl").write_text(
            f'<https://src.example/{name}> a <http://www.w3.org/ns/adms#Asset> ; <http://purl.org/dc/terms/title> "Practice {name}"@en .\n'
        )
    (tmp_path / "sources.toml").write_text(
        "".join(f'[[source]]\nname = "{n}"\nkind = "dcat"\nurl = "{n}.ttl"\nschedule = "* * * * *"\n' for n in ("one", "two"))
    )
    # A fake clock: three minutes pass in an instant.
    now = [datetime(2025, 1, 1, 0, 0, 30, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    instances: list[Scheduler] = []

    class Watched(Scheduler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            instances.append(self)

    monkeypatch.setattr(schedule_module, "Scheduler", Watched)

    def sleep(seconds: float) -> None:
        assert instances[0].wait_idle(30)  # let the worker run what is due before time moves on
        now[0] += timedelta(seconds=max(seconds, 1))

    real = schedule_module.run_schedule

    def patched(cat: object, sources: object, until: datetime | None = None, **_: object) -> Scheduler:
        return real(cat, sources, until=now[0] + timedelta(minutes=2), clock=clock, sleep=sleep)

    monkeypatch.setattr("catalogue.cli.run_schedule", patched)
    runner = CliRunner()
    result = runner.invoke(app, ["schedule", "--for", "120"])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(app, ["sources", "--json"])
    assert listing.exit_code == 0, listing.output
    rows = {row["name"]: row for row in json.loads(listing.stdout)["sources"]}
    assert set(rows) == {"one", "two"}
    for row in rows.values():
        assert len(row["runs"]) >= 2  # ran at each of the minutes, in turn
        assert row["runs"][-1]["status"] == "ok" and row["runs"][-1]["new"] == 1
        assert row["runs"][0]["unchanged"] == 1 and row["running"] is None
    text = runner.invoke(app, ["sources"]).stdout
    assert "one (dcat, enabled, schedule '* * * * *'" in text and ": ok - seen 1" in text


def test_harvest_abort_without_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOGUE_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["harvest", "--abort", "demo"])
    assert result.exit_code == 0 and "demo: no run in progress" in result.stdout
