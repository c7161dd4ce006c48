"""sources.toml: mistakes are refused with the source and key named."""

from __future__ import annotations

import pytest

from catalogue.sources import SourcesError, parse_sources

GOOD = """
[[source]]
name = "demo"
kind = "dcat"
url = "practices.ttl"
"""


def test_a_good_file_parses() -> None:
    sources = parse_sources(GOOD)
    assert [s.name for s in sources.select([])] == ["demo"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[source]]\nname = "x"\nkind = "nope"\nurl = "a"\n', "key 'kind': unknown source kind 'nope'"),
        ('[[source]]\nname = "x"\nkind = "dcat"\n', "key 'url': Field required"),
        ('[[source]]\nname = "Bad Name"\nkind = "dcat"\nurl = "a"\n', "key 'name'"),
        ('[[source]]\nname = "x"\nkind = "dcat"\nurl = "a"\nschedule = "daily"\n', "key 'schedule'"),
        ('[[source]]\nname = "x"\nkind = "dcat"\nurl = "a"\nformatt = "turtle"\n', "key 'formatt': unknown key"),
        ('[[source]]\nname = "x"\nkind = "tabular"\nurl = "a"\nentity = "practice"\n', "key 'columns'"),
        (GOOD + GOOD, "duplicate source name(s): demo"),
        ("[[source]\n", "not valid TOML"),
        ('[sources]\nname = "x"\n', "unknown top-level key"),
    ],
)
def test_mistakes_name_the_source_and_key(text: str, expected: str) -> None:
    with pytest.raises(SourcesError) as info:
        parse_sources(text)
    assert expected in str(info.value)


def test_selecting_an_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(SourcesError, match="unknown source.*known: demo"):
        parse_sources(GOOD).select(["other"])


def test_disabled_sources_run_only_when_named() -> None:
    sources = parse_sources(GOOD + GOOD.replace('"demo"', '"off"') + "enabled = false\n")
    assert [s.name for s in sources.select([])] == ["demo"]
    assert [s.name for s in sources.select(["off"])] == ["off"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("min_listing_fraction = 2\n", "key 'min_listing_fraction'"),
        ("time_limit = 0\n", "key 'time_limit'"),
        ('schedule = "61 * * * *"\n', "minute: 61 is outside 0-59"),
        ("request_interval = -1\n", "key 'request_interval'"),
    ],
)
def test_common_keys_are_checked(extra: str, expected: str) -> None:
    with pytest.raises(SourcesError) as info:
        parse_sources(GOOD + extra)
    assert expected in str(info.value) and "source #1 (demo)" in str(info.value)


@pytest.mark.parametrize(
    ("kind", "options", "expected"),
    [
        ("ckan", 'rows = 5000\n', "key 'rows'"),
        ("ckan", 'entity = "city"\n', "key 'entity'"),
        ("sparql", "", "give either query or preset"),
        ("sparql", 'preset = "cordis"\nquery = "SELECT * {}"\n', "give either query or preset"),
        ("cordis", 'format = "xlsx"\n', "key 'format'"),
        ("dcat", "max_pages = 0\n", "key 'max_pages'"),
    ],
)
def test_each_kinds_options_are_checked_with_the_key_named(kind: str, options: str, expected: str) -> None:
    text = f'[[source]]\nname = "x"\nkind = "{kind}"\nurl = "http://example.eu/"\n{options}'
    with pytest.raises(SourcesError) as info:
        parse_sources(text)
    assert expected in str(info.value) and "source #1 (x)" in str(info.value)


def test_the_shipped_sources_file_is_valid() -> None:
    from pathlib import Path

    from catalogue.sources import load_sources

    sources = load_sources(Path(__file__).parents[1] / "sources.toml")
    kinds = {s.kind for s in sources.sources}
    assert kinds == {"ckan", "dcat", "sparql", "cordis", "tabular"}
    enabled = [s for s in sources.sources if s.enabled]
    assert enabled and all(not s.url.startswith("http") for s in enabled)  # only the offline demo sources run by default
