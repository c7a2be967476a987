from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.conftest import Actor, count


async def test_report_becomes_p1_incident_with_timeline(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    r = await client.post("/api/v1/reports", json=factories.report(), headers=op.headers)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["reporter"]["phone"] == "+6281234567890"
    assert r.headers["location"] == f"/api/v1/reports/{report['id']}"

    r = await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=op.headers)
    assert r.status_code == 200
    incident = r.json()
    assert incident["priority"] == 1
    assert incident["status"] == "received"
    assert any("agitated" in reason for reason in incident["priority_reasons"])
    assert [e["type"] for e in incident["timeline"]] == ["incident.created", "report.received"]
    # Numbered right after the commit (on PostgreSQL by the worker's hub, a moment later): in written order.
    for _ in range(100):
        seqs = [e["seq"] for e in incident["timeline"]]
        if None not in seqs:
            break
        await asyncio.sleep(0.02)
        incident = (await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=op.headers)).json()
    assert None not in seqs and seqs == sorted(seqs) and len(set(seqs)) == 2
    assert incident["timeline"][0]["actor"] == op.username
    assert incident["reports"][0]["id"] == report["id"]
    ct = incident["four_ct"]
    assert [ct[k] for k in ("found_at", "responded_at", "acted_at", "completed_at", "breached")] == [
        None,
        None,
        None,
        None,
        [],
    ]
    assert ct["deadlines"]["temu"] > incident["first_received_at"]


