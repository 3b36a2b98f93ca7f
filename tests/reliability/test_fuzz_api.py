"""Schemathesis fuzzes every operation of the app's own OpenAPI schema: never a 500.

(Its pytest plugin does not run on pytest 9, so its strategies are driven with Hypothesis.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def test_no_operation_answers_500(settings, store):
    from starlette.testclient import TestClient

    from webhooks.app import create_app

    # The schema is served only when HANYA_API_DOCS turns it on.
    with TestClient(create_app(settings.model_copy(update={"api_docs": True}))) as client:
        _fuzz_all(client)


def _fuzz_all(client) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5  # the webhooks, health checks and whatever else is mounted
    tried: dict[str, int] = {}
    for operation in operations:
        _fuzz(operation, tried)
    assert all(tried.values()), tried
    print(f"fuzz figures: {len(tried)} operations, {sum(tried.values())} requests, no 5xx")


def _fuzz(operation, tried: dict[str, int]) -> None:
    label = operation.label

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def never_500(case):
        response = case.call()
        tried[label] = tried.get(label, 0) + 1
        assert response.status_code < 500, (
            f"{label} answered {response.status_code} to {case.body!r}")

    never_500()
