"""The sources file (`sources.toml`): which sources to harvest and how.

Each `[[source]]` table has `name`, `kind`, `url`, `enabled`, `schedule`
(cron) and the kind's own options, which the kind's harvester validates. A
mistake is refused with the source and key named.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_CRON_FIELD = re.compile(r"^[\d*/,\-]+$")


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

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError("must be a cron expression with 5 fields, e.g. '0 3 * * *'")
        return value

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
