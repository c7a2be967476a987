"""ORM models, one file per aggregate. Importing this package registers them all on Base.metadata."""

from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.crew import Crew, CrewMember, CrewPosition, Personnel, Team, Vehicle
from app.models.event import Event, EventCounter
from app.models.incident import Incident, IncidentNote
from app.models.infra import IdempotencyKey, RateLimitWindow
from app.models.offer import Offer
from app.models.report import Report
from app.models.user import ApiKey, Role, User

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Crew",
    "CrewMember",
    "CrewPosition",
    "Event",
    "EventCounter",
    "IdempotencyKey",
    "Incident",
    "IncidentNote",
    "Offer",
    "Personnel",
    "RateLimitWindow",
    "Report",
    "Role",
    "Team",
    "User",
    "Vehicle",
]
