"""The assignment engine, exhaustively and with no database."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.dispatch.engine import (
    BODY_HANDLING,
    COUNSELLOR,
    FEMALE_OFFICER,
    MEDIC,
    SECURE_TRANSPORT,
    STRETCHER,
    CrewState,
    Job,
    Params,
    Point,
    WaitingIncident,
    best_crew,
    closest_idle,
    decide,
    diversions,
    haversine_km,
    needs,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
NAGOYA = Point(1.1430, 104.0113)  # Lubuk Baja Kota, Batam


def near(km_north: float) -> Point:
    return Point(NAGOYA.lat + km_north / 111.2, NAGOYA.lon)


def crew(cid: str, km: float = 1.0, **kw: Any) -> CrewState:
    base = CrewState(
        id=cid,
        coverage=("21.71",),
        position=near(km),
        shift_ends_at=NOW + timedelta(hours=8),
        skills=frozenset({"driver"}),
    )
    return replace(base, **kw)


def incident(iid: str, priority: int = 2, minutes_ago: int = 5, **kw: Any) -> WaitingIncident:
    base = WaitingIncident(
        id=iid,
        priority=priority,
        waiting_since=NOW - timedelta(minutes=minutes_ago),
        category="GEL",
        region_code="21.71.06.1003",
        location=NAGOYA,
    )
    return replace(base, **kw)


def test_haversine() -> None:
    assert haversine_km(NAGOYA, near(10)) == pytest.approx(10, rel=0.01)


def test_nearest_available_crew_wins_and_reasons_say_why() -> None:
    d = best_crew(
        incident("i1"),
        [crew("far", 8), crew("near", 2), crew("busy", 0.1, status="dispatched", busy_with="x")],
        NOW,
    )
    assert d.crew_id == "near"
    assert [c.crew_id for c in d.candidates] == ["near", "far"]
    assert "menit perjalanan" in d.reasons[1]
    assert d.refusals["busy"].code == "busy"
    assert d.candidates[0].travel_minutes == pytest.approx(2 * 1.4 / 30 * 60, rel=0.02)


@pytest.mark.parametrize(
    ("flags", "category", "crew_kw", "code", "what"),
    [
        ({"agitated"}, "ODGJ", {}, "lacks_vehicle", "secure_transport"),
        ({"injured"}, "GEL", {}, "lacks_skill", "medic"),
        ({"deceased"}, "JENAZAH", {"vehicle": frozenset({STRETCHER})}, "lacks_skill", "body_handling"),
        (set(), "JENAZAH", {"skills": frozenset({BODY_HANDLING})}, "lacks_vehicle", "stretcher"),
    ],
)
def test_hard_requirements(
    flags: set[str], category: str, crew_kw: dict[str, Any], code: str, what: str
) -> None:
    i = incident("i", flags=frozenset(flags), category=category)
    d = best_crew(i, [crew("c", **crew_kw)], NOW)
    assert d.crew_id is None and d.why is not None and d.why.code == "none_qualified"
    assert d.refusals["c"].code == code and what in d.refusals["c"].text and what in d.why.text


def test_agitated_odgj_goes_to_the_crew_that_can_carry_him() -> None:
    i = incident("odgj", 1, flags=frozenset({"agitated"}), category="ODGJ")
    crews = [crew("sedan", 0.5), crew("urc", 6, vehicle=frozenset({SECURE_TRANSPORT}))]
    assert best_crew(i, crews, NOW).crew_id == "urc"


def test_child_prefers_female_officer_when_one_is_on_duty() -> None:
    child = incident("anak", flags=frozenset({"child"}), category="AJ")
    crews = [crew("nearer", 1), crew("with_woman", 4, skills=frozenset({"driver", FEMALE_OFFICER}))]
    assert best_crew(child, crews, NOW).crew_id == "with_woman"
    # ... but when no female officer is on duty, nobody is penalised and the nearest goes.
    assert best_crew(child, [crew("nearer", 1), crew("farther", 4)], NOW).crew_id == "nearer"
    # ... and a woman subject counts too; a very far female officer does not beat a near crew.
    woman = incident("w", subject_sex="female")
    crews = [crew("nearer", 1), crew("with_woman", 30, skills=frozenset({FEMALE_OFFICER}))]
    assert best_crew(woman, crews, NOW).crew_id == "nearer"


def test_odgj_prefers_a_counsellor() -> None:
    i = incident("odgj", category="ODGJ")
    assert best_crew(i, [crew("a", 1), crew("b", 3, skills=frozenset({COUNSELLOR}))], NOW).crew_id == "b"


def test_all_busy_is_told_apart_from_nobody_qualified() -> None:
    busy = [crew(f"c{n}", n, status="on_scene", busy_with=f"i{n}") for n in range(5)]
    d = best_crew(incident("i"), busy, NOW)
    assert d.why is not None and d.why.code == "all_busy" and "semua 5 regu" in d.why.text
    body = incident("b", flags=frozenset({"deceased"}), category="JENAZAH")
    d = best_crew(body, [*busy, crew("free", 1)], NOW)
    assert d.why is not None and d.why.code == "none_qualified"
    assert "6 regu tidak punya keahlian penanganan jenazah (body_handling)" in d.why.text
    assert best_crew(incident("i"), [], NOW).why.code == "no_crew_on_duty"  # type: ignore[union-attr]
    # A crew holding an offer is told apart from one on a case, and out of service from both.
    d = best_crew(
        incident("i"), [crew("o", status="offered", busy_with="x"), crew("x", status="out_of_service")], NOW
    )
    assert {c: r.code for c, r in d.refusals.items()} == {"o": "offered", "x": "out_of_service"}


def test_end_of_shift() -> None:
    # A crew that cannot get there before its shift ends is not sent; the case waits for the next shift
    # (capacity, not a lack of skill).
    ending = crew("ending", 1, shift_ends_at=NOW + timedelta(minutes=2))
    d = best_crew(incident("i"), [ending], NOW)
    assert d.crew_id is None and d.refusals["ending"].code == "shift_ends"
    assert d.why is not None and d.why.code == "all_busy"
    # One that gets there in time goes, though the case will be handed over.
    assert best_crew(
        incident("i"), [crew("ending", 1, shift_ends_at=NOW + timedelta(minutes=10))], NOW
    ).crew_id
    # A long case avoids a crew whose shift ends before it would be done, if another is there.
    short = crew("short", 1, shift_ends_at=NOW + timedelta(minutes=50))
    long_case = incident("i", expected_minutes=120)
    assert best_crew(long_case, [short, crew("fresh", 4)], NOW).crew_id == "fresh"
    assert best_crew(long_case, [short], NOW).crew_id == "short"


def test_coverage_and_exclusions() -> None:
    i = incident("i", excluded_crews=frozenset({"declined"}))
    crews = [crew("declined", 0.5), crew("jember", 0.2, coverage=("35.09",)), crew("ok", 5)]
    d = best_crew(i, crews, NOW)
    assert d.crew_id == "ok"
    assert [c.crew_id for c in d.candidates] == ["ok"]


def test_priority_before_age_and_oldest_first_within_priority() -> None:
    crews = [crew("only", 1)]
    incidents = [incident("p2-old", 2, minutes_ago=60), incident("p1-new", 1, minutes_ago=1)]
    by_id = {d.incident_id: d for d in decide(incidents, crews, NOW)}
    assert by_id["p1-new"].crew_id == "only" and by_id["p2-old"].crew_id is None
    why = by_id["p2-old"].why
    assert why is not None and why.code == "waits"
    incidents = [incident("new", 2, minutes_ago=1, location=near(0.1)), incident("old", 2, minutes_ago=30)]
    by_id = {d.incident_id: d for d in decide(incidents, crews, NOW)}
    assert by_id["old"].crew_id == "only" and by_id["new"].crew_id is None


def test_surge_is_assigned_together_not_greedily() -> None:
    # Greedy, oldest first: A takes c1 (0.5 km), B is left with c3 (3 km): 3.5 km in all.
    # Together: A takes c3 (1.5 km), B takes c1 (1 km): 2.5 km in all.
    a = incident("A", minutes_ago=10, location=near(1.5))
    b = incident("B", minutes_ago=5, location=near(0))
    crews = [crew("c1", 1), crew("c20", 20), crew("c3", 3)]
    by_id = {d.incident_id: d for d in decide([a, b], crews, NOW)}
    assert by_id["A"].crew_id == "c3" and by_id["B"].crew_id == "c1"
    assert sum(d.cost or 0 for d in by_id.values()) == pytest.approx(2.5 * 1.4 / 30 * 60, abs=0.2)
    assert by_id["A"].candidates[0].crew_id == "c1"
    assert any("lebih cocok" in r for r in by_id["A"].reasons)


def test_no_crew_is_booked_twice_and_every_incident_gets_a_decision() -> None:
    rng = random.Random(7)
    crews = [
        crew(
            f"c{i}",
            rng.uniform(0, 15),
            skills=frozenset(rng.sample(["driver", MEDIC, COUNSELLOR, FEMALE_OFFICER, BODY_HANDLING], 2)),
            vehicle=frozenset(rng.sample([SECURE_TRANSPORT, STRETCHER], rng.randint(0, 2))),
        )
        for i in range(20)
    ]
    flags = ["agitated", "injured", "child", "deceased"]
    incidents = [
        incident(
            f"i{i}",
            rng.randint(1, 4),
            rng.randint(0, 120),
            location=near(rng.uniform(0, 15)),
            flags=frozenset(rng.sample(flags, rng.randint(0, 2))),
        )
        for i in range(40)
    ]
    decisions = decide(incidents, crews, NOW)
    assert sorted(d.incident_id for d in decisions) == sorted(i.id for i in incidents)
    assigned = [d.crew_id for d in decisions if d.crew_id]
    assert len(assigned) == len(set(assigned)) <= 20
    by_incident = {i.id: i for i in incidents}
    by_crew = {c.id: c for c in crews}
    for d in decisions:
        if d.crew_id:
            need = needs(by_incident[d.incident_id])
            assert need.skills <= by_crew[d.crew_id].skills and need.vehicle <= by_crew[d.crew_id].vehicle


def test_unknown_positions_use_a_default_travel_time() -> None:
    d = best_crew(
        incident("i", location=None), [crew("c", position=None)], NOW, Params(unknown_travel_minutes=25)
    )
    assert d.crew_id == "c" and d.candidates[0].travel_minutes == 25


def test_seats_and_late_arrivals_cost_more() -> None:
    raid = incident("raid", subject_count=6)
    crews = [crew("pickup", 1, seats=3), crew("van", 4, seats=8)]
    d = best_crew(raid, crews, NOW)
    assert d.crew_id == "van"
    pickup = next(c for c in d.candidates if c.crew_id == "pickup")
    assert "kursi kurang: 6 orang, 3 kursi (perlu dua kali jalan)" in pickup.notes
    # Within a group, a crew goes where it can still arrive in time rather than where it is late anyway.
    soon = incident("soon", 2, minutes_ago=20, location=near(3), arrive_by=NOW + timedelta(minutes=15))
    hopeless = incident("hopeless", 2, minutes_ago=50, location=near(3), arrive_by=NOW - timedelta(minutes=5))
    one = [crew("only", 0)]
    by_id = {x.incident_id: x for x in decide([soon, hopeless], [crew("only", 0), crew("far", 30)], NOW)}
    assert by_id["soon"].crew_id == "only"
    assert decide([soon, hopeless], one, NOW)[0].incident_id in ("soon", "hopeless")


def test_cases_to_hand_over_go_first() -> None:
    new_p1 = incident("p1", 1, minutes_ago=1)
    handover = incident("open-case", 3, minutes_ago=90, handover=True)
    by_id = {d.incident_id: d for d in decide([new_p1, handover], [crew("only", 1)], NOW)}
    assert by_id["open-case"].crew_id == "only" and by_id["p1"].crew_id is None


def test_closest_idle_serves_in_arrival_order_with_the_nearest_free_crew() -> None:
    old_p3 = incident("old-p3", 3, minutes_ago=30, location=near(2))
    new_p1 = incident("new-p1", 1, minutes_ago=1, location=near(0))
    crews = [crew("a", 0), crew("b", 10)]
    by_id = {d.incident_id: d for d in closest_idle([old_p3, new_p1], crews, NOW)}
    # First come, first served: the P3 takes the nearest crew, the P1 gets the far one.
    assert by_id["old-p3"].crew_id == "a" and by_id["new-p1"].crew_id == "b"
    engine = {d.incident_id: d for d in decide([old_p3, new_p1], crews, NOW)}
    assert engine["new-p1"].crew_id == "a"
    # Hard constraints hold in both.
    odgj = incident("odgj", 1, flags=frozenset({"agitated"}), category="ODGJ")
    [d] = closest_idle([odgj], [crew("sedan", 0)], NOW)
    assert d.crew_id is None and d.why is not None and d.why.code == "none_qualified"


def test_a_p1_diverts_a_crew_on_its_way_to_a_lesser_case() -> None:
    p1 = incident("p1", 1, minutes_ago=2, location=near(1), arrive_by=NOW + timedelta(minutes=28))
    busy = [
        crew("to-p3", 2, status="en_route", busy_with="p3"),
        crew("at-p4", 0.5, status="on_scene", busy_with="p4"),
        crew("to-p2", 0.5, status="en_route", busy_with="p2"),
        crew("to-urgent-p3", 0.2, status="dispatched", busy_with="p3b"),
    ]
    jobs = {
        "to-p3": Job("to-p3", "p3", 3, "en_route", NOW + timedelta(hours=2)),
        "at-p4": Job("at-p4", "p4", 4, "on_scene", NOW + timedelta(hours=20)),
        "to-p2": Job("to-p2", "p2", 2, "en_route", NOW + timedelta(minutes=50)),
        # A P3 about to miss its own deadline is not robbed of its crew.
        "to-urgent-p3": Job("to-urgent-p3", "p3b", 3, "dispatched", NOW + timedelta(minutes=20)),
    }
    [d] = diversions([p1], busy, jobs, NOW)
    assert (d.crew_id, d.from_incident_id) == ("to-p3", "p3") and "P3" in d.reason
    # Nobody to divert for a P2, nor when the P1 could not be reached in time.
    assert diversions([replace(p1, priority=2)], busy, jobs, NOW) == []
    far = replace(p1, location=near(40), arrive_by=NOW + timedelta(minutes=10))
    assert diversions([far], busy, jobs, NOW) == []


def test_a_case_still_in_time_takes_the_crew_of_a_case_already_lost() -> None:
    """Jagtenberg, Bhulai & van der Mei (2017): a crew serves best where it can still be in time. A P2 that
    can be reached in time takes the crew on its way to a P2 it can no longer reach in time (not one still
    in time, not one on a P1, not one whose case lost a crew before); the nearest such crew goes."""
    p2 = incident("p2", 2, location=near(1), arrive_by=NOW + timedelta(minutes=40))
    far_away = near(30)  # 84 minutes from there
    busy = [
        crew("to-lost", 2, status="en_route", busy_with="lost"),
        crew("to-lost-far", 6, status="en_route", busy_with="lost-b"),
        crew("to-in-time", 0.5, status="en_route", busy_with="ok"),
        crew("to-lost-p1", 0.2, status="dispatched", busy_with="lost-p1"),
        crew("to-lost-twice", 0.3, status="en_route", busy_with="twice"),
        crew("at-lost", 0.1, status="on_scene", busy_with="there"),
    ]
    late = NOW + timedelta(minutes=10)
    jobs = {
        "to-lost": Job("to-lost", "lost", 2, "en_route", late, far_away),
        "to-lost-far": Job("to-lost-far", "lost-b", 3, "en_route", late, far_away),
        "to-in-time": Job("to-in-time", "ok", 2, "en_route", NOW + timedelta(minutes=30), near(3)),
        "to-lost-p1": Job("to-lost-p1", "lost-p1", 1, "dispatched", late, far_away),
        "to-lost-twice": Job("to-lost-twice", "twice", 2, "en_route", late, far_away, diverted_before=True),
        "at-lost": Job("at-lost", "there", 2, "on_scene", late, far_away),
    }
    [d] = diversions([p2], busy, jobs, NOW)
    assert (d.crew_id, d.from_incident_id) == ("to-lost", "lost")
    assert "pasti melewati target temu" in d.reason and "tepat waktu" in d.reason
    # Not for a case that would be late anyway, nor with the rule switched off.
    assert diversions([replace(p2, arrive_by=NOW + timedelta(minutes=2))], busy, jobs, NOW) == []
    assert diversions([p2], busy, jobs, NOW, Params(rescue=0)) == []
    # Two cases in time, one crew to spare each: the earlier deadline first.
    p1 = incident("p1", 1, location=near(1.5), arrive_by=NOW + timedelta(minutes=20))
    plan = {d.incident_id: d.crew_id for d in diversions([p2, p1], busy, jobs, NOW)}
    assert plan == {"p1": "to-lost", "p2": "to-lost-far"}


def test_no_crew_stays_idle_while_an_incident_it_could_serve_waits() -> None:
    """Two older incidents only the van can serve, a newer one only the sedan can: the sedan goes to the
    newer one (picking the oldest rows first would leave it idle)."""
    van = crew("van", 1, vehicle=frozenset({SECURE_TRANSPORT}))
    sedan = crew("sedan", 1, coverage=("21.71.06",))
    agitated = {"flags": frozenset({"agitated"}), "category": "ODGJ", "region_code": "21.71.01.1001"}
    first = incident("first", 1, minutes_ago=30, **agitated)
    second = incident("second", 1, minutes_ago=20, **agitated)
    newer = incident("newer", 1, minutes_ago=1)
    by_id = {d.incident_id: d.crew_id for d in decide([first, second, newer], [van, sedan], NOW)}
    assert by_id == {"first": "van", "second": None, "newer": "sedan"}


def test_the_last_free_secure_van_is_kept_for_a_case_that_needs_it() -> None:
    """Batam's night, 23:19: a street child near the only free crew with a secure van, another crew a few
    minutes further. Sending the van leaves the next agitated ODGJ (a P1, half an hour later) waiting for
    it; the engine sends the other crew unless the van is much nearer, and the van still goes where it is
    needed."""
    van = crew("van", 3, vehicle=frozenset({SECURE_TRANSPORT}))
    pickup = crew("pickup", 6, vehicle=frozenset({STRETCHER}))
    other = crew("other", 6)
    child = incident("aj", category="AJ", flags=frozenset({"child"}))
    d = best_crew(child, [van, other], NOW)
    assert d.crew_id == "other"
    assert any("regu bebas terakhir dengan angkutan aman" in n for c in d.candidates for n in c.notes)
    # Much nearer, it still goes (the penalty is minutes, not a ban).
    assert best_crew(child, [replace(van, position=near(0.2)), crew("other", 12)], NOW).crew_id == "van"
    # With a second free van, nothing is kept.
    assert best_crew(child, [van, replace(van, id="van2", position=near(6))], NOW).crew_id == "van"
    # The case that needs the van gets it; the stretcher (the pick-up's alone) is no reason to avoid it.
    odgj = incident("odgj", 1, category="ODGJ", flags=frozenset({"agitated"}))
    assert best_crew(odgj, [van, pickup], NOW).crew_id == "van"
    # And a case needing a stretcher takes the last stretcher without a penalty for it.
    body = incident("body", category="GEL", flags=frozenset({"deceased"}))
    bearer = replace(pickup, skills=frozenset({"driver", BODY_HANDLING}))
    d = best_crew(body, [bearer], NOW)
    assert d.crew_id == "pickup"
    assert not any("terakhir" in n for n in d.candidates[0].notes)
