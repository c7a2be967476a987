"""Why a crew cannot take an incident, and why an incident waits: a code for programs and a sentence in
Bahasa Indonesia for the supervisor at 3 a.m. ("semua 5 regu sibuk" is not "tidak ada yang bisa
menangani jenazah")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Refusals of one crew for one incident.
BUSY = "busy"
OFFERED = "offered"
OUT_OF_SERVICE = "out_of_service"
OFF_SHIFT = "off_shift"
DECLINED = "declined"
OUTSIDE_COVERAGE = "outside_coverage"
LACKS_SKILL = "lacks_skill"
LACKS_VEHICLE = "lacks_vehicle"
TOO_FAR = "too_far"
SHIFT_ENDS = "shift_ends"
# Refusals that are about the moment, not about the crew: it would qualify if it were free (or on the next
# shift).
CAPACITY = frozenset({BUSY, OFFERED, SHIFT_ENDS})

# Why an incident waits or was escalated.
NO_CREW_ON_DUTY = "no_crew_on_duty"
ALL_BUSY = "all_busy"
NONE_QUALIFIED = "none_qualified"
OFFERS_NOT_TAKEN = "offers_not_taken"
WAITS_FOR_OTHERS = "waits"

SKILL_NAMES = {
    "driver": "pengemudi",
    "medic": "tenaga medis",
    "counsellor": "konselor",
    "female_officer": "petugas perempuan",
    "body_handling": "penanganan jenazah",
    "social_worker": "pekerja sosial",
}
CAPABILITY_NAMES = {"secure_transport": "angkutan aman", "stretcher": "tandu"}


def skill_text(codes: Iterable[str]) -> str:
    return ", ".join(f"{SKILL_NAMES.get(c, c)} ({c})" for c in sorted(codes))


def capability_text(codes: Iterable[str]) -> str:
    return ", ".join(f"{CAPABILITY_NAMES.get(c, c)} ({c})" for c in sorted(codes))


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "reason": self.text}


@dataclass(frozen=True, slots=True)
class WhyWaiting:
    code: str
    text: str


def summarise(refusals: Mapping[str, Refusal], *, on_duty: int, qualified_if_free: int) -> WhyWaiting:
    """Why no crew was offered an incident: nobody on duty, every qualified crew busy, or nobody qualified
    (with what they lack, counted)."""
    if on_duty == 0:
        return WhyWaiting(NO_CREW_ON_DUTY, "tidak ada regu yang bertugas saat ini")
    if qualified_if_free > 0:
        asked = sum(1 for r in refusals.values() if r.code == DECLINED)
        also = f"; {asked} regu menolak atau tidak menjawab tawaran ini (ditanya lagi nanti)" if asked else ""
        busy = f"semua {qualified_if_free} regu yang memenuhi syarat sedang sibuk ({on_duty} regu bertugas)"
        return WhyWaiting(ALL_BUSY, busy + also)
    counts = Counter(r.text for r in refusals.values())
    parts = [f"{n} regu {text}" for text, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return WhyWaiting(NONE_QUALIFIED, "tidak ada regu yang memenuhi syarat: " + "; ".join(parts))


def offers_not_taken(n: int) -> WhyWaiting:
    return WhyWaiting(OFFERS_NOT_TAKEN, f"{n} tawaran tidak diterima; tetap ditawarkan ke regu yang bebas")
