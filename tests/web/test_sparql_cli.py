"""`catalogue query`: SPARQL on the catalogue's store from the command line, with
the formats and the screening of /sparql (the store may be in use)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from catalogue.cli import app
from catalogue.core import Catalogue

runner = CliRunner()
COUNT = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/gpc/ns#Practice> }"


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, demo_catalogue: Catalogue) -> None:
    # The session catalogue holds its store read-write: the command opens it read-only beside.
    monkeypatch.setenv("CATALOGUE_DATA_DIR", str(demo_catalogue.settings.data_dir))
    monkeypatch.setenv("CATALOGUE_BASE_URI", "https://gpc.test")
    monkeypatch.chdir(tmp_path)


def practices(demo_catalogue: Catalogue) -> int:
    return int(demo_catalogue.store.select(COUNT)[0]["n"])


def test_select_defaults_to_tsv(demo_catalogue: Catalogue) -> None:
    result = runner.invoke(app, ["query", COUNT])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout), delimiter="\t"))
    assert rows[0] == ["?n"] and int(rows[1][0].split('"')[1] if '"' in rows[1][0] else rows[1][0]) == practices(demo_catalogue)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_result_formats(fmt: str, demo_catalogue: Catalogue) -> None:
    result = runner.invoke(app, ["query", COUNT, "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        assert int(json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"]) == practices(demo_catalogue)


@pytest.mark.parametrize(("fmt", "rdflib_format"), [("turtle", "turtle"), ("ntriples", "nt"), ("rdfxml", "xml")])
def test_graph_formats_from_a_file_and_to_a_file(tmp_path: Path, fmt: str, rdflib_format: str) -> None:
    query = tmp_path / "q.rq"
    query.write_text("CONSTRUCT { ?p a <https://w3id.org/gpc/ns#Practice> } WHERE { ?p a <https://w3id.org/gpc/ns#Practice> }")
    out = tmp_path / "answer"
    result = runner.invoke(app, ["query", "--file", str(query), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(Graph().parse(out, format=rdflib_format)) > 50


def test_query_from_standard_input_with_a_timeout() -> None:
    result = runner.invoke(app, ["query", "-", "--format", "json", "--timeout", "20"], input="ASK { ?s ?p ?o }")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["boolean"] is True


def test_a_runaway_query_stops_at_the_timeout() -> None:
    result = runner.invoke(app, ["query", "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "--timeout", "1"])
    assert result.exit_code == 1
    assert "longer than 1 seconds" in result.stderr


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("DROP ALL", "read-only"),
        ("SELECT * WHERE {", "not valid SPARQL"),
    ],
)
def test_refusals_exit_1_with_the_reason(query: str, message: str) -> None:
    result = runner.invoke(app, ["query", query])
    assert result.exit_code == 1
    assert message in result.stderr


def test_unknown_format_is_a_usage_error() -> None:
    result = runner.invoke(app, ["query", "ASK {}", "--format", "yaml"])
    assert result.exit_code == 2 and "known:" in result.stderr


def test_the_query_goes_to_the_catalogues_own_store(sparql_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    # With a remote store (Virtuoso), the command asks it; the local directory is not read.
    import catalogue.cli

    monkeypatch.setattr(catalogue.cli, "_settings", lambda **_: sparql_catalogue.settings)
    result = runner.invoke(app, ["query", COUNT, "--format", "json", "--timeout", "30"])
    assert result.exit_code == 0, result.output
    assert int(json.loads(result.stdout)["results"]["bindings"][0]["n"]["value"]) == practices(sparql_catalogue)
