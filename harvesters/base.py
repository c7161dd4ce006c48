"""The harvester contract, and what every harvester shares: polite, capped I/O.

A harvester turns one source into a stream of `SourceRecord`s (one source
record each, mapped to the application profile) and `RecordFailure`s (a
record it could read but not map: that record fails alone). A problem with the
whole source (unreachable, unparsable file) raises `SourceError`: the runner
then leaves the catalogue as it was. Harvesters never touch the store.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from catalogue.models import RecordFailure, SourceRecord
from catalogue.sources import SourceConfig

Item = SourceRecord | RecordFailure


class SourceError(RuntimeError):
    """The whole source failed: nothing from it is written."""


class Options(BaseModel):
    """Base for a kind's own options in sources.toml (unknown keys refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class HarvestContext:
    """What a harvester may know of the catalogue: how to fetch, nothing else."""

    base_dir: Path  # local paths in sources.toml are relative to this
    user_agent: str = "GoodPracticeCatalogue"
    timeout: float = 30.0
    max_bytes: int = 100 * 1024 * 1024
    retries: int = 3
    backoff: float = 1.0  # seconds, doubled after each retry


@dataclass(frozen=True)
class Fetched:
    body: bytes
    content_type: str  # media type without parameters, "" when unknown
    location: str  # final URL or path


_RETRY_STATUS = {429, 500, 502, 503, 504}


def fetch(url: str, ctx: HarvestContext, accept: str = "*/*") -> Fetched:
    """Read a local file or an http(s) URL, with timeout, retries with
    back-off, a user agent and a size cap. Raises SourceError."""
    if not url.startswith(("http://", "https://")):
        path = Path(url.removeprefix("file://"))
        path = path if path.is_absolute() else ctx.base_dir / path
        try:
            size = path.stat().st_size
            if size > ctx.max_bytes:
                raise SourceError(f"{path} is {size} bytes, over the cap of {ctx.max_bytes}")
            return Fetched(path.read_bytes(), "", str(path))
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    request = urllib.request.Request(url, headers={"User-Agent": ctx.user_agent, "Accept": accept})
    delay = ctx.backoff
    for attempt in range(ctx.retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=ctx.timeout) as response:  # noqa: S310 - http(s) only
                body = response.read(ctx.max_bytes + 1)
                if len(body) > ctx.max_bytes:
                    raise SourceError(f"{url}: body larger than the cap of {ctx.max_bytes} bytes")
                media = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
                return Fetched(body, media, response.geturl())
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRY_STATUS or attempt == ctx.retries:
                raise SourceError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
            retry_after = exc.headers.get("Retry-After", "") if exc.headers else ""
            wait = float(retry_after) if retry_after.isdigit() else delay
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == ctx.retries:
                raise SourceError(f"{url}: {getattr(exc, 'reason', exc)}") from exc
            wait = delay
        time.sleep(min(wait, 60.0))
        delay *= 2
    raise AssertionError("unreachable")


class Harvester(ABC):
    """One kind of source. Subclasses set `kind` and `Options`."""

    kind: ClassVar[str]
    Options: ClassVar[type[Options]] = Options

    def __init__(self, source: SourceConfig, ctx: HarvestContext) -> None:
        self.source = source
        self.ctx = ctx
        self.options = self.Options.model_validate(source.options)

    @property
    def complete(self) -> bool:
        """True when the stream covers the whole source, so that a record
        missing from it was withdrawn there (False for incremental runs)."""
        return True

    @abstractmethod
    def records(self) -> Iterator[Item]:
        """Yield the source's records; raise SourceError if the source fails."""
