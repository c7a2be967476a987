"""Dispatch use cases, by the moment they happen (the pure rules are in app/dispatch/):

| module | what |
|---|---|
| `rounds.py` | where a crew is chosen: a kab/kota's round, and the dispatcher that runs due rounds |
| `answers.py` | a crew accepts or declines an offer |
| `steps.py` | a crew's steps in the field, and incident transitions that move its crew |
| `manual.py` | dispatch (or reassignment) by hand |
| `triage.py` | verify, reject, merge, re-prioritise: what changes the waiting list |
| `timed.py` | offers expiring, shifts starting and ending (handover) |
| `locks.py` | the one lock order (kab/kota first), and marking a round due |
| `engagements.py` | offer, assign, withdraw, release, escalate: the steps the others are made of |
"""

from app.services.dispatch.answers import accept, decline
from app.services.dispatch.locks import regency_of
from app.services.dispatch.manual import dispatch_manually
from app.services.dispatch.rounds import Dispatcher, run_due, run_round
from app.services.dispatch.steps import set_crew_status, transition
from app.services.dispatch.timed import end_shifts, expire_offers, start_shifts
from app.services.dispatch.triage import (
    answer_referral,
    answer_referral_on_behalf,
    capacity_changed,
    escalations,
    merge,
    patch,
    reject,
    relocate,
    verify,
)

__all__ = [
    "Dispatcher",
    "accept",
    "answer_referral",
    "answer_referral_on_behalf",
    "capacity_changed",
    "decline",
    "dispatch_manually",
    "end_shifts",
    "escalations",
    "expire_offers",
    "merge",
    "patch",
    "regency_of",
    "reject",
    "relocate",
    "run_due",
    "run_round",
    "set_crew_status",
    "start_shifts",
    "transition",
    "verify",
]
