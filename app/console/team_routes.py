"""The supervisor's pages for the team: the roster of the week (crews on duty, a roster formed from groups, a
stand-in for a member), personnel and vehicles (add, deactivate, out of service and back), the 4CT targets
and the shift template.

Supervisors and admins only (session.supervisor: others get a 403 page); the services check the region
again. Thin like the API's routers: each form goes through the API's schema and the API's service
(app/services/crews), then redirects back to its page (htmx swaps the page's article in place)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import SessionDep
from app.console import forms, session
from app.console.pages import render
from app.console.session import ConsoleSession
from app.dispatch import fourct, shifts
from app.errors import NotFound, Unprocessable
from app.models import Team
from app.models.base import utcnow
from app.reference import regions
from app.schemas.crews import (
    CrewCreate,
    PersonnelCreate,
    PersonnelPatch,
    RosterIn,
    SwapIn,
    TeamPatch,
    VehicleCreate,
    VehiclePatch,
)
from app.services import crews, dispatch

router = APIRouter(prefix="/konsol", include_in_schema=False)
Supervisor = Annotated[ConsoleSession, Depends(session.supervisor)]
TeamQuery = Annotated[uuid.UUID | None, Query()]
SKILLS = ("driver", "medic", "counsellor", "female_officer", "body_handling", "social_worker")
CAPABILITIES = ("secure_transport", "stretcher")


async def _team(db: AsyncSession, sess: ConsoleSession, tim: uuid.UUID | None) -> tuple[Team, Sequence[Team]]:
    """The team the page shows (the first of the caller's region unless `tim` names another) and the rest."""
    teams = await crews.teams(db, sess.principal)
    if not teams:
        raise NotFound("belum ada tim TRC di wilayah Anda")
    if tim is None:
        return teams[0], teams
    chosen = next((t for t in teams if t.id == tim), None)
    if chosen is None:
        raise NotFound("tim tidak ditemukan di wilayah Anda")
    return chosen, teams


def _week(team: Team, minggu: date | None) -> tuple[date, datetime, ZoneInfo]:
    """Monday of the week shown (this week in the team's time zone unless `minggu` names a day) and when
    it starts."""
    zone = ZoneInfo(regions.timezone_for(team.region_code))
    day = minggu or utcnow().astimezone(zone).date()
    monday = day - timedelta(days=day.weekday())
    return monday, datetime.combine(monday, time(), zone), zone


def _back(path: str, team_id: uuid.UUID, extra: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?tim={team_id}{extra}", status_code=303)


def _flag(raw: str | None) -> bool:
    return raw in ("1", "true", "on")


# ---- the roster of the week -----------------------------------------------------------------------------


@router.get("/jadwal", response_class=HTMLResponse)
async def roster_page(
    request: Request, sess: Supervisor, db: SessionDep, tim: TeamQuery = None, minggu: date | None = None
) -> Response:
    team, teams = await _team(db, sess, tim)
    monday, since, zone = _week(team, minggu)
    week = await crews.render(
        db, await crews.roster_view(db, sess.principal, team.id, since, since + timedelta(days=7))
    )
    on_duty = [
        c
        for c in await crews.render(
            db, await crews.on_duty(db, sess.principal, region=team.region_code, at=None)
        )
        if c.team_id == team.id
    ]
    days = [monday + timedelta(days=n) for n in range(7)]
    by_day: dict[date, list[object]] = {d: [] for d in days}
    for crew in week:
        # A night shift begun on the Sunday before shows on Monday.
        by_day[max(crew.shift_starts_at.astimezone(zone).date(), monday)].append(crew)
    people = [p for p in await crews.list_personnel(db, sess.principal, team.id) if p.active]
    return render(
        request,
        "roster.html",
        sess,
        team=team,
        teams=teams,
        monday=monday,
        days=days,
        by_day=by_day,
        on_duty=on_duty,
        zone=zone,
        people=people,
        vehicles=[v for v in await crews.list_vehicles(db, sess.principal, team.id) if v.in_service],
        shift_choices=_shift_choices(team),
        today=utcnow().astimezone(zone).date(),
        previous_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
    )


@router.post("/jadwal/{team_id}")
async def form_roster(request: Request, team_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    """Crews for a period from the shift template and groups of people who take the shifts in turn."""
    fields, lists = await forms.read_lists(request, sess)
    numbered: dict[int, list[str]] = {}
    for key, value in fields.items():
        if key.startswith("group_") and value.isdigit() and int(value) > 0:
            numbered.setdefault(int(value), []).append(key.removeprefix("group_"))
    if not numbered:
        raise Unprocessable("masukkan setidaknya satu orang ke sebuah kelompok", field="groups")
    body = forms.parse(
        RosterIn,
        "groups",
        "periksa tanggal mulai, jumlah hari (1-31), regu per sif (1-6) dan kelompok",
        lambda: {
            "template": fields.get("template") or None,
            "start_date": fields.get("start_date", ""),
            "days": fields.get("days", ""),
            "crews_per_shift": fields.get("crews_per_shift") or 1,
            "groups": [numbered[n] for n in sorted(numbered)],
            "vehicle_ids": lists.get("vehicle", []),
        },
    )
    await crews.roster(db, sess.principal, team_id, body)
    return _back("/konsol/jadwal", team_id, f"&minggu={body.start_date.isoformat()}")


def _shift_choices(team: Team) -> list[tuple[str, str]]:
    """(value, label) of each shift of the team's template: "Pagi 07:00–15:00"."""
    out = []
    for n, t in enumerate(shifts.TEMPLATES.get(team.shift_template, shifts.THREE_EIGHTS)):
        ends = (datetime.combine(date.min, t.starts) + timedelta(hours=t.hours)).time()
        out.append((str(n), f"{t.name} {t.starts:%H:%M}–{ends:%H:%M}"))
    return out


@router.post("/jadwal/{team_id}/regu")
async def form_one_crew(request: Request, team_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    """One crew for one shift of a day: its members and vehicle, through the API's service (the same checks:
    nobody in two crews at once, a vehicle with one crew at a time; a clash is a 409 and adds nothing)."""
    fields, lists = await forms.read_lists(request, sess)
    team, _ = await _team(db, sess, team_id)
    templates = shifts.TEMPLATES.get(team.shift_template, shifts.THREE_EIGHTS)

    def build() -> dict[str, object]:
        day, n = date.fromisoformat(fields.get("day", "")), int(fields.get("shift", ""))
        if not 0 <= n < len(templates):
            raise ValueError("no such shift")
        [window] = shifts.shifts_on(day, (templates[n],), regions.timezone_for(team.region_code))
        return {
            "name": fields.get("name", "").strip(),
            "shift_starts_at": window.starts_at,
            "shift_ends_at": window.ends_at,
            "member_ids": lists.get("member", []),
            "vehicle_id": fields.get("vehicle") or None,
        }

    body = forms.parse(
        CrewCreate, "crew", "tulis nama regu, pilih hari, sif dan setidaknya satu anggota", build
    )
    await crews.form_crew(db, sess.principal, team.id, body)
    day = body.shift_starts_at.astimezone(ZoneInfo(regions.timezone_for(team.region_code))).date()
    return _back("/konsol/jadwal", team.id, f"&minggu={day.isoformat()}")


@router.post("/jadwal/regu/{crew_id}/ganti")
async def swap_member(request: Request, crew_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    """Someone stands in for a member (sick, on leave), with a reason."""
    fields = await forms.read(request, sess)
    body = forms.parse(
        SwapIn,
        "reason",
        "pilih siapa yang diganti, penggantinya, dan tulis alasan (minimal 3 huruf)",
        lambda: {
            "out_id": fields.get("out", ""),
            "in_id": fields.get("in", ""),
            "reason": fields.get("reason", ""),
        },
    )
    crew = await crews.swap(db, sess.principal, crew_id, body)
    week = fields.get("minggu", "")
    return _back("/konsol/jadwal", crew.team_id, f"&minggu={week}" if week else "")


# ---- personnel and vehicles -----------------------------------------------------------------------------


@router.get("/personel", response_class=HTMLResponse)
async def people_page(request: Request, sess: Supervisor, db: SessionDep, tim: TeamQuery = None) -> Response:
    team, teams = await _team(db, sess, tim)
    return render(
        request,
        "personnel.html",
        sess,
        team=team,
        teams=teams,
        people=await crews.list_personnel(db, sess.principal, team.id),
        vehicles=await crews.list_vehicles(db, sess.principal, team.id),
        skills=SKILLS,
        capabilities=CAPABILITIES,
    )


@router.post("/personel/{team_id}/tambah")
async def add_person(request: Request, team_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    fields, lists = await forms.read_lists(request, sess)
    body = forms.parse(
        PersonnelCreate,
        "name",
        "tulis nama; personel BKO perlu satuan asal dan masa penugasan; nomor telepon harus valid",
        lambda: {
            "name": fields.get("name", ""),
            "kind": fields.get("kind") or "trc",
            "home_unit": fields.get("home_unit") or None,
            "seconded_from": fields.get("seconded_from") or None,
            "seconded_until": fields.get("seconded_until") or None,
            "phone": fields.get("phone") or None,
            "skills": lists.get("skill", []),
        },
    )
    await crews.add_personnel(db, sess.principal, team_id, body)
    return _back("/konsol/personel", team_id)


@router.post("/personel/{person_id}/aktif")
async def set_person_active(
    request: Request, person_id: uuid.UUID, sess: Supervisor, db: SessionDep
) -> Response:
    """Deactivated: no longer in the team's crews; the kab/kota's dispatch plan is made again (as the API)."""
    fields = await forms.read(request, sess)
    person, team = await crews.patch_personnel(
        db, sess.principal, person_id, PersonnelPatch(active=_flag(fields.get("active")))
    )
    await dispatch.capacity_changed(db, team.region_code)
    return _back("/konsol/personel", person.team_id)


@router.post("/kendaraan/{team_id}/tambah")
async def add_vehicle(request: Request, team_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    fields, lists = await forms.read_lists(request, sess)
    body = forms.parse(
        VehicleCreate,
        "vehicle-name",
        "tulis nama kendaraan dan jumlah kursi (1-60)",
        lambda: {
            "name": fields.get("name", ""),
            "plate": fields.get("plate") or None,
            "seats": fields.get("seats", ""),
            "capabilities": lists.get("capability", []),
        },
    )
    await crews.add_vehicle(db, sess.principal, team_id, body)
    return _back("/konsol/personel", team_id)


@router.post("/kendaraan/{vehicle_id}/layanan")
async def set_vehicle_service(
    request: Request, vehicle_id: uuid.UUID, sess: Supervisor, db: SessionDep
) -> Response:
    """Out of service with a reason (no fuel, flat tyre, repair) or back: the plan is made again."""
    fields = await forms.read(request, sess)
    in_service = _flag(fields.get("in_service"))
    body = forms.parse(
        VehiclePatch,
        "reason",
        "tulis alasan kendaraan tidak beroperasi (minimal 3 huruf)",
        lambda: (
            {"in_service": True}
            if in_service
            else {"in_service": False, "out_of_service_reason": fields.get("reason", "")}
        ),
    )
    vehicle, team = await crews.patch_vehicle(db, sess.principal, vehicle_id, body)
    await dispatch.capacity_changed(db, team.region_code)
    return _back("/konsol/personel", vehicle.team_id)


# ---- 4CT targets and the shift template -----------------------------------------------------------------


@router.get("/target", response_class=HTMLResponse)
async def targets_page(request: Request, sess: Supervisor, db: SessionDep, tim: TeamQuery = None) -> Response:
    team, teams = await _team(db, sess, tim)
    return render(
        request,
        "targets.html",
        sess,
        team=team,
        teams=teams,
        targets=fourct.merge(team.four_ct_targets),
        defaults=fourct.TARGET_MINUTES,
        stages=fourct.STAGES,
    )


@router.post("/target/{team_id}")
async def set_targets(request: Request, team_id: uuid.UUID, sess: Supervisor, db: SessionDep) -> Response:
    """The targets as entered; only those that differ from the defaults are kept as the team's own, so a
    later change of a default reaches the stages the team left alone."""
    fields = await forms.read(request, sess)
    overrides: dict[str, dict[str, object]] = {}
    for priority, stages in fourct.TARGET_MINUTES.items():
        for stage, default in stages.items():
            raw = fields.get(f"t{priority}_{stage.name}", "").strip()
            if raw and raw != str(default):
                overrides.setdefault(str(priority), {})[stage.name] = raw
    body: dict[str, object] = {"four_ct_targets": overrides}
    if fields.get("shift_template"):
        body["shift_template"] = fields["shift_template"]
    patch = forms.parse(
        TeamPatch, "targets", "target harus bilangan bulat menit, 1 sampai 43200", lambda: body
    )
    await crews.patch_team(db, sess.principal, team_id, patch)
    return _back("/konsol/target", team_id)
