"""The Catalogue object: its parts follow what other processes do."""

from __future__ import annotations

from collections.abc import Callable

from catalogue.cli import demo_sources_path
from catalogue.core import Catalogue
from catalogue.index import Query
from catalogue.sources import load_sources


def test_a_running_server_follows_a_reindex_done_elsewhere(make_catalogue: Callable[..., Catalogue]) -> None:
    writer = make_catalogue()
    writer.harvest(load_sources(demo_sources_path()), ["demo-local-list"])
    server = Catalogue(writer.settings)  # as `catalogue serve` holds it
    try:
        before = server.engine
        total = before.search(Query()).total
        assert total > 0
        writer.reindex()  # swaps the generation and removes the old one
        after = server.engine
        assert after is not before
        assert after.path != before.path and not before.path.exists()
        assert after.search(Query()).total == total
        assert server.engine is after  # no reopen while nothing changes
    finally:
        server.close()
