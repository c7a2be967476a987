"""What a tracing attempt records (how the family was sought, what came of it), the relations of a family
contact or a receiver, and the states of a repatriation, each with its Indonesian label."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum


class TraceMethod(StrEnum):
    phone = "phone"
    visit = "visit"
    rt_rw = "rt_rw"  # through the head of the neighbourhood (RT/RW) or the village office
    police = "police"
    social_media = "social_media"
    message = "message"  # WhatsApp/SMS


class TraceResult(StrEnum):
    not_reached = "not_reached"
    wrong_number = "wrong_number"
    not_known = "not_known"  # reached, but they do not know him
    refuses = "refuses"  # reached, the family will not take him
    will_take = "will_take"  # reached, the family will take him
    will_call_back = "will_call_back"


class Relation(StrEnum):
    parent = "parent"
    sibling = "sibling"
    child = "child"
    spouse = "spouse"
    grandparent = "grandparent"
    relative = "relative"
    guardian = "guardian"
    neighbour = "neighbour"
    official = "official"  # RT/RW head, village official, the receiving Dinas Sosial's officer
    other = "other"


class RepatriationStatus(StrEnum):
    requested = "requested"  # the destination's Dinas Sosial is asked (a referral to it)
    accepted = "accepted"
    declined = "declined"
    arrived = "arrived"  # handed over there: the subject's outcome is recorded
    cancelled = "cancelled"


# A repatriation still under way: at most one per subject (a partial unique index holds it).
REPATRIATION_OPEN = (RepatriationStatus.requested, RepatriationStatus.accepted)

LABELS: dict[str, str] = {
    TraceMethod.phone: "telepon",
    TraceMethod.visit: "kunjungan rumah",
    TraceMethod.rt_rw: "melalui RT/RW atau kelurahan",
    TraceMethod.police: "melalui kepolisian",
    TraceMethod.social_media: "media sosial",
    TraceMethod.message: "pesan (WhatsApp/SMS)",
    TraceResult.not_reached: "tidak tersambung / tidak ditemui",
    TraceResult.wrong_number: "nomor salah",
    TraceResult.not_known: "tersambung, tidak mengenal klien",
    TraceResult.refuses: "tersambung, keluarga menolak",
    TraceResult.will_take: "tersambung, keluarga bersedia menjemput/menerima",
    TraceResult.will_call_back: "tersambung, akan menghubungi kembali",
    RepatriationStatus.requested: "menunggu jawaban Dinas Sosial tujuan",
    RepatriationStatus.accepted: "diterima Dinas Sosial tujuan",
    RepatriationStatus.declined: "ditolak Dinas Sosial tujuan",
    RepatriationStatus.arrived: "sudah diserahterimakan di daerah tujuan",
    RepatriationStatus.cancelled: "dibatalkan",
}

RELATION_LABELS: dict[Relation, str] = {
    Relation.parent: "orang tua",
    Relation.sibling: "saudara kandung",
    Relation.child: "anak",
    Relation.spouse: "suami/istri",
    Relation.grandparent: "kakek/nenek",
    Relation.relative: "kerabat",
    Relation.guardian: "wali",
    Relation.neighbour: "tetangga",
    Relation.official: "petugas/aparat",
    Relation.other: "lainnya",
}

# Crockford's base32 without I, L, O, U: a receipt number read aloud over the phone is not misheard.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def receipt_number(regency: str, at: datetime, entropy: int | None = None) -> str:
    """BAST/21.71/20261130/7K3QX9: the kab/kota, the day (the team's), and 6 random characters; the
    database's unique index turns the one-in-a-billion collision into a retry, never a duplicate."""
    n = secrets.randbits(30) if entropy is None else entropy
    tail = "".join(_ALPHABET[(n >> (5 * i)) & 31] for i in range(6))
    return f"BAST/{regency}/{at:%Y%m%d}/{tail}"
