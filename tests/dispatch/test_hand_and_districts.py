"""The pure helpers of the console's dispatch views: the crews to choose from by hand (who may be sent, who
the engine would refuse, nearest first) and the open cases per kecamatan with the nearest free crew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.dispatch import candidates, districts
from app.dispatch.engine import CrewState, Point, WaitingIncident

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HERE = Point(1.143, 104.0113)


def north(km: float) -> Point:
    return Point(HERE.lat + km / 111.2, HERE.lon)


def crew(name: str, km: float | None, **kw: object) -> CrewState:
    base: dict[str, object] = {
        "id": name,
        "name": name,
        "coverage": ("21.71",),
        "shift_ends_at": NOW + timedelta(hours=6),
        "position": north(km) if km is not None else None,
        "skills": frozenset({"driver", "counsellor"}),
        "vehicle": frozenset({"secure_transport"}),
    }
    return CrewState(**{**base, **kw})  # type: ignore[arg-type]


INCIDENT = WaitingIncident(
    id="i1", priority=3, waiting_since=NOW, category="GEL", region_code="21.71.06.1003", location=HERE
)


def test_crews_for_hand_come_nearest_first_with_distances_and_what_blocks_or_warns() -> None:
    crews = [
        crew("far", 9.0),
        crew("near", 1.0),
        crew("busy", 0.5, status="on_scene", busy_with="other"),
        crew("broken", 0.2, status="out_of_service"),
        crew("weighing", 2.0, status="offered", busy_with="other"),
        crew("elsewhere", 0.3, coverage=("35.09",)),
        crew("unplaced", None),
        crew("holder", 3.0, status="offered", busy_with="i1"),
    ]
    got = candidates.for_hand(INCIDENT, crews, NOW)
    order = [c.crew_id for c in got]
    # Those the engine would take, by cost (an unknown position counts 30 minutes); then those it would
    # refuse but a person may send, nearest first; those the service refuses last.
    assert order == ["near", "holder", "far", "unplaced", "elsewhere", "weighing", "broken", "busy"]
    by = {c.crew_id: c for c in got}
    assert by["near"].distance_km == 1.0 and by["far"].distance_km == 9.0
    assert by["unplaced"].distance_km is None and by["unplaced"].travel_minutes == 30.0
    assert by["near"].blocked is None and by["near"].warning is None and by["near"].cost is not None
    assert by["holder"].current and by["holder"].blocked is None and by["holder"].warning is None
    assert by["weighing"].blocked is None and by["weighing"].warning is not None  # its offer is withdrawn
    assert by["elsewhere"].warning is not None and by["elsewhere"].warning.code == "outside_coverage"
    assert by["busy"].blocked is not None and "kasus lain" in by["busy"].blocked.text
    assert by["broken"].blocked is not None and by["broken"].blocked.code == "out_of_service"


def test_a_crew_already_working_this_incident_cannot_be_sent_to_it_again() -> None:
    got = candidates.for_hand(INCIDENT, [crew("on_it", 1.0, status="en_route", busy_with="i1")], NOW)
    assert got[0].current and got[0].blocked is not None and "insiden ini" in got[0].blocked.text


def test_open_cases_per_kecamatan_count_by_priority_oldest_and_nearest_free_crew() -> None:
    kecamatan = [("21.71.01", "Batam Kota"), ("21.71.06", "Lubuk Baja"), ("21.71.02", "Sekupang")]
    older = NOW - timedelta(hours=2)
    cases = [
        districts.OpenCase("21.71.06.1003", 1, NOW, HERE),
        districts.OpenCase("21.71.06.1004", 3, older, None),
        districts.OpenCase("21.71.02.1001", 2, NOW, north(10)),
        districts.OpenCase("21.71.02", 2, older, None),  # placed by its kecamatan only
        districts.OpenCase("33.28.01.2001", 1, NOW, HERE),  # another kab/kota: not on this board
    ]
    free = [districts.FreeCrew("Regu A", north(3)), districts.FreeCrew("Regu B", north(8.5))]
    rows = districts.summarise(kecamatan, cases, [*free, districts.FreeCrew("Regu C", None)])
    assert [r.code for r in rows] == ["21.71.06", "21.71.02", "21.71.01"]
    lubuk, sekupang, kota = rows
    assert lubuk.by_priority == {1: 1, 2: 0, 3: 1, 4: 0} and lubuk.oldest == older
    assert (lubuk.nearest_crew, lubuk.nearest_km) == ("Regu A", 3.0)
    assert sekupang.by_priority[2] == 2 and (sekupang.nearest_crew, sekupang.nearest_km) == ("Regu B", 1.5)
    assert kota.total == 0 and kota.oldest is None and kota.nearest_km is None
    # No free crew with a position: counts, but no distance.
    alone = districts.summarise(kecamatan, cases, [districts.FreeCrew("Regu C", None)])
    assert alone[0].total == 2 and alone[0].nearest_km is None
