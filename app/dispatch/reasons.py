"""Why a crew cannot take an incident, and why an incident waits: a code for programs and a sentence in
Bahasa Indonesia for the supervisor at 3 a.m. ("semua 5 regu sibuk" is not "tidak ada yang bisa
menangani jenazah").

Every reason the engine gives is a `Reason`: the Indonesian sentence (a str, as before, for the API, the push
messages and the logs) that also carries a stable code and its values (`data()`, kept in the events beside
the sentence). The console translates a reason by its code (app/console/reasons.py), never by its words: a
sentence here may be reworded without a translation going wrong. `SENTENCES` is every code the engine and the
dispatch services can give, with its sentence; a test checks that each has a translation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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

# Every reason's code and its sentence; `{name}` stands for a value: a number, a crew's name or id, another
# reason (`why`), reasons (`parts`, `notes`: joined with "; ") or skill and equipment codes (`skills`,
# `equipment`, `what`: a list of codes, named in the reader's language).
SENTENCES: dict[str, str] = {
    # Why a crew cannot take an incident (engine.state_refusal, fit_refusal; candidates.py).
    "out_of_service": "tidak beroperasi",
    "off_shift": "di luar sif",
    "offered": "sedang menimbang tawaran lain",
    "busy": "sedang menangani kasus lain",
    "busy.this_incident": "sudah menangani insiden ini",
    "busy.divert_first": "sedang menangani kasus lain; alihkan dulu kasus itu",
    "busy.given_other": "diberi kasus lain",
    "declined": "menolak atau tidak menjawab tawaran ini (ditanya lagi nanti)",
    "outside_coverage": "wilayah di luar cakupannya",
    "lacks_skill": "tidak punya keahlian {skills}",
    "lacks_vehicle": "kendaraannya tanpa {equipment}",
    "too_far": "terlalu jauh ({minutes} menit)",
    "shift_ends": "sifnya berakhir dalam {minutes} menit",
    # What a choice costs besides the travel (engine.cost).
    "cost.travel": "{minutes} menit perjalanan",
    "cost.last_of_kind": "regu bebas terakhir dengan {what}",
    "cost.late": "tiba setelah target temu",
    "cost.no_female_officer": "tanpa petugas perempuan",
    "cost.no_counsellor": "tanpa konselor",
    "cost.too_few_seats": "kursi kurang: {n} orang, {m} kursi (perlu dua kali jalan)",
    "cost.shift_overrun": "sif berakhir dalam {minutes} menit",
    # Why an incident waits or was escalated (summarise, offers_not_taken; the dispatch rounds).
    "no_crew_on_duty": "tidak ada regu yang bertugas saat ini",
    "all_busy": "semua {n} regu yang memenuhi syarat sedang sibuk ({m} regu bertugas)",
    "none_qualified": "tidak ada regu yang memenuhi syarat: {parts}",
    "crews": "{n} regu {why}",
    "offers_not_taken": "{n} tawaran tidak diterima; tetap ditawarkan ke regu yang bebas",
    "waits": "menunggu: regu yang memenuhi syarat diberi kasus lain yang lebih lama atau mendesak",
    "handover.waits": "alih tugas: {why}",
    # A decision: the group it was planned in, the crew chosen and its cost.
    "group.handover": "alih tugas",
    "group.in_time": "masih bisa tepat waktu",
    "group.priority": "P{p}",
    "group.closest_idle": "terdekat-bebas",
    "chosen": "{crew}: biaya {cost} menit ({notes})",
    "chosen.closest_idle": "{crew}",
    "nearest_given_other": "regu terdekat {crew} diberi kasus lain yang lebih cocok untuknya",
    # Diversions (engine.diversions, the dispatch rounds) and ends of shift.
    "diverted.for_p1": "dialihkan dari kasus P{p} (belum tiba di lokasi) ke kasus P1",
    "diverted.in_time": (
        "dialihkan dari kasus P{p} yang sudah pasti melewati target temu ke kasus P{q} yang masih bisa "
        "dijangkau tepat waktu"
    ),
    "diverted.travel": "{why}: {minutes} menit perjalanan",
    "diverted.crew": "{crew} {why}",
    "diverted.to": "dialihkan ke kasus P{p}",
    "end_of_shift": "akhir sif",
    "end_of_shift.crew": "akhir sif {crew}",
    "handover.from": "alih tugas dari {crew}; status kasus {status}",
    "handover.previous": "regu sebelumnya",
    # Several reasons in one.
    "several": "{parts}",
}

Value = int | float | str | Sequence[Any] | Mapping[str, Any]


def names_text(codes: Iterable[str]) -> str:
    """Skills and equipment named in Indonesian with their codes: "tandu (stretcher)"."""
    names = {**SKILL_NAMES, **CAPABILITY_NAMES}
    return ", ".join(f"{names.get(c, c)} ({c})" for c in codes)


def skill_text(codes: Iterable[str]) -> str:
    return names_text(sorted(codes))


def capability_text(codes: Iterable[str]) -> str:
    return names_text(sorted(codes))


# Values that are lists of skill and equipment codes; any other list is of reasons.
CODE_LISTS = frozenset({"skills", "equipment", "what"})


def _value(name: str, value: object) -> str:
    if type(value) in (int, float):
        return str(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, Sequence):
        if name in CODE_LISTS:
            return names_text(str(v) for v in value)
        return "; ".join(str.__str__(str(v)) for v in value)
    return str(value)


class Reason(str):
    """A reason: its sentence in Bahasa Indonesia (the str itself) with its code and values."""

    code: str
    params: dict[str, Value]

    def __new__(cls, code: str, **params: Value) -> Reason:
        # The engine gives the same few reasons thousands of times a round ("12 menit perjalanan"): each is
        # made once and shared (a Reason is never changed).
        try:
            return _shared(cls, code, tuple((k, type(v), v) for k, v in params.items()))
        except TypeError:  # a value that is a list: not kept
            return cls._made(code, params)

    @classmethod
    def _made(cls, code: str, params: dict[str, Value]) -> Reason:
        sentence = SENTENCES[code].format(**{k: _value(k, v) for k, v in params.items()})
        return cls._make(code, sentence, params)

    @classmethod
    def _make(cls, code: str, sentence: str, params: dict[str, Value]) -> Reason:
        self = super().__new__(cls, sentence)
        self.code, self.params = code, params
        return self

    def data(self) -> dict[str, Any]:
        """What an event keeps: {"code": ..., "params": {...}}, reasons within as the same."""
        return {"code": self.code, "params": {k: _data(v) for k, v in self.params.items()}}


@lru_cache(maxsize=16384)
def _shared(cls: type[Reason], code: str, values: tuple[tuple[str, type, Any], ...]) -> Reason:
    return cls._made(code, {k: v for k, _, v in values})


def _data(value: object) -> Any:
    if isinstance(value, Reason):
        return value.data()
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, Sequence):
        return [_data(v) for v in value]
    return value


def data(text: str) -> dict[str, Any] | None:
    """A reason's code and values for an event, or None for a plain text."""
    return text.data() if isinstance(text, Reason) else None


