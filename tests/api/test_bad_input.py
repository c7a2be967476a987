"""Bad input gets a clear problem+json 4xx naming what was wrong, and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.conftest import Actor, count

LOC = factories.report()["location"]
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", factories.report(colour="red"), "colour"),
    ("unknown nested field", factories.report(subject={"count": 1, "mood": "sad"}), "subject.mood"),
    (
        "missing description",
        {k: v for k, v in factories.report().items() if k != "description"},
        "description",
    ),
    ("empty description", factories.report(description=""), "description"),
    ("oversized description", factories.report(description="x" * 4001), "description"),
    ("oversized address", factories.report(location={**LOC, "address": "a" * 501}), "location.address"),
    (
        "latitude outside Indonesia",
        factories.report(location={**LOC, "lat": 35.68, "lon": 139.69}),
        "location.lat",
    ),
    ("longitude outside Indonesia", factories.report(location={**LOC, "lon": 151.2}), "location.lon"),
    ("lat without lon", factories.report(location={"lat": 1.14, "region_code": "21.71"}), "location"),
    (
        "unknown region code",
        factories.report(location={**LOC, "region_code": "21.71.99.9999"}),
        "location.region_code",
    ),
    (
        "malformed region code",
        factories.report(location={**LOC, "region_code": "2171"}),
        "location.region_code",
    ),
    ("invalid phone", factories.report(reporter={"name": "A", "phone": "12345"}), "reporter.phone"),
    (
        "anonymous with phone",
        factories.report(reporter={"anonymous": True, "phone": "081234567890"}),
        "reporter",
    ),
    ("unknown category", factories.report(category="XYZ"), "category"),
    ("unknown channel", factories.report(channel="pigeon"), "channel"),
    ("unknown flag", factories.report(subject={"flags": ["grumpy"]}), "subject.flags.0"),
    ("negative count", factories.report(subject={"count": 0}), "subject.count"),
    ("bad NIK", factories.report(subject={"nik": "12345"}), "subject.nik"),
    (
        "future received_at",
        factories.report(received_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat()),
        "received_at",
    ),
    ("naive received_at", factories.report(received_at="2026-11-22T10:00:00"), "received_at"),
    ("wrong type", factories.report(subject={"count": "many"}), "subject.count"),
]


@pytest.mark.parametrize(("why", "body", "field"), CASES, ids=[c[0] for c in CASES])
async def test_invalid_report_is_422_naming_the_field(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    db: async_sessionmaker[AsyncSession],
    why: str,
    body: dict[str, Any],
    field: str,
) -> None:
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 422, (why, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422 and problem["title"] and problem["type"].startswith("https://")
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await count(db, "reports") == 0
    assert await count(db, "events") == 0


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    r = await client.post(
        "/api/v1/reports",
        content=b'{"channel": "call_center",',
        headers={**actors["operator"].headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert "JSON" in r.json()["detail"]
    assert await count(db, "reports") == 0


async def test_wrong_content_type_is_415(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    r = await client.post(
        "/api/v1/reports",
        content=b"channel=call_center",
        headers={**actors["operator"].headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"


async def test_oversized_body_is_413(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    body = factories.report(description="x" * 70_000)
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert await count(db, "reports") == 0


async def test_chunked_oversized_body_is_413(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 8192

    r = await client.post(
        "/api/v1/reports",
        content=chunks(),
        headers={**actors["operator"].headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413


@pytest.mark.parametrize("auth", [None, "Bearer not-a-token", "Basic dXNlcjpwYXNz"])
async def test_missing_or_bad_credentials_are_401(
    client: httpx.AsyncClient, auth: str | None, db: async_sessionmaker[AsyncSession]
) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = await client.post("/api/v1/reports", json=factories.report(), headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert await count(db, "reports") == 0


async def test_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = await client.delete("/api/v1/reports")
    assert r.status_code == 405 and r.headers["content-type"] == "application/problem+json"


async def test_bad_query_and_path_parameters(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    h = actors["operator"].headers
    r = await client.get("/api/v1/incidents/not-a-uuid", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "path.incident_id"
    r = await client.get("/api/v1/incidents", params={"priority": 9}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.priority"
    r = await client.get("/api/v1/incidents", params={"cursor": "garbage"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.cursor"


def _forged(values: list[Any]) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


async def test_a_forged_cursor_is_422_not_a_database_error(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    # Well-formed base64 JSON, but what it holds cannot be stored: a priority beyond 64 bits, a year 9999
    # with an offset, a year 1 (a 500 from PostgreSQL before the cursor was bounded).
    some = str(uuid.uuid4())
    for path, order, values in (
        ("/api/v1/incidents", "priority", [10**30, "2026-11-29T00:00:00+00:00", some]),
        ("/api/v1/incidents", "priority", [1, "9999-12-31T23:59:59-23:00", some]),
        ("/api/v1/incidents", "newest", ["0001-01-01T00:00:00+14:00", some]),
        ("/api/v1/agency/referrals", None, ["9999-12-31T23:59:59-23:00", some]),
    ):
        who = actors["agency" if "agency" in path else "operator"]
        params = {"cursor": _forged(values), **({"order": order} if order else {})}
        r = await client.get(path, params=params, headers=who.headers)
        assert r.status_code == 422, (path, values, r.text)
        assert r.json()["errors"][0]["field"] == "query.cursor"


# ---- input that can't hurt (issue 12): control characters, ids beyond 64 bits, instants out of range ----

PUBLIC_REPORT = {k: v for k, v in factories.report().items() if k not in {"channel"}}


def _problem_names(r: httpx.Response, field: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PUBLIC_REPORT, "description": "a\u0000b"}, "description"),
        ({**PUBLIC_REPORT, "description": "bel \u0007 berbunyi"}, "description"),
        ({**PUBLIC_REPORT, "description": "C1 \u0085 control"}, "description"),
        ({**PUBLIC_REPORT, "reporter": {"name": "Siti\u0000", "phone": "081234567890"}}, "reporter.name"),
        ({**PUBLIC_REPORT, "location": {**LOC, "landmark": "simpang\u001bJodoh"}}, "location.landmark"),
    ],
)
async def test_control_characters_in_text_are_422_naming_the_field(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], body: dict[str, Any], field: str
) -> None:
    """A NUL in a public report was a 500 from PostgreSQL (and a dropped connection)."""
    r = await client.post("/api/v1/public/reports", json=body)
    _problem_names(r, field)
    assert await count(db, "reports") == 0


async def test_newlines_and_tabs_are_text(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    body = factories.report(description="baris satu\nbaris dua\r\n\tdengan tab")
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 201, r.text
    assert r.json()["description"] == "baris satu\nbaris dua\r\n\tdengan tab"


async def test_control_characters_in_path_and_form_are_422(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/public/reports/TG-%00AAAA-BBBBB")
    _problem_names(r, "path")
    r = await client.post("/api/v1/auth/token", data={"username": "t.admin\u0000", "password": "x"})
    _problem_names(r, "body.username")
    r = await client.post(
        "/open311/v2/requests.json",
        data={"api_key": "tg_\u0000", "service_code": "ODGJ", "description": "x", "address_string": "y"},
    )
    _problem_names(r, "body.api_key")


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation of the OpenAPI (the route table as published), with its parameters."""
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            out.append((method.upper(), path, op))
    return out


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = param.get("schema", {})
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    return schema


