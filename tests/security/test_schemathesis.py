"""docs/openapi.yaml fuzzed against the running server with schemathesis: every operation, the
destructive ones too, with data that fits the document (positive) and data that breaks it
(negative), as a `lead` credential, a `triage` one and another partner's. Not one answer may be a
server error, and every answer must be what the document says (status, content type, headers,
body schema); data that breaks the document must be refused.

Bounded for a 2-core machine: EXAMPLES examples per operation and mode, without shrinking.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests
import schemathesis
from casework import make_world, store_case
from desk_world import api_server
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = 100
"""Per operation and mode: 12 operations x 2 modes x 100, less what cannot be made invalid (the
health check takes no input): about 2,300 requests, a minute or two here."""
THROWAWAY_CASES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CALLERS = ("lead", "triage", "other")
T = TypeVar("T")


@dataclass
class Deployment:
    """What the fuzzer aims at: the server's URL, the tokens, and ids that exist."""

    url: str
    tokens: dict[str, str]
    case_ids: list[str]
    entry_ids: list[str]
    credential_ids: list[int | None]
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


async def test_schemathesis_finds_no_server_error_and_no_departure_from_the_document(
    session_factory,
):
    world = await make_world(session_factory)
    key = world.keys["mekong-workers"].public_key
    stored = [world.case] + [
        await store_case(session_factory, "mekong-workers", key) for _ in range(THROWAWAY_CASES)
    ]
    tokens = {
        "lead": world.tokens["own"],
        "triage": world.tokens["triage"],
        "other": world.tokens["other"],
    }
    case_ids = [case.id for case in stored] + [world.other_case.id]
    entry_ids = [case.report_id for case in stored] + [world.other_case.report_id]
    # Every kind of assignee: the partner's two, another partner's, a revoked one, nobody.
    credential_ids = [*world.credential_ids.values(), None]
    async with api_server(session_factory) as url:
        deployment = Deployment(url, tokens, case_ids, entry_ids, credential_ids)
        started = time.monotonic()
        failures = await asyncio.to_thread(fuzz, deployment)
        seconds = time.monotonic() - started
    print(
        f"\nschemathesis: {deployment.requests} requests in {seconds:.0f} s, "
        f"statuses {dict(sorted(deployment.statuses.items()))}"
    )
    assert not any(status >= 500 for status in deployment.statuses)
    assert failures == []


def fuzz(deployment: Deployment) -> list[str]:
    """Every operation in both modes; the first failure of each is reported (not shrunk)."""
    schema = schemathesis.openapi.from_path(str(SPEC))
    failures: list[str] = []
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz_one(deployment, http, operation, mode)
                except Unsatisfiable:
                    if mode != GenerationMode.NEGATIVE or operation.label != "GET /healthz":
                        raise
                except Exception as exc:
                    failures.append(f"{operation.label} ({mode.value}): {exc}")
    return failures


def _fuzz_one(
    deployment: Deployment, http: requests.Session, operation: Any, mode: GenerationMode
) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=operation.as_strategy(generation_mode=mode),
        caller=st.sampled_from(CALLERS),
        existing=st.booleans(),
        pick=st.integers(min_value=0),
    )
    def run(case: Any, caller: str, existing: bool, pick: int) -> None:
        if existing and mode == GenerationMode.POSITIVE:
            # Aim half the valid requests at cases and entries that exist (some of them the
            # other partner's): purges, status changes and re-wraps then really happen.
            if "case_id" in (case.path_parameters or {}):
                case.path_parameters["case_id"] = _pick(deployment.case_ids, pick)
            if "entry_id" in (case.path_parameters or {}):
                case.path_parameters["entry_id"] = _pick(deployment.entry_ids, pick)
            if isinstance(case.body, dict) and "credential_id" in case.body:
                case.body["credential_id"] = _pick(deployment.credential_ids, pick)
        if case.query:
            case.query = _sendable(case.query)
        headers = {"Authorization": f"Bearer {deployment.tokens[caller]}"}
        response = case.call(base_url=deployment.url, session=http, headers=headers, timeout=30)
        deployment.requests += 1
        status = response.status_code
        deployment.statuses[status] = deployment.statuses.get(status, 0) + 1
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except Exception as exc:
            raise AssertionError(f"{exc}\n{case.as_curl_command()}") from None

    run()


def _sendable(query: dict[str, Any]) -> dict[str, Any]:
    """The query as it will be sent: `requests` drops a parameter whose value is an empty list
    or object, which would turn a request meant to break the document (an unknown parameter)
    into one that keeps it. Sent empty instead, the parameter still reaches the server."""
    return {name: [""] if value in ([], {}) else value for name, value in query.items()}


def _pick(ids: list[T], index: int) -> T:
    return ids[index % len(ids)]
