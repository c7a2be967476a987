"""Teams, their people and vehicles, crews per shift, and crews in the field.

| module | what |
|---|---|
| `teams.py` | teams, their targets and shift template, who manages them |
| `people.py` | personnel and vehicles: add, list, edit, out of service |
| `forming.py` | crews for one shift, rosters, swaps, the roster as it stands |
| `field.py` | who is on duty, positions, who acts for a crew, how a crew is shown |

A crew's status and its jobs are dispatch's (app/services/dispatch/steps.py).
"""

from app.services.crews.field import POSITION_EVERY, acts_for, get_crew, on_duty, ping, render
from app.services.crews.forming import form_crew, roster, roster_view, swap
from app.services.crews.people import (
    add_personnel,
    add_vehicle,
    list_personnel,
    list_vehicles,
    patch_personnel,
    patch_vehicle,
)
from app.services.crews.teams import MANAGE, SEE, create_team, patch_team, teams

__all__ = [
    "MANAGE",
    "POSITION_EVERY",
    "SEE",
    "acts_for",
    "add_personnel",
    "add_vehicle",
    "create_team",
    "form_crew",
    "get_crew",
    "list_personnel",
    "list_vehicles",
    "on_duty",
    "patch_personnel",
    "patch_team",
    "patch_vehicle",
    "ping",
    "render",
    "roster",
    "roster_view",
    "swap",
    "teams",
]
