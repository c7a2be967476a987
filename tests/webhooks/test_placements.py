"""Placements and outcomes reach agencies through their Standard Webhooks (a real receiver on 127.0.0.1
that verifies every signature): a facility run by another agency receives the person through the referral
loop (referral, transfer into its ward, its answer, discharge, outcome), and nothing that names him leaves."""

from __future__ import annotations

import httpx

from tests.conftest import Actor
from tests.facilities.helpers import B, admit, facility, incident, unit
from tests.receiver import receiver
from tests.webhooks.helpers import call


async def test_an_rsj_run_by_another_agency_receives_the_person_and_his_path(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    agency = await call(
        client,
        sup,
        "POST",
        "/agencies",
        {"name": "RSJ Provinsi Kepri", "kind": "rsj", "region_code": "21.71"},
        201,
    )
    shelter = await facility(client, sup)
    rsj = await facility(
        client,
        sup,
        name="RSJ Provinsi Kepri",
        kind="rsj",
        agency_id=agency["id"],
        units=[{"name": "Bangsal Pria", "sex": "male", "group": "odgj", "capacity": 5}],
    )
    async with receiver() as rec:
        hook = await call(
            client,
            sup,
            "POST",
            f"/agencies/{agency['id']}/webhooks",
            {"url": rec.url, "event_types": ["referral.*", "placement.*", "subject.*"]},
            201,
        )
        rec.secrets.append(hook["secret"])
        inc = await incident(client, op, [{"name": "Budi Hartono", "sex": "male", "approx_age": 40}], "ODGJ")
        # At the Dinas Sosial's own rumah singgah first: nothing for the RSJ yet.
        placed = await admit(client, op, inc, 1, unit(shelter, "ODGJ Laki-laki"))
        assert placed.status_code == 201, placed.text
        # Moved to the RSJ's ward: the incident is referred to the RSJ, which hears of it and the move.
        moved = await call(
            client,
            op,
            "POST",
            f"/placements/{placed.json()['id']}/transfer",
            {"unit_id": unit(rsj, "Bangsal Pria"), "reason": "Budi mengamuk, dirujuk ke RSJ"},
            201,
        )
        assert moved["referral_id"]
        # The RSJ answers by phone; the console records it on its behalf.
        await call(
            client,
            op,
            "POST",
            f"/referrals/{moved['referral_id']}/answers",
            {"status": "accepted", "received_via": "phone", "contact": "dr. Rina, jaga IGD"},
        )
        await call(
            client,
            op,
            "POST",
            f"/placements/{moved['id']}/discharge",
            {
                "reason": "reunified",
                "destination": "rumah kakaknya, Bu Sri",
                "destination_region_code": "21.71.06",
            },
        )
        r = await client.post(
            f"{B}/incidents/{inc}/subjects/1/outcome", json={"outcome": "reunified"}, headers=op.headers
        )
        assert r.status_code == 200, r.text
        got = await rec.wait_for(5)
        assert all(m.verified for m in got)
        assert [m.body["type"] for m in got] == [
            "referral.created",
            "placement.transferred",
            "referral.accepted",
            "placement.discharged",
            "subject.outcome_recorded",
        ]
        by_type = {m.body["type"]: m.body["data"] for m in got}
        move = by_type["placement.transferred"]
        assert move["incident"]["id"] == inc and move["agency_id"] == agency["id"]
        assert move["change"] == {
            "subject_id": moved["subject_id"],
            "ordinal": 1,
            "placement_id": moved["id"],
            "facility_id": rsj["id"],
            "facility": "RSJ Provinsi Kepri",
            "unit_id": unit(rsj, "Bangsal Pria"),
            "unit": "Bangsal Pria",
            "from_placement_id": placed.json()["id"],
            "from_facility": "Rumah Singgah Sekupang",
            "from_unit": "ODGJ Laki-laki",
        }
        left = by_type["placement.discharged"]["change"]
        assert left["reason_label"] and left["destination_region_code"] == "21.71.06"
        assert by_type["subject.outcome_recorded"]["change"]["outcome"] == "reunified"
        assert by_type["subject.outcome_recorded"]["change"]["ordinal"] == 1
        # Nothing that names him, his family, or a person record: free text and person ids stay home.
        for m in got:
            text = str(m.body)
            assert "Budi" not in text and "Sri" not in text and "person_id" not in text


async def test_an_endpoint_may_ask_for_placements_only(
    client: httpx.AsyncClient, actors: dict[str, Actor]
) -> None:
    sup, op = actors["supervisor"], actors["operator"]
    agency = await call(
        client,
        sup,
        "POST",
        "/agencies",
        {"name": "Dinas Sosial Provinsi Kepri", "kind": "dinas_sosial", "region_code": "21.71"},
        201,
    )
    upt = await facility(
        client,
        sup,
        name="UPT P2PMKS Nilam Suri",
        kind="upt",
        agency_id=agency["id"],
        units=[{"name": "Anak Putra", "sex": "male", "group": "children", "capacity": 5}],
    )
    async with receiver() as rec:
        hook = await call(
            client,
            sup,
            "POST",
            f"/agencies/{agency['id']}/webhooks",
            {"url": rec.url, "event_types": ["placement.*"]},
            201,
        )
        rec.secrets.append(hook["secret"])
        inc = await incident(client, op, [{"name": "Andi", "sex": "male", "approx_age": 12}])
        r = await admit(client, op, inc, 1, unit(upt, "Anak Putra"))
        assert r.status_code == 201, r.text
        [msg] = await rec.wait_for(1)
        assert msg.body["type"] == "placement.admitted"
        assert msg.body["data"]["change"]["facility"] == "UPT P2PMKS Nilam Suri"
        assert msg.body["data"]["referral"]["status"] == "pending"
