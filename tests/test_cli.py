"""The `catalogue` command, through Typer's CliRunner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalogue.cli import app, demo_sources_path

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("CATALOGUE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CATALOGUE_BASE_URI", "https://gpc.test")
    yield tmp_path


def demo_json() -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_twice_reports_everything_unchanged_and_exports_identically(workdir: Path) -> None:
    first = demo_json()
    assert sum(s["new"] for s in first["sources"]) >= 80
    export_1 = runner.invoke(app, ["export"]).stdout_bytes
    second = demo_json()
    for source in second["sources"]:
        assert source["new"] == source["changed"] == source["withdrawn"] == 0, source
        assert source["unchanged"] == source["seen"] - source["failed"]
    assert runner.invoke(app, ["export"]).stdout_bytes == export_1
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_summary_fields_for_machines(workdir: Path) -> None:
    summary = demo_json()
    fields = {"name", "status", "seen", "new", "changed", "unchanged", "withdrawn", "failed", "skipped", "errors"}
    for source in summary["sources"]:
        assert fields <= set(source)
    errors = [e for s in summary["sources"] for e in s["errors"]]
    assert {"broken-no-title", "broken-bad-maturity"} <= {e["original_id"] for e in errors}
    assert all(e["reason"] for e in errors)


def test_removed_record_is_withdrawn(workdir: Path) -> None:
    demo_dir = demo_sources_path().parent
    copy = workdir / "sources"
    copy.mkdir()
    for name in ("sources.toml", "practices.csv", "projects.csv", "practices.ttl"):
        if (demo_dir / name).exists():
            (copy / name).write_bytes((demo_dir / name).read_bytes())
    assert runner.invoke(app, ["harvest", "--sources", str(copy / "sources.toml"), "demo-local-list"]).exit_code == 0
    lines = (copy / "practices.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (copy / "practices.csv").write_text("".join(line for line in lines if not line.startswith("spid,")), encoding="utf-8")
    result = runner.invoke(app, ["harvest", "--sources", str(copy / "sources.toml"), "demo-local-list", "--json"])
    [summary] = json.loads(result.stdout)["sources"]
    assert summary["withdrawn"] == 1
    page = runner.invoke(app, ["serve", "--get", "/practice/demo-spid"])
    assert "withdrawn" in page.stdout


def test_unknown_source_name_is_a_clear_error(workdir: Path) -> None:
    result = runner.invoke(app, ["harvest", "--sources", str(demo_sources_path()), "nope"])
    assert result.exit_code == 2
    assert "unknown source(s): nope" in result.stderr


def test_bad_setting_is_refused_at_start(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOGUE_SEARCH_ENGINE", "lucene")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "CATALOGUE_SEARCH_ENGINE" in result.stderr


def test_serve_get_answers_one_request(workdir: Path) -> None:
    demo_json()
    result = runner.invoke(app, ["serve", "--get", "/api/v1/search?q=participation"])
    assert result.exit_code == 0
    body = json.loads(result.stdout)
    assert body["total"] > 0 and body["facets"]["country"]


def test_reindex_then_check(workdir: Path) -> None:
    demo_json()
    result = runner.invoke(app, ["reindex"])
    assert result.exit_code == 0 and "indexed" in result.stdout
    assert runner.invoke(app, ["check", "--json"]).exit_code == 0


def test_every_command_is_documented() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "cli.md").read_text()
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"catalogue {name}" in docs, name


@pytest.mark.parametrize("command", ["reindex", "check"])
def test_a_store_held_by_another_writer_is_a_clear_error(workdir: Path, command: str) -> None:
    # Another process, as a running harvest: file locks do not stop the process that holds them.
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(workdir / "data" / "store")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        result = runner.invoke(app, [command])
    finally:
        holder.communicate(b"", timeout=30)
    assert result.exit_code == 2
    assert "another process holds it for writing" in result.output
    assert "Traceback" not in result.output


def test_sources_are_listed_while_a_harvest_holds_the_store(workdir: Path) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_STORE, str(workdir / "data" / "store")], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        result = runner.invoke(app, ["sources", "--sources", str(demo_sources_path()), "--json"])
    finally:
        holder.communicate(b"", timeout=30)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["sources"]
    assert any(row["runs"] for row in rows)


HOLD_STORE = """
import sys
from pathlib import Path
from catalogue.store.oxigraph import OxigraphStore
store = OxigraphStore(Path(sys.argv[1]))
print("open", flush=True)
sys.stdin.read()
store.close()
"""
