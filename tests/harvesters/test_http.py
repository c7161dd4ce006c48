"""The shared HTTP client (harvesters/base.py) against a loopback portal:
304s, a 500 then a 200, a slow answer, a truncated body, an oversized body,
a redirect to file:///etc/passwd."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvesters.base import HarvestContext, HttpClient, SourceError, SourceNotModified, fetch, retry_after_seconds

from typing import Any as Portal  # the portal fixture (tests/harvesters/conftest.py)


def ctx(tmp_path: Path, **overrides: object) -> HarvestContext:
    values: dict[str, object] = {"base_dir": tmp_path, "retries": 2, "backoff": 0.01, "timeout": 2.0}
    values.update(overrides)
    return HarvestContext(**values)  # type: ignore[arg-type]


def test_user_agent_and_conditional_requests(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "c.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n")
    first = ctx(tmp_path, user_agent="GPC-test/1 (ops@example.eu)")
    got = fetch(f"{portal.url}/c.ttl", first, conditional=True)
    assert got.content_type == "text/turtle" and got.body.startswith(b"<urn:a>")
    assert portal.requests[-1][2]["user-agent"] == "GPC-test/1 (ops@example.eu)"
    validators = first.new_validators[f"{portal.url}/c.ttl"]
    assert validators["etag"] and validators["last_modified"]
    second = ctx(tmp_path, validators={f"{portal.url}/c.ttl": validators})
    with pytest.raises(SourceNotModified):
        fetch(f"{portal.url}/c.ttl", second, conditional=True)
    assert portal.requests[-1][2]["if-none-match"] == validators["etag"]


def test_a_500_then_a_200_is_retried(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "c.ttl").write_text("# ok\n")
    portal.fail_once.add("/c.ttl")
    assert fetch(f"{portal.url}/c.ttl", ctx(tmp_path)).body == b"# ok\n"
    assert portal.hits["/c.ttl"] == 2


def test_persistent_500_is_a_clear_source_error(portal: Portal, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"HTTP 500 .*after 3 attempts"):
        fetch(f"{portal.url}/status/500", ctx(tmp_path))


def test_slow_answer_times_out_with_a_reason(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "c.ttl").write_text("# ok\n")
    with pytest.raises(SourceError, match=r"timeout"):
        fetch(f"{portal.url}/slow/1.5/c.ttl", ctx(tmp_path, timeout=0.3, retries=1))
    # Slow but within the timeout is fine.
    assert fetch(f"{portal.url}/slow/0.2/c.ttl", ctx(tmp_path, timeout=2)).body == b"# ok\n"


def test_truncated_body_is_retried_then_reported(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "c.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n" * 100)
    with pytest.raises(SourceError, match=r"truncated body"):
        fetch(f"{portal.url}/truncated/c.ttl", ctx(tmp_path, retries=1))
    assert portal.hits["/truncated/c.ttl"] == 2


def test_oversized_body_without_length_is_cut_at_the_cap(portal: Portal, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"larger than the cap of 100000 bytes"):
        fetch(f"{portal.url}/huge", ctx(tmp_path, max_bytes=100_000))


def test_declared_oversized_body_is_refused_before_reading(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "big.ttl").write_text("# " + "x" * 5000)
    with pytest.raises(SourceError, match=r"body of 5002 bytes is larger than the cap"):
        fetch(f"{portal.url}/big.ttl", ctx(tmp_path, max_bytes=1000))


def test_redirect_to_a_local_file_is_refused(portal: Portal, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"refused a redirect \(302\) to 'file:///etc/passwd'"):
        fetch(f"{portal.url}/redirect?to=file:///etc/passwd", ctx(tmp_path))


def test_redirect_to_http_is_followed(portal: Portal, tmp_path: Path) -> None:
    (portal.folder / "c.ttl").write_text("# moved\n")
    got = fetch(f"{portal.url}/redirect?to=/c.ttl", ctx(tmp_path))
    assert got.body == b"# moved\n" and got.location.endswith("/c.ttl")


def test_only_http_urls_go_to_the_client(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="only http"):
        HttpClient(ctx(tmp_path)).request("file:///etc/passwd")


def test_abort_and_time_limit_stop_requests(portal: Portal, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="aborted by the operator"):
        fetch(f"{portal.url}/c.ttl", ctx(tmp_path, cancelled=lambda: True))
    with pytest.raises(SourceError, match="time limit"):
        fetch(f"{portal.url}/c.ttl", ctx(tmp_path, deadline=0.0))


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon") is None
