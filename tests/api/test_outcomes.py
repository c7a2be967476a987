"""Outcomes per person: each subject's path ends with its own outcome; the incident is tuntas (closed, the
4CT stage stamped) with the last one, and cannot be closed by hand while a subject has none."""

from __future__ import annotations

import httpx

from tests import factories
from tests.conftest import Actor
from tests.facilities.helpers import B, incident, timeline

CHILDREN = [{"name": f"Anak {n}", "sex": "male", "approx_age": 9 + n} for n in range(1, 4)]


async def _to(client: httpx.AsyncClient, actor: Actor, inc: str, *steps: str) -> None:
    for step in steps:
        body = {"to": step, **({"outcome": "shelter"} if step == "resolved" else {})}
        r = await client.post(f"{B}/incidents/{inc}/transitions", json=body, headers=actor.headers)
        assert r.status_code == 200, (step, r.text)


async def test_three_children_three_outcomes_and_the_last_closes_the_case(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    inc = await incident(client, op, CHILDREN, category="AJ")
    await _to(client, op, inc, "verified", "dispatched", "en_route", "on_scene", "resolved")
    # Closing by hand while two of them have no outcome: refused, naming them.
    out = f"{B}/incidents/{inc}/subjects"
    r = await client.post(f"{out}/1/outcome", json={"outcome": "reunified"}, headers=op.headers)
    assert r.status_code == 200 and r.json()["outcome_label"] == "dikembalikan ke keluarga", r.text
    r = await client.post(f"{B}/incidents/{inc}/transitions", json={"to": "closed"}, headers=op.headers)
    assert r.status_code == 409 and "subjek 2, 3 belum punya hasil" in r.json()["detail"], r.text
    r = await client.post(
        f"{out}/2/outcome", json={"outcome": "panti", "note": "Panti Asuhan"}, headers=op.headers
    )
    assert r.status_code == 200
    detail = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()
    assert detail["status"] == "resolved" and detail["four_ct"]["completed_at"] is None
    # The last one closes it: tuntas is stamped now, once.
    r = await client.post(f"{out}/3/outcome", json={"outcome": "shelter"}, headers=op.headers)
    assert r.status_code == 200
    detail = (await client.get(f"{B}/incidents/{inc}", headers=op.headers)).json()
    assert detail["status"] == "closed" and detail["four_ct"]["completed_at"] is not None
    kinds = [e["type"] for e in await timeline(client, op, inc)]
    assert kinds.count("subject.outcome_recorded") == 3 and kinds[-1] == "incident.status_changed"
    # A wrong outcome, a crew, another region: refused, and nothing changed.
    r = await client.post(f"{out}/1/outcome", json={"outcome": "flew_away"}, headers=op.headers)
    assert r.status_code == 422
    r = await client.post(f"{out}/1/outcome", json={"outcome": "died"}, headers=actors["crew"].headers)
    assert r.status_code in (403, 404)
    r = await client.post(
        f"{out}/1/outcome", json={"outcome": "died"}, headers=actors["operator_jember"].headers
    )
    assert r.status_code == 404
    subjects = (await client.get(f"{out}", headers=op.headers)).json()
    assert [s["outcome"] for s in subjects] == ["reunified", "panti", "shelter"]


async def test_an_incident_without_subjects_closes_as_before(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    op = actors["operator"]
    r = await client.post(f"{B}/reports", json=factories.report(category="GEL"), headers=op.headers)
    inc = str(r.json()["incident_id"])
    await _to(client, op, inc, "verified", "dispatched", "en_route", "on_scene", "resolved", "closed")
