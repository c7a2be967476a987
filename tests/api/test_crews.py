from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Actor

NOW = datetime.now(UTC).replace(microsecond=0)


async def _post(
    client: httpx.AsyncClient, actor: Actor, path: str, body: dict[str, Any], expect: int = 201
) -> dict[str, Any]:
    r = await client.post(path, json=body, headers=actor.headers)
    assert r.status_code == expect, r.text
    return dict(r.json()) if r.content else {}


async def _batam_team(client: httpx.AsyncClient, actors: dict[str, Actor]) -> dict[str, Any]:
    team = await _post(
        client, actors["admin"], "/api/v1/teams", {"name": "TRC Kota Batam", "region_code": "21.71"}
    )
    sup = actors["supervisor"]
    base = f"/api/v1/teams/{team['id']}"
    people = [
        await _post(
            client,
            sup,
            f"{base}/personnel",
            {"name": "Rudi", "skills": ["driver"], "user_id": str(actors["crew"].id)},
        ),
        await _post(
            client, sup, f"{base}/personnel", {"name": "Sari", "skills": ["female_officer", "medic"]}
        ),
        await _post(
            client,
            sup,
            f"{base}/personnel",
            {
                "name": "Agus",
                "kind": "bko",
                "home_unit": "Satpol PP Kota Batam",
                "skills": ["driver"],
                "seconded_from": (NOW - timedelta(days=30)).date().isoformat(),
                "seconded_until": (NOW + timedelta(days=1)).date().isoformat(),
            },
        ),
    ]
    van = await _post(
        client,
        sup,
        f"{base}/vehicles",
        {
            "name": "URC 1",
            "plate": "BP 1234 XY",
            "seats": 6,
            "capabilities": ["secure_transport", "stretcher"],
        },
    )
    return {"team": team, "people": people, "van": van, "base": base}


async def test_team_crew_and_on_duty(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    t = await _batam_team(client, actors)
    assert t["team"]["timezone"] == "Asia/Jakarta"
    crew = await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {
            "name": "Regu A",
            "shift_starts_at": (NOW - timedelta(hours=1)).isoformat(),
            "shift_ends_at": (NOW + timedelta(hours=7)).isoformat(),
            "member_ids": [p["id"] for p in t["people"][:2]],
            "vehicle_id": t["van"]["id"],
        },
    )
    assert crew["skills"] == ["driver", "female_officer", "medic"]
    assert crew["vehicle"]["capabilities"] == ["secure_transport", "stretcher"]
    assert crew["coverage"] == ["21.71"] and crew["status"] == "available"
    # Later shift, another regu.
    await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {
            "name": "Regu B",
            "shift_starts_at": (NOW + timedelta(hours=7)).isoformat(),
            "shift_ends_at": (NOW + timedelta(hours=15)).isoformat(),
            "member_ids": [t["people"][2]["id"]],
        },
    )

    r = await client.get(
        "/api/v1/crews/on-duty", params={"region": "21.71.06"}, headers=actors["operator"].headers
    )
    assert [c["name"] for c in r.json()] == ["Regu A"]
    later = (NOW + timedelta(hours=8)).isoformat()
    r = await client.get("/api/v1/crews/on-duty", params={"at": later}, headers=actors["operator"].headers)
    assert [c["name"] for c in r.json()] == ["Regu B"]
    r = await client.get("/api/v1/crews/on-duty", headers=actors["operator_jember"].headers)
    assert r.json() == []
    r = await client.get(f"/api/v1/crews/{crew['id']}", headers=actors["operator_jember"].headers)
    assert r.status_code == 404


async def test_nobody_in_two_crews_and_bko_within_secondment(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    t = await _batam_team(client, actors)
    shift = {"shift_starts_at": NOW.isoformat(), "shift_ends_at": (NOW + timedelta(hours=8)).isoformat()}
    await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {"name": "A", **shift, "member_ids": [t["people"][0]["id"]]},
    )
    r = await client.post(
        f"{t['base']}/crews",
        headers=actors["supervisor"].headers,
        json={"name": "B", **shift, "member_ids": [t["people"][0]["id"], t["people"][1]["id"]]},
    )
    # The detail in Indonesian (the API's default language), English on request.
    assert r.status_code == 409 and r.json()["detail"].startswith("Rudi sudah ada di regu A pada sif itu")
    r = await client.post(
        f"{t['base']}/crews",
        headers={**actors["supervisor"].headers, "Accept-Language": "en"},
        json={"name": "B", **shift, "member_ids": [t["people"][0]["id"], t["people"][1]["id"]]},
    )
    assert r.status_code == 409 and r.json()["detail"] == "Rudi is already in crew A during that shift"
    late = {
        "shift_starts_at": (NOW + timedelta(days=3)).isoformat(),
        "shift_ends_at": (NOW + timedelta(days=3, hours=8)).isoformat(),
    }
    r = await client.post(
        f"{t['base']}/crews",
        headers=actors["supervisor"].headers,
        json={"name": "C", **late, "member_ids": [t["people"][2]["id"]]},
    )
    assert r.status_code == 422 and "diperbantukan hanya dari" in r.json()["detail"]
    r = await client.post(
        f"{t['base']}/crews",
        headers=actors["supervisor"].headers,
        json={"name": "D", **shift, "member_ids": [t["people"][1]["id"]], "coverage": ["35.09"]},
    )
    assert r.status_code == 422
    r = await client.post(
        f"{t['base']}/crews",
        headers=actors["operator"].headers,
        json={"name": "E", **shift, "member_ids": [t["people"][1]["id"]]},
    )
    assert r.status_code == 403


