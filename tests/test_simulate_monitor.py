"""The simulation's invariant monitor, fed events by hand (no server): a diversion is an assignment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from app.simulate import monitor, world
from app.simulate.actors import CrewInfo
from app.simulate.client import SimClock

START = datetime(2026, 12, 1, tzinfo=UTC)
SKILLS = frozenset({"driver", "medic", "counsellor", "female_officer", "body_handling"})
VEHICLE = frozenset({"secure_transport", "stretcher"})


def test_a_diverted_crews_new_case_is_not_a_stall(monkeypatch: Any) -> None:
    """A crew on its way to one case is diverted to another (the old case's assignment released, then
    `incident.diverted`): the new case no longer waits, the crew holds one job, and a second crew that is
    free while the new case is worked is no stall. Before, the monitor ignored `incident.diverted` and saw
    the new case waiting beside every free crew."""
    where = world.places()
    day = world.plan_day(START, 2, 1, where, surges=False)
    plan = day.reports[0]
    crews = {
        cid: monitor.CrewView(
            CrewInfo(cid, cid, START, START + timedelta(hours=8), {}, SKILLS, VEHICLE, 4),
            on_duty=True,
            position=(plan.lat, plan.lon),
        )
        for cid in ("diverted", "idle")
    }
    watch = monitor.Monitor("ws://unused", "", SimClock(START, 60.0), day, crews=crews)
    watch.plans = {"new": plan, "old": plan}
    seq = iter(range(1, 100))

    def event(kind: str, incident: str, crew: str | None = None, **data: Any) -> None:
        watch.take({"seq": next(seq), "type": kind, "incident_id": incident, "crew_id": crew, "data": data})

    event("incident.status_changed", "old", after="verified")
    event("offer.made", "old", "diverted", offer_id="o1", expires_at=START.isoformat())
    event("offer.accepted", "old", "diverted", offer_id="o1")
    event("crew.status_changed", "old", "diverted", after="en_route")
    event("incident.status_changed", "new", after="verified")
    event("assignment.released", "old", "diverted", offer_id="o1", reason="diverted")
    event("incident.status_changed", "old", after="verified")
    event("incident.diverted", "new", "diverted", offer_id="o2", from_incident_id="old")
    event("incident.status_changed", "new", after="dispatched")
    assert crews["diverted"].jobs == {"o2"}
    assert watch.incidents["new"].waiting_since is None
    assert watch.incidents["old"].waiting_since is not None
    # Later: both free long enough; only the case left waits, and the idle crew could take it: that one is
    # a stall, the diverted crew's case is not.
    late = time.monotonic() + 2 * monitor.STALL_REAL_SECONDS
    monkeypatch.setattr(time, "monotonic", lambda: late)
    crews["idle"].free_since = late - 2 * monitor.STALL_REAL_SECONDS
    watch.check_stalls()
    assert [b for b in watch.breaks if " new " in b] == []
    assert any(" old " in b for b in watch.breaks)
