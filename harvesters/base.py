"""The harvester contract, and what every harvester shares: polite, capped I/O.

A harvester turns one source into a stream of `SourceRecord`s (one source
record each, mapped to the application profile), `RecordFailure`s (a record
it could read but not map: that record fails alone) and `RecordSkipped`s (a
record it deliberately leaves out, with the reason). A problem with the whole
source (unreachable, unparsable file) raises `SourceError`: the runner then
leaves the catalogue as it was. `SourceNotModified` says a conditional request
found the source unchanged since the last run. Harvesters never touch the
store.

HTTP lives here once (`HttpClient`, `fetch`): a user agent, timeouts,
retries with exponential back-off and jitter on 429 / 5xx / timeouts /
truncated bodies (honouring Retry-After), a streaming size cap, a polite
interval between requests to one host, conditional requests (ETag /
Last-Modified), redirects followed only to http(s) URLs, and the run's time
limit and abort flag checked between reads.
"""

from __future__ import annotations

import email.utils
import http.client
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from catalogue.models import RecordFailure, RecordSkipped, SourceRecord
from catalogue.sources import SourceConfig

Item = SourceRecord | RecordFailure | RecordSkipped


class SourceError(RuntimeError):
    """The whole source failed: nothing from it is written or withdrawn."""


class SourceNotModified(Exception):  # noqa: N818 - a signal, not an error
    """A conditional request answered 304: the source is as it was last time."""


