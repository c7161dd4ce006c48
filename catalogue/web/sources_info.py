"""What the harvests page says about each source beyond its runs: its title,
kind, address and schedule, from the sources file in the settings and the
bundled demo sources. A missing or broken file only loses the titles."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..settings import Settings
from ..sources import SourcesError, load_sources


@dataclass(frozen=True)
class SourceInfo:
    name: str
    title: str | None
    kind: str
    url: str
    schedule: str


def _demo_sources() -> Path:
    return Path(str(resources.files("catalogue").joinpath("demo/sources.toml")))


def source_titles(settings: Settings) -> dict[str, SourceInfo]:
    """source name -> what its declaration says (the settings' file wins)."""
    found: dict[str, SourceInfo] = {}
    for path in (_demo_sources(), settings.sources):
        try:
            declared = load_sources(path).sources
        except (SourcesError, OSError):
            continue
        for s in declared:
            url = s.url if s.url.startswith(("http://", "https://")) else ""
            found[s.name] = SourceInfo(s.name, s.title, s.kind, url, s.schedule)
    return found
