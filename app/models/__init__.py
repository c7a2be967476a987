"""ORM models, one file per aggregate. Importing this package registers them all on Base.metadata."""

from app.models.agency import Agency, Referral, RoutingRule
from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.crew import Crew, CrewMember, CrewPosition, Personnel, Team, Vehicle
from app.models.dispatch import DispatchRegion
from app.models.event import Event, EventArchive, EventCounter
from app.models.facility import Assessment, Facility, FacilityUnit, Placement
from app.models.family import Handover, Repatriation, TracingContact
from app.models.incident import Incident, IncidentNote
from app.models.infra import IdempotencyKey, RateLimitWindow
from app.models.offer import Offer
from app.models.opendata import OpenDataFigures
from app.models.person import (
    IncidentSubject,
    MatchProposal,
    MatchRejection,
    Person,
    PersonCorrection,
    PersonKey,
    PersonLink,
    PersonMerge,
)
from app.models.push import PushMessage, PushSubscription
from app.models.report import Report
from app.models.social import SocialPost
from app.models.user import ApiKey, ConsoleSession, LoginFailures, Role, UsedTicket, User
from app.models.webhook import (
    InboundMessage,
    InboundSource,
    OutboxCursor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "Agency",
    "ApiKey",
    "Assessment",
    "AuditEntry",
    "Base",
    "ConsoleSession",
    "Crew",
    "CrewMember",
    "CrewPosition",
    "DispatchRegion",
    "Event",
    "EventArchive",
    "EventCounter",
    "Facility",
    "FacilityUnit",
    "Handover",
    "IdempotencyKey",
    "InboundMessage",
    "InboundSource",
    "Incident",
    "IncidentNote",
    "IncidentSubject",
    "LoginFailures",
    "MatchProposal",
    "MatchRejection",
    "Offer",
    "OpenDataFigures",
    "OutboxCursor",
    "Person",
    "PersonCorrection",
    "PersonKey",
    "PersonLink",
    "PersonMerge",
    "Personnel",
    "Placement",
    "PushMessage",
    "PushSubscription",
    "RateLimitWindow",
    "Referral",
    "Repatriation",
    "Report",
    "Role",
    "RoutingRule",
    "SocialPost",
    "Team",
    "TracingContact",
    "UsedTicket",
    "User",
    "Vehicle",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
