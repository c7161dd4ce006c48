"""The sources file (`sources.toml`): which sources to harvest and how.

Each `[[source]]` table has `name`, `kind`, `url`, `enabled`, `schedule`
(cron) and the kind's own options, which the kind's harvester validates. A
mistake is refused with the source and key named.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .schedule import Cron, CronError

# Keys every source may have, whatever its kind (the rest belong to the kind).
COMMON_KEYS = (
    "name", "kind", "url", "enabled", "schedule", "title", "time_limit",
    "min_listing_fraction", "request_interval", "full_every_days",
)  # fmt: skip


class SourcesError(ValueError):
    """The sources file is unreadable or a source in it is wrong."""


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Unique short name, used in URIs.")
    kind: str = Field(description="Harvester kind: dcat, tabular, ... (see harvesters/).")
    url: str = Field(min_length=1, description="http(s) URL, or a path relative to the sources file.")
    enabled: bool = True
    schedule: str = Field(default="0 3 * * *", description="Cron expression (5 fields) for `catalogue schedule`.")
    title: str | None = None
    time_limit: float = Field(
        default=4 * 3600, gt=0, description="Seconds a run may take; then it stops, fails and withdraws nothing."
    )
    min_listing_fraction: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A complete listing smaller than this fraction of the records active after the last run "
        "withdraws nothing (an outage or a broken export, not mass deletion).",
    )
    request_interval: float = Field(
        default=1.0, ge=0, description="Seconds between two requests to the source's host (politeness)."
    )
    full_every_days: float = Field(
        default=7, gt=0, description="Incremental kinds: run a full listing (which can withdraw) at least this often."
    )

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            Cron.parse(value)
        except CronError as exc:
            raise ValueError(f"must be a cron expression with 5 fields, e.g. '0 3 * * *' ({exc})") from None
        return value

    @property
    def cron(self) -> Cron:
        return Cron.parse(self.schedule)

    @property
    def options(self) -> dict[str, Any]:
        """The kind-specific keys of this source's table."""
        return dict(self.model_extra or {})


class SourceList(BaseModel):
    path: Path | None = None
    sources: list[SourceConfig]

    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def select(self, names: list[str]) -> list[SourceConfig]:
        """The named sources (all enabled ones when no name is given)."""
        if not names:
            return [s for s in self.sources if s.enabled]
        known = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise SourcesError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return [known[n] for n in names]


def parse_sources(text: str, path: Path | None = None) -> SourceList:
    where = str(path) if path else "sources"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{where}: not valid TOML: {exc}") from exc
    unknown_top = set(data) - {"source"}
    if unknown_top:
        raise SourcesError(f"{where}: unknown top-level key(s) {sorted(unknown_top)}; sources are [[source]] tables")
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise SourcesError(f"{where}: 'source' must be an array of tables ([[source]])")
    sources: list[SourceConfig] = []
    for n, table in enumerate(tables, start=1):
        label = f"{where}: source #{n} ({table.get('name', 'unnamed')})"
        try:
            source = SourceConfig.model_validate(table)
        except ValidationError as exc:
            raise SourcesError(f"{label}: {_explain(exc)}") from None
        _check_options(source, label)
        sources.append(source)
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SourcesError(f"{where}: duplicate source name(s): {', '.join(duplicates)}")
    return SourceList(path=path, sources=sources)


def _check_options(source: SourceConfig, label: str) -> None:
    from harvesters import HarvesterNotFound, harvester_class

    try:
        cls = harvester_class(source.kind)
    except HarvesterNotFound as exc:
        raise SourcesError(f"{label}: key 'kind': {exc}") from None
    try:
        cls.Options.model_validate(source.options)
    except ValidationError as exc:
        raise SourcesError(f"{label}: {_explain(exc)}") from None


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "?"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"key '{key}': {msg}")
    return "; ".join(parts)


def load_sources(path: Path) -> SourceList:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"cannot read sources file {path}: {exc.strerror or exc}") from exc
    return parse_sources(text, path.resolve())
