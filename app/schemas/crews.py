from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from app.schemas.common import Latitude, Longitude, Name, Out, Phone, RegionCode, Strict

Skill = Literal["driver", "medic", "counsellor", "female_officer", "body_handling", "social_worker"]
Capability = Literal["secure_transport", "stretcher"]


class CrewStatus(StrEnum):
    available = "available"
    offered = "offered"
    dispatched = "dispatched"
    en_route = "en_route"
    on_scene = "on_scene"
    transporting = "transporting"
    at_facility = "at_facility"
    out_of_service = "out_of_service"
    off_shift = "off_shift"


class TeamCreate(Strict):
    name: Name
    region_code: RegionCode


Minutes = Annotated[int, Field(ge=1, le=60 * 24 * 30)]


class StageTargets(Strict):
    temu: Minutes | None = None
    tanggap: Minutes | None = None
    tindak: Minutes | None = None
    tuntas: Minutes | None = None


class TeamPatch(Strict):
    name: Name | None = None
    four_ct_targets: dict[Literal["1", "2", "3", "4"], StageTargets] | None = Field(
        default=None,
        description="4CT targets in minutes per priority, over the defaults ({} resets)",
    )


class TeamOut(Out):
    id: uuid.UUID
    name: str
    region_code: str
    timezone: str
    four_ct_targets: dict[str, dict[str, int]] = Field(description="the targets in force, per priority")


class PersonnelCreate(Strict):
    name: Name
    kind: Literal["trc", "bko"] = "trc"
    home_unit: Annotated[str, StringConstraints(max_length=120)] | None = None
    seconded_from: date | None = None
    seconded_until: date | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=6)
    phone: Phone | None = None
    user_id: uuid.UUID | None = Field(
        default=None, description="the account this person uses in the crew app"
    )

    @model_validator(mode="after")
    def _bko_has_a_secondment(self) -> PersonnelCreate:
        if self.kind == "bko" and not (self.home_unit and self.seconded_from and self.seconded_until):
            raise ValueError("BKO personnel need home_unit, seconded_from and seconded_until")
        if self.seconded_from and self.seconded_until and self.seconded_until < self.seconded_from:
            raise ValueError("seconded_until is before seconded_from")
        return self


class PersonnelOut(Out):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    kind: str
    home_unit: str | None
    seconded_from: date | None
    seconded_until: date | None
    skills: list[str]
    user_id: uuid.UUID | None
    active: bool


class VehicleCreate(Strict):
    name: Name
    plate: Annotated[str, StringConstraints(max_length=16)] | None = None
    seats: int = Field(ge=1, le=60)
    capabilities: list[Capability] = Field(default_factory=list, max_length=2)


class VehicleOut(Out):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    plate: str | None
    seats: int
    capabilities: list[str]
    in_service: bool


class CrewCreate(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=60)]
    shift_starts_at: AwareDatetime
    shift_ends_at: AwareDatetime
    member_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    vehicle_id: uuid.UUID | None = None
    coverage: list[RegionCode] = Field(
        default_factory=list, max_length=50, description="region prefixes; the team's kab/kota when empty"
    )

    @model_validator(mode="after")
    def _shift_order(self) -> CrewCreate:
        if self.shift_ends_at <= self.shift_starts_at:
            raise ValueError("shift_ends_at must be after shift_starts_at")
        if (self.shift_ends_at - self.shift_starts_at).total_seconds() > 24 * 3600:
            raise ValueError("a shift lasts at most 24 hours")
        return self


class RosterIn(Strict):
    template: Literal["3x8", "2x12"] = "3x8"
    start_date: date = Field(description="the first day, in the team's local time")
    days: int = Field(ge=1, le=31)
    groups: list[list[uuid.UUID]] = Field(
        min_length=1, max_length=8, description="the people of each group; the groups take the shifts in turn"
    )
    crews_per_shift: int = Field(default=1, ge=1, le=6, description="a group is split into this many crews")
    vehicle_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10,
        description="crew n of each shift takes vehicle n; the rest go without",
    )

    @model_validator(mode="after")
    def _groups_apart(self) -> RosterIn:
        seen: set[uuid.UUID] = set()
        for group in self.groups:
            if not group:
                raise ValueError("a group needs at least one person")
            if seen & set(group):
                raise ValueError("a person belongs to one group")
            seen |= set(group)
        return self


class SwapIn(Strict):
    out_id: uuid.UUID = Field(description="the member who does not come")
    in_id: uuid.UUID = Field(description="who stands in")
    reason: Annotated[str, StringConstraints(min_length=3, max_length=200)]


class CrewOut(Out):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    shift_starts_at: datetime
    shift_ends_at: datetime
    vehicle: VehicleOut | None
    members: list[PersonnelOut]
    skills: list[str]
    coverage: list[str]
    status: CrewStatus
    status_reason: str | None
    status_at: datetime
    last_lat: float | None
    last_lon: float | None
    last_seen_at: datetime | None


class StatusIn(Strict):
    status: CrewStatus
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None

    @model_validator(mode="after")
    def _out_of_service_says_why(self) -> StatusIn:
        if self.status == CrewStatus.out_of_service and not self.reason:
            raise ValueError("out_of_service needs a reason (e.g. no fuel)")
        return self


class LocationIn(Strict):
    lat: Latitude
    lon: Longitude
    at: AwareDatetime | None = None
