"""The home page's figures and the catalogue's feed come from cheap queries;
they must give what the one plain query over every record gives, withdrawn
records included."""

from __future__ import annotations

from pathlib import Path

from catalogue import feed, stats
from catalogue.core import Catalogue
from catalogue.sources import load_sources

_GPC = "https://w3id.org/gpc/ns#"
_DCT = "http://purl.org/dc/terms/"
CLASSES = (f"{_GPC}Project", "http://xmlns.com/foaf/0.1/Organization", f"{_GPC}Practice")


def plain_count(cat: Catalogue, cls: str) -> int:
    rows = cat.store.select(
        f"""SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{
              GRAPH ?g {{ ?e a <{cls}> . ?g <{_GPC}recordStatus> <{_GPC}Active> }} }}"""
    )
    return int(str(rows[0]["n"]))


def plain_latest(cat: Catalogue, wanted: int) -> list[tuple[str, str]]:
    rows = cat.store.select(
        f"SELECT ?p ?first ?changed WHERE {{ GRAPH ?g {{ {feed._RECORD} }} }} ORDER BY DESC(?changed) LIMIT {wanted}"
    )
    return [(str(r["p"]), str(r["changed"])) for r in rows]


def withdraw_some(cat: Catalogue, sources: Path) -> None:
    """Drop every other practice and the projects file's last rows from the sources, and harvest again."""
    practices = sources / "practices.csv"
    lines = practices.read_text(encoding="utf-8").splitlines(keepends=True)
    practices.write_text("".join([lines[0], *lines[1::2]]), encoding="utf-8")
    projects = sources / "projects.csv"
    rows = projects.read_text(encoding="utf-8").splitlines(keepends=True)
    projects.write_text("".join(rows[:-3]), encoding="utf-8")
    # A deliberate purge, not an outage: let the runner withdraw half a source.
    toml = sources / "sources.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('key_prefix = "demo"', 'key_prefix = "demo"\nmin_listing_fraction = 0.0'), encoding="utf-8")
    runs = cat.harvest(load_sources(toml), ["demo-projects", "demo-local-list"])
    assert sum(r.counts.withdrawn for r in runs) > 3


def test_entity_counts_match_the_plain_query(own_catalogue: tuple[Catalogue, Path]) -> None:
    cat, sources = own_catalogue
    before = {cls: stats._count(cat, cls) for cls in CLASSES}
    assert before == {cls: plain_count(cat, cls) for cls in CLASSES}
    withdraw_some(cat, sources)
    after = {cls: stats._count(cat, cls) for cls in CLASSES}
    assert after == {cls: plain_count(cat, cls) for cls in CLASSES}
    assert after[f"{_GPC}Practice"] < before[f"{_GPC}Practice"]
    assert after[f"{_GPC}Project"] < before[f"{_GPC}Project"]


def test_latest_records_match_the_plain_ordered_query(own_catalogue: tuple[Catalogue, Path]) -> None:
    cat, sources = own_catalogue
    withdraw_some(cat, sources)  # the latest changes are withdrawals: they must be skipped
    for wanted in (1, 5, 12, 1000):
        got = [(str(r["p"]), str(r["changed"])) for r in feed._latest_records(cat, wanted)]
        expected = plain_latest(cat, wanted)
        assert [c for _p, c in got] == [c for _p, c in expected]  # the same dates, newest first
        assert {p for p, _c in got} <= {p for p, _c in plain_latest(cat, 10_000)}
        assert len(got) == min(wanted, len(plain_latest(cat, 10_000)))