async def test_status_and_location_from_the_crew_app(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    t = await _batam_team(client, actors)
    shift = {"shift_starts_at": NOW.isoformat(), "shift_ends_at": (NOW + timedelta(hours=8)).isoformat()}
    mine = await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {"name": "A", **shift, "member_ids": [t["people"][0]["id"]]},
    )
    other = await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {"name": "B", **shift, "member_ids": [t["people"][1]["id"]]},
    )
    crew_user = actors["crew"]
    r = await client.post(
        f"/api/v1/crews/{mine['id']}/status", json={"status": "out_of_service"}, headers=crew_user.headers
    )
    assert r.status_code == 422
    r = await client.post(
        f"/api/v1/crews/{mine['id']}/status",
        json={"status": "out_of_service", "reason": "bensin habis"},
        headers=crew_user.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "out_of_service"
    r = await client.post(
        f"/api/v1/crews/{other['id']}/status", json={"status": "available"}, headers=crew_user.headers
    )
    assert r.status_code == 403
    # A step of a case needs a case: 409 with a reason a program can read.
    r = await client.post(
        f"/api/v1/crews/{other['id']}/status", json={"status": "en_route"}, headers=actors["operator"].headers
    )
    assert r.status_code == 409 and r.json()["reason_code"] == "no_assignment", r.text
    # Statuses that dispatch sets are not for the app to send.
    r = await client.post(
        f"/api/v1/crews/{other['id']}/status", json={"status": "offered"}, headers=actors["operator"].headers
    )
    assert r.status_code == 422
    ping = f"/api/v1/crews/{mine['id']}/location"
    r = await client.post(ping, json={"lat": 1.143, "lon": 104.011}, headers=crew_user.headers)
    assert r.status_code == 202 and r.headers["x-position-kept"] == "true" and r.json() == {"kept": True}
    r = await client.post(ping, json={"lat": 1.144, "lon": 104.012}, headers=crew_user.headers)
    assert r.status_code == 202 and r.headers["x-position-kept"] == "false" and r.json() == {"kept": False}
    r = await client.post(ping, json={"lat": 35.0, "lon": 104.0}, headers=crew_user.headers)
    assert r.status_code == 422
    crew = (await client.get(f"/api/v1/crews/{mine['id']}", headers=actors["operator"].headers)).json()
    assert (crew["last_lat"], crew["last_lon"]) == (1.144, 104.012)
    r = await client.post(ping, json={"lat": 1.1, "lon": 104.0}, headers=actors["reporter"].headers)
    assert r.status_code == 403


async def test_crew_members_mine_topic_follows_their_crew(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: Any
) -> None:
    from app.live.topics import Topic
    from app.services import live
    from app.services.access import Principal

    t = await _batam_team(client, actors)
    shift = {"shift_starts_at": NOW.isoformat(), "shift_ends_at": (NOW + timedelta(hours=8)).isoformat()}
    mine = await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {"name": "A", **shift, "member_ids": [t["people"][0]["id"]]},
    )
    other = await _post(
        client,
        actors["supervisor"],
        f"{t['base']}/crews",
        {"name": "B", **shift, "member_ids": [t["people"][1]["id"]]},
    )
    c = actors["crew"]
    async with db() as session:
        sub = await live.subscription(session, Principal(c.id, c.username, c.role, c.region), [Topic("mine")])
    assert sub.crews == frozenset({mine["id"]})
    assert sub.matches({"crew_id": mine["id"], "region_code": "21.71", "actor_id": None})
    assert not sub.matches({"crew_id": other["id"], "region_code": "21.71", "actor_id": None})


