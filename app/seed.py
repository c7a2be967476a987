"""Demo data: accounts for each demo kab/kota and a few reports, so a newcomer sees Tanggap at work.

Idempotent: accounts that exist are left alone, and sample reports are added only once per region.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Report, Role, User
from app.schemas.reports import ReportCreate
from app.services import intake, users
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
                    "received_at": (now - timedelta(minutes=30 * (i + 1))).isoformat(),
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
    return {"users": created_users, "reports": created_reports}
