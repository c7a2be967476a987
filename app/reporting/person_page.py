"""The subject-access export as a printable page in Indonesian (Jinja2; no script, one inline stylesheet
allowed by its hash in the page's own Content-Security-Policy)."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.persons.status import OUTCOME_LABELS, SubjectOutcome
from app.reference import regions
from app.schemas.person_export import PersonExport

HERE = Path(__file__).parent
STYLE = (HERE / "templates" / "person_export.css").read_text()
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The page's own policy (it replaces the API's): nothing but its stylesheet; printable, not frameable.
CSP = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
WIB = ZoneInfo("Asia/Jakarta")

SEX = {"male": "laki-laki", "female": "perempuan", "unknown": "tidak diketahui"}
ACTIONS = {
    "read": "membaca",
    "create": "membuat",
    "update": "mengubah",
    "link": "menautkan",
    "export": "mengekspor",
    "erase": "menganonimkan",
}
FIELDS = {
    "name": "nama",
    "aliases": "nama lain",
    "nik": "NIK",
    "kk": "nomor KK",
    "birth_date": "tanggal lahir",
    "sex": "jenis kelamin",
    "description": "ciri-ciri",
    "home_region_code": "daerah asal",
    "family_contacts": "kontak keluarga",
    "vulnerabilities": "kerentanan",
    "incidents": "kasus",
    "assessments": "asesmen",
    "placements": "penempatan",
    "tracing": "penelusuran keluarga",
    "handovers": "serah terima",
    "repatriations": "pemulangan",
    "audit": "jejak akses",
}
VULNERABILITIES = {
    "odgj": "ODGJ",
    "disability": "penyandang disabilitas",
    "child": "anak",
    "elderly": "lanjut usia",
    "pregnant": "hamil",
    "chronic_illness": "sakit kronis",
    "hiv": "ODHA",
    "napza": "korban NAPZA",
    "former_prisoner": "bekas warga binaan",
    "trafficking_victim": "korban perdagangan orang",
    "violence_victim": "korban kekerasan",
    "homeless": "gelandangan",
}


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
    return value.strftime("%d-%m-%Y")


def _region(code: str | None) -> str:
    if not code:
        return "-"
    found = regions.get_region(code)
    return f"{found.name} ({code})" if found else code


def _outcome(code: str | None) -> str:
    return OUTCOME_LABELS[SubjectOutcome(code)] if code else "-"


def _value(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "-"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in value.items() if v is not None)
    return str(value)


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(when=_when, region=_region, outcome=_outcome, value=_value)
env.globals.update(SEX=SEX, ACTIONS=ACTIONS, FIELDS=FIELDS, VULNERABILITIES=VULNERABILITIES)


def render(doc: PersonExport) -> str:
    return env.get_template("person_export.html").render(doc=doc, style=STYLE)
