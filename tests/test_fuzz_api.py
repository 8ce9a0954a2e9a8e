"""API fuzzing with schemathesis against the app's own OpenAPI schema, in process (ASGI).

Properties checked, for every operation of ``/openapi.json`` and for valid and invalid
(negative) inputs generated from it, with a fixed seed and a bounded number of examples:
1. No response is a 5xx (``not_a_server_error``).
2. Every response with a documented status conforms to the documented schema
   (``response_schema_conformance``), e.g. a 422 is an ``ErrorBody``, a 200 a
   ``SearchResponse``.
3. Every 4xx and 5xx body is JSON with ``error`` and ``message``.
The index is the real sample index built once per session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from indexer.settings import Settings
from search.http.app import create_app

pytestmark = pytest.mark.slow  # schemathesis fuzzing of the whole API

# Every operation is an item of the same test id, and a pytest-xdist worker runs one of
# them: in a `-n` run the fuzzing would pass having tested one operation of seven. `make
# test` runs this file in a process of its own.
if os.environ.get("PYTEST_XDIST_WORKER"):
    pytest.skip("run without -n (see the Makefile's test target)", allow_module_level=True)

# Bounded for `make test`; MPSEARCH_FUZZ_EXAMPLES=2000 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("MPSEARCH_FUZZ_EXAMPLES", "100"))


# The OpenAPI document does not depend on the index: load it from an app with no home.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Settings(home=Path("/nonexistent-mpsearch-home")))
)
schema.config.seed = 20250314


@pytest.fixture(scope="module")
def app(sample_home: Path) -> FastAPI:
    """The app under test, serving the sample index."""
    app = create_app(Settings(home=sample_home))
    app.state.holder.refresh()  # what the lifespan does; the ASGI transport skips lifespan
    return app


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(app: FastAPI, case: schemathesis.Case) -> None:
    response = case.call_and_validate(
        checks=[not_a_server_error, response_schema_conformance], app=app
    )
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and {"error", "message"} <= body.keys(), body
