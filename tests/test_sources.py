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
