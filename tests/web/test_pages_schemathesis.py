"""schemathesis against /openapi.json, over real HTTP on loopback: whatever
it sends, valid or not, the API answers without a server error (5xx).
Bounded: a few dozen generated requests per operation and mode, no example
database."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from catalogue.openapi import openapi

EXAMPLES = 40


def _cases() -> list[tuple[schemathesis.APIOperation, GenerationMode]]:
    """Valid requests to every operation; invalid ones too where there are
    query parameters to get wrong (a path key or no parameter cannot be)."""
    out = []
    for result in schemathesis.openapi.from_dict(openapi()).get_all_operations():
        operation = result.ok()
        out.append((operation, GenerationMode.POSITIVE))
        if any(p.location == "query" for p in operation.iter_parameters()):
            out.append((operation, GenerationMode.NEGATIVE))
    return out


@pytest.mark.parametrize(("operation", "mode"), _cases(), ids=lambda v: getattr(v, "label", getattr(v, "value", "")))
def test_the_api_never_answers_5xx(operation: schemathesis.APIOperation, mode: GenerationMode, live_server: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)  # fmt: skip
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=live_server, checks=[not_a_server_error], timeout=30)

    check()
