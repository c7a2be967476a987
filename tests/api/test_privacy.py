"""Personal data: shown to those who need it, masked for others, and every read audited."""

from __future__ import annotations

import httpx

from tests import factories
from tests.conftest import Actor

NIK = "2171064107900003"


async def _report(client: httpx.AsyncClient, actor: Actor) -> dict[str, str]:
    body = factories.report(
        subject={"name": "Andi Wijaya", "nik": NIK, "approx_age": 34, "flags": ["agitated"]}
    )
    r = await client.post("/api/v1/reports", json=body, headers=actor.headers)
    assert r.status_code == 201
    return dict(r.json())


async def _audit(client: httpx.AsyncClient, admin: Actor, **params: str) -> list[dict[str, object]]:
    r = await client.get("/api/v1/audit", params=params, headers=admin.headers)
    assert r.status_code == 200, r.text
    return list(r.json())


async def test_operator_sees_and_is_audited(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    report = await _report(client, actors["operator"])
    written = await _audit(client, actors["admin"], entity_id=report["id"])
    assert [(a["action"], a["actor"]) for a in written] == [("create", actors["operator"].username)]
    assert sorted(str(f) for f in written[0]["fields"]) == [  # type: ignore[attr-defined]
        "reporter_name",
        "reporter_phone",
        "subject_name",
        "subject_nik",
    ]

    detail = (
        await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=actors["supervisor"].headers)
    ).json()
    assert detail["reports"][0]["subject"]["nik"] == NIK
    assert detail["reports"][0]["reporter"]["phone"] == "+6281234567890"
    reads = await _audit(client, actors["admin"], entity_id=report["id"], action="read")
    assert len(reads) == 1 and reads[0]["actor"] == actors["supervisor"].username
    assert reads[0]["purpose"] == "incident detail" and reads[0]["client_ip"] == "198.51.100.7"


async def test_crew_sees_masked_and_is_not_audited(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    report = await _report(client, actors["operator"])
    detail = (
        await client.get(f"/api/v1/incidents/{report['incident_id']}", headers=actors["crew"].headers)
    ).json()
    shown = detail["reports"][0]
    assert shown["subject"]["nik"] == "2171********0003"
    assert shown["reporter"]["phone"] == "+62812****7890"
    assert shown["subject"]["name"] == "A*** W*****"
    assert shown["subject"]["flags"] == ["agitated"]
    assert await _audit(client, actors["admin"], entity_id=report["id"], action="read") == []
    r = await client.get(f"/api/v1/reports/{report['id']}", headers=actors["crew"].headers)
    assert r.json()["subject"]["nik"] == "2171********0003"


async def test_audit_is_admins_only_and_region_scoped(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    await _report(client, actors["operator"])
    for name in ("supervisor", "operator", "crew", "agency", "reporter"):
        assert (await client.get("/api/v1/audit", headers=actors[name].headers)).status_code == 403
    assert len(await _audit(client, actors["admin_batam"])) == 1
    body = factories.report(location={"region_code": factories.JEMBER_VILLAGE})
    await client.post("/api/v1/reports", json=body, headers=actors["operator_jember"].headers)
    assert len(await _audit(client, actors["admin_batam"])) == 1
    assert len(await _audit(client, actors["admin"])) == 2


async def test_public_status_and_lists_carry_no_personal_data(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    await _report(client, actors["operator"])
    listing = (await client.get("/api/v1/incidents", headers=actors["operator"].headers)).text
    for secret in (NIK, "8123456", "Andi", "Siti"):
        assert secret not in listing


async def test_my_reports_list_is_masked_and_my_full_read_is_audited(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    """Issue 12: /reports/mine gave names, phone and NIK in full in a list, and no audit row."""
    reporter = actors["reporter"]
    body = factories.report(
        channel="community", subject={"name": "Andi Wijaya", "nik": NIK, "approx_age": 34}
    )
    made = (await client.post("/api/v1/reports", json=body, headers=reporter.headers)).json()
    listed = (await client.get("/api/v1/reports/mine", headers=reporter.headers)).json()
    assert [r["id"] for r in listed] == [made["id"]]
    assert listed[0]["subject"]["nik"] == "2171********0003"
    assert listed[0]["subject"]["name"] == "A*** W*****"
    assert listed[0]["reporter"]["phone"] == "+62812****7890"
    assert await _audit(client, actors["admin"], entity_id=made["id"], action="read") == []
    # The one who gave the data reads it in full, and the read is recorded like anyone else's.
    r = await client.get(f"/api/v1/reports/{made['id']}", headers=reporter.headers)
    assert r.status_code == 200
    assert r.json()["subject"]["nik"] == NIK and r.json()["reporter"]["phone"] == "+6281234567890"
    assert r.headers["cache-control"] == "no-store"
    reads = await _audit(client, actors["admin"], entity_id=made["id"], action="read")
    assert [(a["actor"], a["purpose"]) for a in reads] == [(reporter.username, "own report")]


async def test_escalations_are_for_console_staff(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    """Issue 12: a community reporter's account read a whole region's escalations (coordinates, flags)."""
    for name in ("reporter", "agency", "crew"):
        r = await client.get("/api/v1/dispatch/escalations", headers=actors[name].headers)
        assert r.status_code == 403, (name, r.text)
    for name in ("supervisor", "operator", "admin"):
        r = await client.get("/api/v1/dispatch/escalations", headers=actors[name].headers)
        assert r.status_code == 200, (name, r.text)
