from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from app.dispatch.crewflow import CrewStatus
from app.schemas.common import Latitude, Longitude, Name, Out, Patch, Phone, RegionCode, Strict

Skill = Literal["driver", "medic", "counsellor", "female_officer", "body_handling", "social_worker"]
Capability = Literal["secure_transport", "stretcher"]


class TeamCreate(Strict):
    name: Name
    region_code: RegionCode


Minutes = Annotated[int, Field(ge=1, le=60 * 24 * 30)]


class StageTargets(Strict):
    temu: Minutes | None = None
    tanggap: Minutes | None = None
    tindak: Minutes | None = None
    tuntas: Minutes | None = None


class TeamPatch(Patch):
    name: Name | None = None
    shift_template: Literal["3x8", "2x12"] | None = Field(
        default=None, description="the shifts its rosters use unless a roster says otherwise"
    )
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
    shift_template: str


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
    out_of_service_reason: str | None


class VehiclePatch(Patch):
    clearable = frozenset({"plate", "out_of_service_reason"})

    name: Name | None = None
    plate: Annotated[str, StringConstraints(max_length=16)] | None = None
    seats: int | None = Field(default=None, ge=1, le=60)
    capabilities: list[Capability] | None = Field(default=None, max_length=2)
    in_service: bool | None = None
    out_of_service_reason: Annotated[str, StringConstraints(min_length=3, max_length=200)] | None = Field(
        default=None, description="required when taking it out of service (e.g. no fuel, flat tyre, repair)"
    )

    @model_validator(mode="after")
    def _out_of_service_says_why(self) -> VehiclePatch:
        if self.in_service is False and not self.out_of_service_reason:
            raise ValueError("out_of_service_reason is required when in_service is false (e.g. ban bocor)")
        return self


class PersonnelPatch(Patch):
    clearable = frozenset({"home_unit", "seconded_from", "seconded_until", "phone", "user_id"})

    name: Name | None = None
    skills: list[Skill] | None = Field(default=None, max_length=6)
    phone: Phone | None = None
    active: bool | None = Field(default=None, description="false: no longer in the team's crews")
    home_unit: Annotated[str, StringConstraints(max_length=120)] | None = None
    seconded_from: date | None = None
    seconded_until: date | None = None
    user_id: uuid.UUID | None = None


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
    template: Literal["3x8", "2x12"] | None = Field(
        default=None, description="the team's template if not given"
    )
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
    status: CrewStatus = Field(
        description="what the crew reports: available, out_of_service (with a reason), or a step of its "
        "case: en_route, on_scene, handling, transporting, at_facility"
    )
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None
    at: AwareDatetime | None = Field(
        default=None,
        description="when the step was taken, from the phone's clock (sent later where there was no signal); "
        "at most 2 min ahead of the server and 24 h old",
    )

    @model_validator(mode="after")
    def _out_of_service_says_why(self) -> StatusIn:
        if self.status == CrewStatus.out_of_service and not self.reason:
            raise ValueError("out_of_service needs a reason (e.g. no fuel)")
        return self


class ShiftOut(Out):
    starts_at: datetime
    ends_at: datetime
    on_duty: bool


class MeOut(Out):
    """What the crew's app needs on opening: who, which crew (now or next), its shift."""

    user_id: uuid.UUID
    username: str
    role: str
    region_code: str
    crew: CrewOut | None = Field(description="the crew the user works in now (or next, if none now)")
    team: TeamOut | None
    shift: ShiftOut | None


class LocationIn(Strict):
    lat: Latitude
    lon: Longitude
    at: AwareDatetime | None = None


class LocationAck(Out):
    kept: bool = Field(
        description="whether the position went into the history (pings closer than 10 s apart only move "
        "the last known position); also in the X-Position-Kept header"
    )
