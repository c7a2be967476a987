"""What the operator's console reads beyond the API's own services (writes go through the API's services):

| module | what |
|---|---|
| `overview.py` | the queue, likely duplicates of a call before it is saved, the dispatch board |
| `incident.py` | the incident page: referrals and agencies, crews to dispatch by hand, the 4CT stages |
| `districts.py` | the board's open cases per kecamatan, with the nearest free crew |
"""

from app.services.console.districts import District, districts
from app.services.console.incident import IncidentPage, StageRow, incident_page
from app.services.console.overview import (
    Board,
    QueueRow,
    board,
    duplicates_for_call,
    next_deadline,
    place_name,
    queue,
)

__all__ = [
    "Board",
    "District",
    "IncidentPage",
    "QueueRow",
    "StageRow",
    "board",
    "districts",
    "duplicates_for_call",
    "incident_page",
    "next_deadline",
    "place_name",
    "queue",
]