async def test_region_defaults_to_operators_regency(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    body = factories.report(location={"address": "Jl. Imam Bonjol", "landmark": "depan Nagoya Hill"})
    r = await client.post("/api/v1/reports", json=body, headers=actors["operator"].headers)
    assert r.status_code == 201, r.text
    assert r.json()["location"]["region_code"] == "21.71"


async def test_national_admin_must_name_a_region(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    body = factories.report(location={"address": "somewhere"})
    r = await client.post("/api/v1/reports", json=body, headers=actors["admin"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "location.region_code"
    assert await count(db, "reports") == 0


async def test_idempotent_retry_returns_first_response(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    headers = {**actors["operator"].headers, "Idempotency-Key": "call-2026-11-22-0001"}
    first = await client.post("/api/v1/reports", json=factories.report(), headers=headers)
    again = await client.post("/api/v1/reports", json=factories.report(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await count(db, "reports") == 1
    assert await count(db, "incidents") == 1
    assert await count(db, "events") == 2


async def test_retry_replays_even_when_the_request_would_now_fail(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    """The key is looked up only when the write fails (the common first attempt reads nothing), so a retry
    whose request would now be refused (its incident was rejected meanwhile) still gets the first answer."""
    op = actors["operator"].headers
    incident_id = (await client.post("/api/v1/reports", json=factories.report(), headers=op)).json()[
        "incident_id"
    ]
    headers = {**op, "Idempotency-Key": "attach-1"}
    body = factories.report(incident_id=incident_id)
    first = await client.post("/api/v1/reports", json=body, headers=headers)
    assert first.status_code == 201, first.text
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/reject", json={"reason": "hoax", "note": "iseng"}, headers=op
    )
    assert r.status_code == 200, r.text
    fresh = await client.post("/api/v1/reports", json=body, headers={**op, "Idempotency-Key": "attach-2"})
    assert fresh.status_code == 409
    again = await client.post("/api/v1/reports", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(db, "reports") == 2


async def test_idempotency_key_with_other_body_is_refused(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    headers = {**actors["operator"].headers, "Idempotency-Key": "k-1"}
    assert (await client.post("/api/v1/reports", json=factories.report(), headers=headers)).status_code == 201
    r = await client.post("/api/v1/reports", json=factories.report(description="lain"), headers=headers)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in r.json()["detail"]
    assert await count(db, "reports") == 1


async def test_idempotency_keys_are_per_caller(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    for name in ("operator", "supervisor"):
        headers = {**actors[name].headers, "Idempotency-Key": "same-key"}
        assert (
            await client.post("/api/v1/reports", json=factories.report(), headers=headers)
        ).status_code == 201
    assert await count(db, "reports") == 2


async def test_concurrent_retries_create_one_report(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    headers = {**actors["operator"].headers, "Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *[client.post("/api/v1/reports", json=factories.report(), headers=headers) for _ in range(8)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(db, "reports") == 1
    assert await count(db, "incidents") == 1


async def test_attach_report_to_open_incident_raises_priority(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"].headers
    first = await client.post(
        "/api/v1/reports",
        headers=op,
        json=factories.report(
            category="LUT", subject={"approx_age": 70, "flags": ["elderly"]}, description="nenek terlantar"
        ),
    )
    incident_id = first.json()["incident_id"]
    assert (await client.get(f"/api/v1/incidents/{incident_id}", headers=op)).json()["priority"] == 2
    second = await client.post(
        "/api/v1/reports",
        headers=op,
        json=factories.report(
            category="LUT",
            incident_id=incident_id,
            channel="social_media",
            subject={"approx_age": 70, "flags": ["elderly", "injured"]},
            description="nenek jatuh, berdarah",
        ),
    )
    assert second.status_code == 201, second.text
    assert second.json()["incident_id"] == incident_id
    detail = (await client.get(f"/api/v1/incidents/{incident_id}", headers=op)).json()
    assert detail["priority"] == 1
    assert detail["report_count"] == 2
    assert set(detail["subject_flags"]) == {"elderly", "injured"}
    types = [e["type"] for e in detail["timeline"]]
    assert "incident.priority_changed" in types and "incident.reports_added" in types


async def test_attach_to_closed_or_foreign_incident(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"].headers
    incident_id = (await client.post("/api/v1/reports", headers=op, json=factories.report())).json()[
        "incident_id"
    ]
    r = await client.post(
        f"/api/v1/incidents/{incident_id}/reject",
        headers=op,
        json={"reason": "hoax", "note": "penelepon iseng"},
    )
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/reports", headers=op, json=factories.report(incident_id=incident_id))
    assert r.status_code == 409
    assert r.json()["current_status"] == "rejected"
    r = await client.post(
        "/api/v1/reports",
        headers=actors["operator_jember"].headers,
        json=factories.report(incident_id=incident_id, location={"region_code": factories.JEMBER_VILLAGE}),
    )
    assert r.status_code == 404


async def test_channel_must_fit_role(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    r = await client.post("/api/v1/reports", headers=actors["reporter"].headers, json=factories.report())
    assert r.status_code == 403
    assert "community" in r.json()["detail"]
    r = await client.post(
        "/api/v1/reports", headers=actors["reporter"].headers, json=factories.report(channel="community")
    )
    assert r.status_code == 201


async def test_reporter_follows_only_his_own(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    mine = await client.post(
        "/api/v1/reports", headers=actors["reporter"].headers, json=factories.report(channel="community")
    )
    await client.post(
        "/api/v1/reports",
        headers=actors["reporter2"].headers,
        json=factories.report(channel="community", description="laporan lain"),
    )
    listed = (await client.get("/api/v1/reports/mine", headers=actors["reporter"].headers)).json()
    assert [r["id"] for r in listed] == [mine.json()["id"]]
    assert listed[0]["incident_status"] == "received"
    assert listed[0]["reporter"]["phone"] == "+62812****7890"  # a list never carries personal data
    other = (await client.get("/api/v1/reports/mine", headers=actors["reporter2"].headers)).json()[0]
    r = await client.get(f"/api/v1/reports/{other['id']}", headers=actors["reporter"].headers)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/incidents/{other['incident_id']}", headers=actors["reporter"].headers)
    assert r.status_code == 403


async def test_call_center_description_gets_the_suggestion_and_its_urgency(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """Issue 16: "orang gila mengamuk" typed by an operator is as urgent as the same words posted."""
    op = actors["operator"]
    body = factories.report(
        category="unknown",
        description="Pelapor warga: orang gila mengamuk bawa parang di pasar Jodoh, warga podo mlayu",
        subject={"flags": []},
    )
    r = await client.post("/api/v1/reports", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    report = r.json()
    s = report["suggestion"]
    assert s["category"] == "ODGJ" and "agitated" in s["flags"] and s["priority"] == 1
    assert s["region_code"] == "21.71.02.1002" and s["not_case"] is None
    # A suggestion: the category and flags stay what the operator chose; only the priority is lifted.
    assert report["category"] == "unknown" and report["subject"]["flags"] == []
    detail = (await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=op.headers)).json()
    assert detail["category"] == "unknown" and detail["priority"] == 1
    assert any(reason.startswith("triage of the description") for reason in detail["priority_reasons"])
    assert detail["reports"][0]["suggestion"]["category"] == "ODGJ"


async def test_operator_choice_is_never_overridden(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    # The operator says GEL; the triage reads ODGJ. The category stays GEL.
    body = factories.report(
        category="GEL", description="orang gila ngamuk di halte", subject={"flags": ["injured"]}
    )
    report = (await client.post("/api/v1/reports", json=body, headers=op.headers)).json()
    assert report["category"] == "GEL" and report["suggestion"]["category"] == "ODGJ"
    detail = (await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=op.headers)).json()
    assert detail["category"] == "GEL" and detail["priority"] == 1
    # A quiet description never makes the rules' priority less urgent.
    calm = factories.report(
        category="ODGJ", description="ada yang perlu dicek", subject={"flags": ["agitated"]}
    )
    report = (await client.post("/api/v1/reports", json=calm, headers=op.headers)).json()
    detail = (await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=op.headers)).json()
    assert detail["priority"] == 1


async def test_a_call_that_is_no_case_still_becomes_a_report(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    body = factories.report(
        category="unknown",
        description="Penelpon bertanya jadwal pencairan bansos PKH, diarahkan ke pendamping",
        subject={"flags": []},
    )
    r = await client.post("/api/v1/reports", json=body, headers=op.headers)
    assert r.status_code == 201, r.text
    s = r.json()["suggestion"]
    assert s["not_case"] == "TANYA" and s["not_case_text"] and s["priority"] is None
    detail = (await client.get(f"/api/v1/incidents/{r.json()['incident_id']}", headers=op.headers)).json()
    assert detail["priority"] == 3


async def test_community_and_public_reports_get_the_suggestion(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    body = factories.report(
        channel="community",
        category="unknown",
        description="Kesian tengok atok ni tidur kat kaki lima Jodoh tiap malam, tak de rumah, tak de anak",
        subject={"flags": []},
    )
    r = await client.post("/api/v1/reports", json=body, headers=actors["reporter"].headers)
    assert r.status_code == 201, r.text
    assert r.json()["suggestion"]["category"] == "LUT" and "elderly" in r.json()["suggestion"]["flags"]
    public = {
        "location": {"region_code": factories.BATAM_VILLAGE},
        "description": "Bayi baru lahir dibuang di depan musholla, masih hidup",
    }
    receipt = await client.post("/api/v1/public/reports", json=public)
    assert receipt.status_code == 201, receipt.text
    op = actors["operator"]
    items = (await client.get("/api/v1/incidents?order=priority", headers=op.headers)).json()["items"]
    first = (await client.get(f"/api/v1/incidents/{items[0]['id']}", headers=op.headers)).json()
    assert first["priority"] == 1 and first["reports"][0]["suggestion"]["category"] == "ABT"