def _fill(path: str, op: dict[str, Any], name: str, value: str) -> str:
    """The path with every path parameter filled in (the one under test with `value`)."""
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        schema = _param_schema(param)
        given = (
            value if param["name"] == name else "1" if schema.get("type") == "integer" else str(uuid.uuid4())
        )
        if schema.get("enum"):
            given = value if param["name"] == name else schema["enum"][0]
        path = path.replace("{" + param["name"] + "}", quote(given, safe=""))
    return path


def _cases(
    app: FastAPI, wanted: Callable[[dict[str, Any]], bool]
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [
        (method, path, op, param)
        for method, path, op in _operations(app)
        for param in op.get("parameters", [])
        if param["in"] in {"query", "path"} and wanted(_param_schema(param))
    ]


EXTREME_INSTANTS = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2101-01-01T00:00:00Z"]


async def test_every_parameter_refuses_what_cannot_be_stored(
    app: FastAPI, client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """Generated from the published route table: every query and path parameter, as the national admin.
    A NUL in a text, an id beyond 64 bits, an instant beyond year 9999 (or before year 1) once its offset is
    applied: each is a 422 naming the parameter, never a 500."""
    h = actors["admin"].headers
    checked = 0
    for kind, wanted, values in [
        (
            "text",
            lambda s: s.get("type") == "string" and not s.get("format") and not s.get("enum"),
            ["a\u0000b"],
        ),
        ("instant", lambda s: s.get("format") == "date-time", EXTREME_INSTANTS),
        ("integer", lambda s: s.get("type") == "integer", [str(2**64), str(-(2**63) - 1)]),
    ]:
        for method, path, op, param in _cases(app, wanted):
            for value in values:
                url = _fill(path, op, param["name"], value)
                params = {param["name"]: value} if param["in"] == "query" else None
                r = await client.request(method, url, params=params, headers=h)
                assert r.status_code == 422, (kind, method, url, param["name"], r.status_code, r.text[:300])
                fields = [e["field"] for e in r.json()["errors"]]
                assert any(f.startswith(f"{param['in']}") for f in fields), (method, url, fields)
                checked += 1
    assert checked >= 20


async def _team(client: httpx.AsyncClient, actors: dict[str, Actor]) -> str:
    r = await client.post(
        "/api/v1/teams", json={"name": "TRC Batam", "region_code": "21.71"}, headers=actors["admin"].headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize("at", [*EXTREME_INSTANTS, "1969-12-31T23:59:59Z"])
async def test_instants_in_bodies_are_bounded(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession], at: str
) -> None:
    h = actors["operator"].headers
    r = await client.post("/api/v1/reports", json=factories.report(received_at=at), headers=h)
    _problem_names(r, "received_at")
    team = await _team(client, actors)
    sup = actors["supervisor"].headers
    r = await client.post(
        f"/api/v1/teams/{team}/crews",
        json={
            "name": "Regu A",
            "shift_starts_at": at,
            "shift_ends_at": at,
            "member_ids": [str(uuid.uuid4())],
        },
        headers=sup,
    )
    _problem_names(r, "shift_starts_at")
    r = await client.post(
        f"/api/v1/webhooks/{uuid.uuid4()}/replay",
        json={"since": at, "until": "2026-01-01T00:00:00Z"},
        headers=actors["admin"].headers,
    )
    _problem_names(r, "since")
    assert await count(db, "reports") == 0


async def test_roster_far_in_the_future_is_422(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    team = await _team(client, actors)
    r = await client.post(
        f"/api/v1/teams/{team}/roster",
        json={"start_date": "9999-12-31", "days": 7, "groups": [[str(uuid.uuid4())]]},
        headers=actors["supervisor"].headers,
    )
    _problem_names(r, "start_date")
