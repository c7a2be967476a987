"""Dispatch policy: every number that decides how long things wait, in one place a supervisor can read.

- An offer lasts P1 90 s, P2 3 min, P3 5 min, P4 10 min (a sleeping phone woken by a push needs about a
  minute to answer).
- After 3 offers not taken the supervisors hear of the case; the engine keeps offering it.
- A crew that declined is asked again after 10 min, if nobody else took it. A phone that did not answer (the
  offer expired) is asked again sooner for urgent cases, with a new push: P1 after 2 min, P2 after 5.
- When every qualified crew is busy the case is escalated: P1 at once, P2 after 2 min, P3 after 10, P4
  after 30 (a supervisor decides whether to pull a crew off a lighter case).
- A round waits 250 ms after the first change that needs it, so verifications arriving together are
  planned together; while incidents wait, the kab/kota gets a round at least every 30 s (re-offers and
  escalations come due without any request).
- A phone's timestamps are taken up to 2 min ahead of the server and up to 24 h old.
- A case no free crew can take goes to a crew on its way to another case (not yet with the person): a P1
  takes one from a P3/P4 that can wait an hour; a case still reachable within its temu target takes one
  whose own case can no longer be reached in time, when that case is not more urgent and has not lost a crew
  so before (app/dispatch/engine.py: diversions).
"""

from __future__ import annotations

from datetime import timedelta

OFFER_SECONDS: dict[int, int] = {1: 90, 2: 180, 3: 300, 4: 600}
ESCALATE_AFTER_OFFERS = 3
REOFFER_AFTER = timedelta(minutes=10)
REOFFER_UNANSWERED_AFTER: dict[int, timedelta] = {1: timedelta(minutes=2), 2: timedelta(minutes=5)}
ESCALATE_WHEN_BUSY: dict[int, timedelta] = {
    1: timedelta(0),
    2: timedelta(minutes=2),
    3: timedelta(minutes=10),
    4: timedelta(minutes=30),
}
ROUND_DELAY = timedelta(milliseconds=250)
ROUND_EVERY_WHILE_WAITING = timedelta(seconds=30)
# Expected handling time by category, minutes (the engine avoids crews whose shift ends sooner).
EXPECTED_MINUTES: dict[str, int] = {"ODGJ": 120, "PASUNG": 180, "JENAZAH": 180, "KBA": 240}
DEFAULT_EXPECTED_MINUTES = 60
CLIENT_AHEAD = timedelta(minutes=2)
CLIENT_BEHIND = timedelta(hours=24)


def reoffer_after(priority: int, *, unanswered: bool) -> timedelta:
    """How long a crew that declined an incident (or did not answer its offer) is not asked again."""
    if unanswered:
        return REOFFER_UNANSWERED_AFTER.get(priority, REOFFER_AFTER)
    return REOFFER_AFTER


def offer_lifetime(priority: int) -> timedelta:
    return timedelta(seconds=OFFER_SECONDS[priority])


def expected_minutes(category: str) -> int:
    return EXPECTED_MINUTES.get(category, DEFAULT_EXPECTED_MINUTES)