def data_of(texts: Iterable[str]) -> list[dict[str, Any] | None]:
    return [data(t) for t in texts]


def why(key: str, text: str | None) -> dict[str, Any]:
    """{"<key>_why": code and values} for an event's data beside its text, or nothing for a plain text."""
    return {f"{key}_why": text.data()} if isinstance(text, Reason) else {}


def several(*parts: str) -> str:
    """Reasons given together ("a; b"): a Reason when each is one."""
    if all(isinstance(p, Reason) for p in parts):
        return Reason("several", parts=tuple(parts))
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "reason": str(self.text)}
        if isinstance(self.text, Reason):
            out["why"] = self.text.data()
        return out


@dataclass(frozen=True, slots=True)
class WhyWaiting:
    code: str
    text: str


def summarise(refusals: Mapping[str, Refusal], *, on_duty: int, qualified_if_free: int) -> WhyWaiting:
    """Why no crew was offered an incident: nobody on duty, every qualified crew busy, or nobody qualified
    (with what they lack, counted)."""
    if on_duty == 0:
        return WhyWaiting(NO_CREW_ON_DUTY, Reason("no_crew_on_duty"))
    if qualified_if_free > 0:
        busy = Reason("all_busy", n=qualified_if_free, m=on_duty)
        declined = [r.text for r in refusals.values() if r.code == DECLINED]
        if declined:
            return WhyWaiting(ALL_BUSY, several(busy, Reason("crews", n=len(declined), why=declined[0])))
        return WhyWaiting(ALL_BUSY, busy)
    # Counted by sentence; the first refusal of each kept with its code and values.
    counts = Counter(r.text for r in refusals.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    parts = tuple(Reason("crews", n=n, why=text) for text, n in ordered)
    return WhyWaiting(NONE_QUALIFIED, Reason("none_qualified", parts=parts))


def offers_not_taken(n: int) -> WhyWaiting:
    return WhyWaiting(OFFERS_NOT_TAKEN, Reason("offers_not_taken", n=n))
