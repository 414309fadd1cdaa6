"""Property-based fuzzing of the whole commerce API from its own OpenAPI document, against a
real ``showfloor serve commerce`` process: whatever the input, never a 5xx."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.support.processes import SHOWFLOOR, free_port, showfloor_server

pytestmark = pytest.mark.integration

PASSWORD = "fuzzing password 123"


@pytest.fixture(scope="module")
def commerce_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    var_dir: Path = tmp_path_factory.mktemp("fuzz")
    env = {"SHOWFLOOR_VAR_DIR": str(var_dir), "SHOWFLOOR_LOGIN_ATTEMPTS_PER_IP": "100000"}
    full_env = {**os.environ, **env}
    subprocess.run([*SHOWFLOOR, "db", "upgrade"], env=full_env, check=True, capture_output=True)
    subprocess.run(
        [*SHOWFLOOR, "user", "create", "--email", "fuzz@example.com", "--role", "host",
         "--password-stdin"],
        input=PASSWORD.encode(), env=full_env, check=True, capture_output=True,
    )
    port = free_port()
    with showfloor_server(["serve", "commerce", "--port", str(port)], env=env, port=port,
                          log_dir=var_dir):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def host_headers(commerce_url: str) -> dict[str, str]:
    response = httpx.post(f"{commerce_url}/api/v1/auth/login",
                          json={"email": "fuzz@example.com", "password": PASSWORD})
    response.raise_for_status()
    token = response.json()["access_token"]
    # Something to read and change, so that the fuzzer reaches past the 404s.
    show = httpx.post(f"{commerce_url}/api/v1/shows/", json={"title": "Fuzzed"},
                      headers={"Authorization": f"Bearer {token}"})
    show.raise_for_status()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def commerce_schema(commerce_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{commerce_url}/schema/openapi.json")


def test_no_input_makes_the_server_fail(
    commerce_schema: schemathesis.BaseSchema, commerce_url: str, host_headers: dict[str, str]
) -> None:
    operations = [result.ok() for result in commerce_schema.get_all_operations()]
    assert len(operations) >= 12, "every commerce route is in the OpenAPI document"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=commerce_url, headers=host_headers,
                                   checks=[not_a_server_error])

        fuzz()