class Options(BaseModel):
    """Base for a kind's own options in sources.toml (unknown keys refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _never() -> bool:
    return False


@dataclass(frozen=True)
class HarvestContext:
    """What a harvester may know of the catalogue: how to fetch, and what the
    last run of its source left behind. Nothing of the store."""

    base_dir: Path  # local paths in sources.toml are relative to this
    user_agent: str = "GoodPracticeCatalogue"
    timeout: float = 30.0
    max_bytes: int = 100 * 1024 * 1024
    retries: int = 3
    backoff: float = 1.0  # seconds, doubled after each retry (plus jitter)
    max_wait: float = 60.0  # longest single wait between retries (Retry-After included)
    min_interval: float = 0.0  # seconds between two requests to one host
    # Incremental runs: only what changed since this moment (None: everything).
    since: datetime | None = None
    # Conditional requests: url -> {"etag": ..., "last_modified": ...} of the last run.
    validators: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Filled by fetches of this run (saved by the runner when the run succeeds).
    new_validators: dict[str, dict[str, str]] = field(default_factory=dict)
    deadline: float | None = None  # time.monotonic() when the run must stop
    cancelled: Callable[[], bool] = _never  # True once the operator aborted the run

    def check(self) -> None:
        """Raise SourceError when the run is out of time or was aborted."""
        if self.cancelled():
            raise SourceError("aborted by the operator (catalogue harvest --abort)")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SourceError("the run reached its time limit (time_limit in sources.toml) and stopped")


@dataclass(frozen=True)
class Fetched:
    body: bytes
    content_type: str  # media type without parameters, "" when unknown
    location: str  # final URL or path
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


_RETRY_STATUS = {429, 500, 502, 503, 504}
_CHUNK = 64 * 1024


class _Transient(Exception):  # noqa: N818 - internal signal: worth retrying
    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) URLs only; never to file:, ftp:, data: ..."""

    max_redirections = 5

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location)
            if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
                fp.close()
                raise SourceError(
                    f"{req.full_url}: refused a redirect ({code}) to {target!r}: only http(s) redirects are followed"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


_OPENER = urllib.request.build_opener(_SafeRedirects)


class _HostPacer:
    """The polite interval between two requests to one host (shared by all
    harvesters of the process, so two sources on one portal are paced too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, url: str, interval: float) -> None:
        if interval <= 0:
            return
        host = urllib.parse.urlsplit(url).netloc.lower()
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + interval
        if start > now:
            time.sleep(start - now)


PACER = _HostPacer()


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """One polite HTTP client per harvest run (see the module docstring)."""

    def __init__(self, ctx: HarvestContext) -> None:
        self.ctx = ctx

    def request(
        self,
        url: str,
        *,
        method: str = "GET",
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "*/*",
        conditional: bool = False,
        raise_for_status: bool = True,
    ) -> Fetched:
        """Fetch an http(s) URL. Raises SourceError (SourceNotModified on a 304
        answer to a conditional request). With raise_for_status=False, 4xx
        answers come back as they are (APIs put their error in the body)."""
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise SourceError(f"{url}: only http(s) URLs are fetched")
        ctx = self.ctx
        head = {"User-Agent": ctx.user_agent, "Accept": accept, **(headers or {})}
        known = ctx.validators.get(url) if conditional else None
        if known:
            if known.get("etag"):
                head["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                head["If-Modified-Since"] = known["last_modified"]
        delay = ctx.backoff
        for attempt in range(ctx.retries + 1):
            ctx.check()
            PACER.wait(url, ctx.min_interval)
            try:
                fetched = self._once(urllib.request.Request(url, data=data, headers=head, method=method), raise_for_status)
            except _Transient as exc:
                if attempt == ctx.retries:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise SourceError(f"{url}: {exc}{tries}") from None
                wait = exc.wait if exc.wait is not None else delay * (1 + random.random() / 2)  # noqa: S311 - jitter
                if ctx.deadline is not None:
                    wait = min(wait, max(0.0, ctx.deadline - time.monotonic()))
                time.sleep(min(wait, ctx.max_wait))
                delay *= 2
                continue
            if fetched.status == 304:
                raise SourceNotModified(url)
            if conditional and fetched.status == 200:
                validators = {
                    k: v for k, v in (("etag", fetched.headers.get("etag")), ("last_modified", fetched.headers.get("last-modified"))) if v
                }
                if validators:
                    ctx.new_validators[url] = validators
            return fetched
        raise AssertionError("unreachable")

    def _once(self, request: urllib.request.Request, raise_for_status: bool) -> Fetched:
        url = request.full_url
        try:
            response = _OPENER.open(request, timeout=self.ctx.timeout)  # noqa: S310 - http(s) only, see above
        except urllib.error.HTTPError as exc:
            with exc:
                if exc.code == 304:
                    return Fetched(b"", "", url, 304, _headers(exc.headers))
                if exc.code in _RETRY_STATUS:
                    wait = retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None)
                    raise _Transient(f"HTTP {exc.code} {exc.reason}", wait) from None
                if raise_for_status:
                    raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}") from None
                body = self._read(exc, url)
                return Fetched(body, _media(exc.headers), url, exc.code, _headers(exc.headers))
        except SourceError:
            raise
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise _Transient(f"no answer within {self.ctx.timeout:g} s (timeout)") from None
            raise _Transient(f"cannot connect: {reason}") from None
        except TimeoutError:
            raise _Transient(f"no answer within {self.ctx.timeout:g} s (timeout)") from None
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _Transient(f"connection failed: {type(exc).__name__}: {exc}") from None
        with response:
            body = self._read(response, url)
            return Fetched(body, _media(response.headers), response.geturl(), response.status, _headers(response.headers))

    def _read(self, response: http.client.HTTPResponse | urllib.error.HTTPError, url: str) -> bytes:
        """Stream the body under the cap; a body shorter than its
        Content-Length is a truncated answer (retried)."""
        cap = self.ctx.max_bytes
        declared = response.headers.get("Content-Length") if response.headers else None
        expected = int(declared) if declared and declared.isdigit() else None
        if expected is not None and expected > cap:
            raise SourceError(f"{url}: body of {expected} bytes is larger than the cap of {cap} bytes (max_download_bytes)")
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                self.ctx.check()
                chunk = response.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise SourceError(f"{url}: body larger than the cap of {cap} bytes (max_download_bytes)")
                chunks.append(chunk)
        except http.client.IncompleteRead as exc:
            raise _Transient(f"truncated body: the connection closed after {size + len(exc.partial)} bytes") from None
        except TimeoutError:
            raise _Transient(f"the body stopped arriving for {self.ctx.timeout:g} s (timeout) after {size} bytes") from None
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _Transient(f"connection failed while reading: {type(exc).__name__}") from None
        if expected is not None and size < expected:
            raise _Transient(f"truncated body: {size} of {expected} bytes")
        return b"".join(chunks)


def _media(headers: Message | None) -> str:
    return headers.get_content_type() if headers is not None and headers.get("Content-Type") else ""


def _headers(headers: Message | None) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()} if headers is not None else {}


def local_path(url: str, ctx: HarvestContext) -> Path | None:
    """The file a source URL names, or None for an http(s) URL."""
    if url.startswith(("http://", "https://")):
        return None
    path = Path(url.removeprefix("file://"))
    return path if path.is_absolute() else ctx.base_dir / path


def fetch(url: str, ctx: HarvestContext, accept: str = "*/*", conditional: bool = False) -> Fetched:
    """Read a local file or an http(s) URL (see HttpClient). Raises SourceError,
    or SourceNotModified when `conditional` and the source is unchanged."""
    path = local_path(url, ctx)
    if path is None:
        return HttpClient(ctx).request(url, accept=accept, conditional=conditional)
    try:
        size = path.stat().st_size
        if size > ctx.max_bytes:
            raise SourceError(f"{path} is {size} bytes, over the cap of {ctx.max_bytes} (max_download_bytes)")
        if conditional:
            stamp = {"last_modified": str(path.stat().st_mtime_ns), "etag": str(size)}
            if dict(ctx.validators.get(str(path), {})) == stamp:
                raise SourceNotModified(str(path))
            ctx.new_validators[str(path)] = stamp
        return Fetched(path.read_bytes(), "", str(path))
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


class Harvester(ABC):
    """One kind of source. Subclasses set `kind` and `Options`."""

    kind: ClassVar[str]
    Options: ClassVar[type[Options]] = Options
    # True when the kind can ask its source for what changed since a moment
    # (then a run with ctx.since set is incremental and withdraws nothing).
    supports_since: ClassVar[bool] = False

    def __init__(self, source: SourceConfig, ctx: HarvestContext) -> None:
        self.source = source
        self.ctx = ctx
        self.options = self.Options.model_validate(source.options)
        self.expected: int | None = None  # records the source says it has, when it says
        self.incomplete_reason: str | None = None  # why this run's listing is not the whole source

    @property
    def complete(self) -> bool:
        """True when the stream covers the whole source, so that a record
        missing from it was withdrawn there (False for incremental runs, or
        when the harvester noticed the listing was cut short)."""
        return self.incomplete_reason is None and not (self.supports_since and self.ctx.since is not None)

    @abstractmethod
    def records(self) -> Iterator[Item]:
        """Yield the source's records; raise SourceError if the source fails."""
