"""Demo data: accounts for each demo kab/kota and a few reports, so a newcomer sees Tanggap at work.

Idempotent: accounts that exist are left alone, and sample reports are added only once per region.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.dispatch.shifts import THREE_EIGHTS, current, shifts_on
from app.models import Agency, Report, Role, Team, User
from app.reference import regions
from app.schemas.agencies import AgencyIn, RuleIn
from app.schemas.crews import CrewCreate, PersonnelCreate, VehicleCreate
from app.schemas.reports import ReportCreate
from app.services import agencies, crews, intake, users
from app.services.access import Principal

DEMO_PASSWORD = "tanggap-demo"  # noqa: S105 - demo accounts only; documented in the README
# slug, kab/kota code, a kelurahan/desa used for sample reports, (lat, lon) near it
DEMO_TEAMS = [
    ("batam", "21.71", "21.71.06.1003", (1.1430, 104.0113)),  # Lubuk Baja Kota
    ("ppu", "64.09", "64.09.01.1011", (-1.2563, 116.7684)),  # Penajam
    ("mataram", "52.71", "52.71.01.1005", (-8.5719, 116.0791)),  # Ampenan Tengah
    ("tegal", "33.28", "33.28.10.2004", (-6.9921, 109.1374)),  # Slawi Kulon
    ("jember", "35.09", "35.09.19.1006", (-8.1751, 113.6997)),  # Kepatihan
]
SAMPLES = [
    {
        "channel": "call_center",
        "category": "ODGJ",
        "description": "ODGJ laki-laki mengamuk di simpang dekat pasar, melempar batu ke kendaraan",
        "subject": {"count": 1, "approx_age": 35, "sex": "male", "flags": ["agitated"]},
        "reporter": {"name": "Budi Santoso", "phone": "081234567890"},
    },
    {
        "channel": "social_media",
        "category": "LUT",
        "description": "Nenek tidur di emperan toko sudah tiga hari, tampak lemah",
        "subject": {"count": 1, "approx_age": 78, "sex": "female", "flags": ["elderly", "sick"]},
        "external_ref": "https://x.com/warga/status/1",
    },
    {
        "channel": "community",
        "category": "AJ",
        "description": "Dua anak jalanan mengamen di lampu merah pada jam sekolah",
        "subject": {"count": 2, "approx_age": 11, "sex": "unknown", "flags": ["child"]},
    },
]


def demo_usernames(slug: str) -> dict[Role, str]:
    return {
        role: f"{role.value}.{slug}"
        for role in (Role.supervisor, Role.operator, Role.crew, Role.agency, Role.reporter)
    }


FIRST_NAMES = [
    "Andi",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fajar",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lukman",
    "Maya",
    "Nanda",
    "Oki",
    "Putri",
    "Rina",
    "Sari",
    "Taufik",
    "Umar",
    "Vina",
    "Wahyu",
    "Yanti",
    "Zainal",
    "Agus",
    "Bayu",
]
# Skills by position in a group, so that every shift has drivers, a medic, a woman officer and a counsellor.
SKILL_CYCLE = [
    ["driver"],
    ["medic", "driver"],
    ["female_officer", "social_worker"],
    ["counsellor"],
    ["body_handling", "driver"],
    ["female_officer", "medic"],
    ["driver"],
    ["social_worker"],
    ["driver", "body_handling"],
]
# (slug, TRC staff, BKO personnel, crews per shift); Batam's numbers are its real ones.
TEAM_SIZES = {
    "batam": (14, 12, 2),
    "ppu": (10, 0, 1),
    "mataram": (10, 3, 1),
    "tegal": (10, 3, 1),
    "jember": (12, 4, 1),
}


async def seed_teams(session: AsyncSession, now: datetime) -> int:
    """A TRC team per demo kab/kota: TRC and BKO people in three rotating groups, two vehicles, and crews for
    the three 8-hour shifts (local time) from yesterday to three days ahead. Returns the crews formed."""
    formed = 0
    admin = await session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    boss = Principal(admin.id, admin.username, Role.admin, "")
    for slug, regency, _village, (lat, lon) in DEMO_TEAMS:
        if await session.scalar(select(Team.id).where(Team.region_code == regency)):
            continue
        trc, bko, per_shift = TEAM_SIZES[slug]
        team = await crews.create_team(session, boss, f"TRC {slug.title()}", regency)
        people = []
        for i in range(trc + bko):
            body = PersonnelCreate.model_validate(
                {
                    "name": f"{FIRST_NAMES[i % len(FIRST_NAMES)]} ({slug})",
                    "kind": "trc" if i < trc else "bko",
                    "skills": SKILL_CYCLE[i % len(SKILL_CYCLE)],
                    **(
                        {}
                        if i < trc
                        else {
                            "home_unit": "Satpol PP" if i % 2 else "Tagana",
                            "seconded_from": (now - timedelta(days=60)).date().isoformat(),
                            "seconded_until": (now + timedelta(days=120)).date().isoformat(),
                        }
                    ),
                }
            )
            people.append(await crews.add_personnel(session, boss, team.id, body))
        vans = [
            await crews.add_vehicle(session, boss, team.id, VehicleCreate.model_validate(v))
            for v in (
                {
                    "name": "URC 1",
                    "plate": "URC-01",
                    "seats": 6,
                    "capabilities": ["secure_transport", "stretcher"],
                },
                {"name": "Pick-up", "plate": "URC-02", "seats": 4, "capabilities": []},
            )
        ]
        groups = [people[g::3] for g in range(3)]
        zone = regions.timezone_for(regency)
        local_today = now.astimezone(ZoneInfo(zone)).date()
        for offset in range(-1, 4):
            day = local_today + timedelta(days=offset)
            for index, window in enumerate(shifts_on(day, THREE_EIGHTS, zone)):
                group = groups[(day.toordinal() * 3 + index) % 3]
                for n in range(per_shift):
                    members = group[n::per_shift]
                    crew = await crews.form_crew(
                        session,
                        boss,
                        team.id,
                        CrewCreate(
                            name=f"Regu {window.name} {n + 1}",
                            shift_starts_at=window.starts_at,
                            shift_ends_at=window.ends_at,
                            member_ids=[m.id for m in members],
                            vehicle_id=vans[n % len(vans)].id,
                        ),
                    )
                    # Waiting at the Dinsos office, a few hundred metres from the demo kelurahan.
                    crew.last_lat, crew.last_lon, crew.last_seen_at = lat + 0.004 * (n + 1), lon, now
                    formed += 1
        # The demo crew account belongs to a member of the group on duty now.
        on_now = current(now, THREE_EIGHTS, zone)
        group = groups[
            (
                on_now.day.toordinal() * 3
                + THREE_EIGHTS.index(next(t for t in THREE_EIGHTS if t.name == on_now.name))
            )
            % 3
        ]
        account = await session.scalar(select(User).where(User.username == f"crew.{slug}"))
        if account is not None:
            group[0].user_id = account.id
    await session.flush()
    return formed


# Partner agencies of every demo kab/kota, and the rules that refer to them (kind, name, where, rules):
# the police of the kecamatan for neglected adults and the homeless, police and RSJ for an agitated ODGJ
# (the RSJ's admission resolves the case), BPBD and police for an unclaimed body.
DEMO_RULES = [
    ("Orang terlantar: polisi setempat", "OT", [], "police", False),
    ("Gelandangan: polisi setempat", "GEL", [], "police", False),
    ("ODGJ mengamuk: polisi", "ODGJ", ["agitated"], "police", False),
    ("ODGJ mengamuk: RSJ", "ODGJ", ["agitated"], "rsj", True),
    ("Jenazah: BPBD", "JENAZAH", [], "bpbd", False),
    ("Jenazah: polisi", "JENAZAH", [], "police", False),
]


async def seed_agencies(session: AsyncSession, boss: Principal) -> dict[str, uuid.UUID]:
    """The demo agencies and routing rules; returns the Polsek of each demo kab/kota by slug (the demo
    agency account acts for it)."""
    polsek: dict[str, uuid.UUID] = {}
    for slug, regency, village, _pos in DEMO_TEAMS:
        kecamatan = ".".join(village.split(".")[:3])
        kecamatan_name = regions.get_region(kecamatan)
        existing = await session.scalar(
            select(Agency).where(Agency.kind == "police", Agency.region_code == kecamatan)
        )
        if existing is not None:
            polsek[slug] = existing.id
            continue
        made = {}
        for kind, name, code in (
            ("police", f"Polsek {kecamatan_name.name if kecamatan_name else kecamatan}", kecamatan),
            ("police", f"Polres {slug.title()}", regency),
            ("bpbd", f"BPBD {slug.title()}", regency),
            ("rsj", f"RSJ rujukan {slug.title()}", regency),
        ):
            body = AgencyIn.model_validate(
                {
                    "name": name,
                    "kind": kind,
                    "region_code": code,
                    "contacts": [{"name": f"Piket {name}", "role": "piket", "phone": "0811-0000-0110"}],
                }
            )
            made[name] = await agencies.create(session, boss, body)
        polsek[slug] = next(a.id for a in made.values() if a.region_code == kecamatan)
        for name, category, flags, kind, completes in DEMO_RULES:
            rule = RuleIn.model_validate(
                {
                    "name": name,
                    "region_code": regency,
                    "category": category,
                    "flags": flags,
                    "agency_kind": kind,
                    "completes_incident": completes,
                }
            )
            await agencies.create_rule(session, boss, rule)
    return polsek


async def seed_demo(session: AsyncSession) -> dict[str, int]:
    created_users = created_reports = 0
    existing = set((await session.scalars(select(User.username))).all())
    if "admin" not in existing:
        await users.create_user(
            session,
            username="admin",
            role=Role.admin,
            region_code="",
            password=DEMO_PASSWORD,
            full_name="Demo national admin",
        )
        created_users += 1
    admin = await session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    polsek = await seed_agencies(session, Principal(admin.id, admin.username, Role.admin, ""))
    for slug, regency, _village, _pos in DEMO_TEAMS:
        for role, username in demo_usernames(slug).items():
            if username not in existing:
                await users.create_user(
                    session,
                    username=username,
                    role=role,
                    region_code=regency,
                    password=DEMO_PASSWORD,
                    full_name=f"Demo {role.value} {slug}",
                    agency_id=polsek[slug] if role == Role.agency else None,
                )
                created_users += 1
    await session.flush()
    now = datetime.now(UTC)
    for slug, regency, village, (lat, lon) in DEMO_TEAMS:
        count = await session.scalar(
            select(func.count()).select_from(Report).where(Report.region_code == village)
        )
        if count:
            continue
        operator = await session.scalar(select(User).where(User.username == f"operator.{slug}"))
        assert operator is not None
        principal = Principal(operator.id, operator.username, Role.operator, regency)
        for i, sample in enumerate(SAMPLES):
            body = ReportCreate.model_validate(
                {
                    **sample,
                    # 20, 50 and 80 minutes ago: off the 4CT deadlines (30/60/90 min), so that the demo's
                    # breaches do not all fire in the first second after it starts.
                    "received_at": (now - timedelta(minutes=30 * (i + 1) - 10)).isoformat(),
                    "location": {
                        "region_code": village,
                        "lat": lat + 0.004 * i,
                        "lon": lon + 0.004 * i,
                        "address": "Jl. Contoh No. 1",
                        "landmark": "dekat pasar",
                    },
                }
            )
            await intake.submit(session, principal, body)
            created_reports += 1
    crews_formed = await seed_teams(session, now)
    return {"users": created_users, "reports": created_reports, "crews": crews_formed}