def test_rotation_of_groups_over_shifts() -> None:
    from datetime import date

    from app.dispatch import shifts

    plan = shifts.rotation(date(2026, 11, 23), 2, shifts.THREE_EIGHTS, "Asia/Makassar", 3)
    assert [(w.name, g) for w, g in plan] == [
        ("Pagi", 0),
        ("Siang", 1),
        ("Malam", 2),
        ("Pagi", 0),
        ("Siang", 1),
        ("Malam", 2),
    ]
    # WITA: 07:00 local is 23:00 UTC the day before.
    assert plan[0][0].starts_at == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    four = shifts.rotation(date(2026, 11, 23), 2, shifts.TWO_TWELVES, "Asia/Jakarta", 4)
    assert [g for _, g in four] == [0, 1, 2, 3]


async def test_roster_forms_the_shifts_all_or_nothing(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    t = await _batam_team(client, actors)
    rudi, sari, agus = (p["id"] for p in t["people"])
    sup = actors["supervisor"]
    start = (NOW + timedelta(days=1)).date().isoformat()
    body = {
        "template": "2x12",
        "start_date": start,
        "days": 1,
        "groups": [[rudi], [sari]],
        "vehicle_ids": [t["van"]["id"]],
    }
    formed = await client.post(f"{t['base']}/roster", json=body, headers=sup.headers)
    assert formed.status_code == 201, formed.text
    crews = formed.json()
    assert [c["name"] for c in crews] == ["Regu Siang", "Regu Malam"]
    assert [[m["name"] for m in c["members"]] for c in crews] == [["Rudi"], ["Sari"]]
    assert all(c["vehicle"]["name"] == "URC 1" for c in crews)
    starts = datetime.fromisoformat(crews[0]["shift_starts_at"])
    assert (datetime.fromisoformat(crews[0]["shift_ends_at"]) - starts) == timedelta(hours=12)
    # Sari works the night again in this roster, so it is refused, and Agus's day shift is not formed either.
    again = await client.post(
        f"{t['base']}/roster",
        json={**body, "groups": [[agus], [sari]], "vehicle_ids": []},
        headers=sup.headers,
    )
    assert again.status_code == 409 and "Sari" in again.json()["detail"]
    alone = await client.post(
        f"{t['base']}/roster", json={**body, "groups": [[agus]], "vehicle_ids": []}, headers=sup.headers
    )
    assert alone.status_code == 201, alone.text
    bad = await client.post(
        f"{t['base']}/roster", json={**body, "groups": [[rudi], [rudi]]}, headers=sup.headers
    )
    assert bad.status_code == 422
    r = await client.post(f"{t['base']}/roster", json=body, headers=actors["operator"].headers)
    assert r.status_code == 403


async def test_swap_a_member(client: httpx.AsyncClient, actors: dict[str, Actor]) -> None:
    t = await _batam_team(client, actors)
    rudi, sari, agus = (p["id"] for p in t["people"])
    sup = actors["supervisor"]
    shift = {
        "shift_starts_at": (NOW - timedelta(hours=1)).isoformat(),
        "shift_ends_at": (NOW + timedelta(hours=7)).isoformat(),
    }
    a = await _post(client, sup, f"{t['base']}/crews", {"name": "A", **shift, "member_ids": [rudi]})
    b = await _post(client, sup, f"{t['base']}/crews", {"name": "B", **shift, "member_ids": [sari]})
    # Sari is in crew B at that time: she cannot stand in for Rudi.
    r = await client.post(
        f"/api/v1/crews/{a['id']}/swap",
        json={"out_id": rudi, "in_id": sari, "reason": "sakit"},
        headers=sup.headers,
    )
    assert r.status_code == 409
    r = await client.post(
        f"/api/v1/crews/{a['id']}/swap",
        json={"out_id": sari, "in_id": agus, "reason": "sakit"},
        headers=sup.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.out_id"
    swapped = await _post(
        client,
        sup,
        f"/api/v1/crews/{a['id']}/swap",
        {"out_id": rudi, "in_id": agus, "reason": "Rudi sakit"},
        expect=200,
    )
    assert [m["name"] for m in swapped["members"]] == ["Agus"]
    assert b["id"] != a["id"]
    # One vehicle, one crew at a time.
    r = await client.post(
        f"{t['base']}/crews",
        json={"name": "C", **shift, "member_ids": [rudi], "vehicle_id": t["van"]["id"]},
        headers=sup.headers,
    )
    assert r.status_code == 201, r.text
    dewi = await _post(client, sup, f"{t['base']}/personnel", {"name": "Dewi", "skills": ["medic"]})
    clash = await client.post(
        f"{t['base']}/crews",
        json={"name": "D", **shift, "member_ids": [dewi["id"]], "vehicle_id": t["van"]["id"]},
        headers=sup.headers,
    )
    assert clash.status_code == 409 and "URC 1" in clash.json()["detail"]
    r = await client.post(
        f"/api/v1/crews/{a['id']}/swap",
        json={"out_id": agus, "in_id": rudi, "reason": "balik"},
        headers=actors["crew"].headers,
    )
    assert r.status_code == 403
