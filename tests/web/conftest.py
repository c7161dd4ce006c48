from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from catalogue.core import Catalogue
from catalogue.web import create_app


@pytest.fixture(scope="module")
def client(demo_catalogue: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(demo_catalogue.settings, demo_catalogue)) as test_client:
        yield test_client
