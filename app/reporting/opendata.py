"""Open data of a month (pure): counts of real cases per kab/kota and kecamatan by category, and 4CT
compliance per kab/kota, with small cells suppressed (app/reporting/suppression.py).

A month is each incident's own kab/kota's month (WIB, WITA or WIT). What counts is a real case: verified or
further on, not merged into another, not closed as "not found"; reports still unverified, rejected ones (hoax,
duplicate, out of scope) and cancelled ones do not. Nothing below kecamatan, no free text, no person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.reporting import suppression, tally
from app.reporting.tally import Row

REAL_STATUSES = ("verified", "dispatched", "en_route", "on_scene", "handling", "resolved", "closed")
NOT_A_CASE_OUTCOMES = frozenset({"not_found"})
# Where an incident's place is known only to the kab/kota: its own row of the kecamatan table.
NO_KECAMATAN = ""

METHOD = (
    "Yang dihitung: kasus nyata, yaitu laporan yang sudah diverifikasi petugas, tidak digabung ke laporan"
    " lain, dan tidak ditutup sebagai 'tidak ditemukan'; laporan yang belum diverifikasi, ditolak (hoaks,"
    " duplikat, di luar wewenang) atau dibatalkan tidak dihitung. Bulan dihitung menurut zona waktu "
    "kabupaten/kota masing-masing (WIB, WITA, WIT). Wilayah terkecil adalah kecamatan; tidak ada teks, "
    "nama, atau data pribadi. Sel kecil disembunyikan: setiap angka (sel maupun jumlah) antara 1 dan 4 "
    "tidak ditampilkan (ditulis 'disembunyikan', bukan 0); angka 0 ditampilkan. Agar angka yang "
    "disembunyikan tidak dapat dihitung dari selisih jumlah baris, jumlah kolom, atau jumlah "
    "kabupaten/kota dikurangi sel kecamatannya, disembunyikan pula angka pelengkap (yang terkecil lebih "
    "dulu) sampai setiap angka yang disembunyikan berada dalam satu lingkaran angka tersembunyi lain; "
    "tabel nasional dan tabel kecamatan setiap kabupaten/kota disembunyikan bersama sehingga angka yang "
    "sama tersembunyi di keduanya. Kepatuhan 4CT per kabupaten/kota hanya ditampilkan bila paling sedikit"
    " 5 kasus sudah dapat dinilai pada tahap itu. Angka bulan berjalan masih dapat berubah."
)


def is_real_case(row: Row) -> bool:
    return row.status in REAL_STATUSES and not row.merged and row.outcome not in NOT_A_CASE_OUTCOMES


def kabkota_of(code: str) -> str:
    return ".".join(code.split(".")[:2])


def kecamatan_of(code: str) -> str:
    parts = code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else NO_KECAMATAN


@dataclass(frozen=True)
class Table:
    """Rows by columns, each count or None (suppressed), with row totals, column totals and the total."""

    row_keys: list[str]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None


@dataclass(frozen=True)
class StageFigure:
    decided: int | None
    compliance: float | None
    median_minutes: float | None


@dataclass(frozen=True)
class MonthFigures:
    month: str
    categories: list[str]
    national: Table
    kabkota: dict[str, Table]
    compliance: dict[str, dict[str, StageFigure]]


def _published(counts: Sequence[Sequence[int]], hidden: set[suppression.Entry], keys: list[str]) -> Table:
    ext = suppression.extend(counts)
    last_r, last_c = len(ext) - 1, len(ext[0]) - 1

    def show(i: int, j: int) -> int | None:
        return None if (i, j) in hidden else ext[i][j]

    return Table(
        row_keys=keys,
        cells=[[show(i, j) for j in range(last_c)] for i in range(last_r)],
        row_totals=[show(i, last_c) for i in range(last_r)],
        column_totals=[show(last_r, j) for j in range(last_c)],
        total=show(last_r, last_c),
    )


def month_rows(rows: Iterable[Row], month: str, zone_of: Callable[[str], ZoneInfo]) -> list[Row]:
    """The real cases of the month, each in its own kab/kota's zone."""
    return [
        r
        for r in rows
        if is_real_case(r) and tally.bucket(r.received_at, zone_of(r.region_code), "month") == month
    ]


def figures(rows: Sequence[Row], month: str, now: datetime) -> MonthFigures:
    """`rows` are the month's real cases (month_rows)."""
    categories = sorted({r.category for r in rows})
    column = {c: j for j, c in enumerate(categories)}
    width = len(categories)
    per_kec: dict[str, dict[str, list[int]]] = defaultdict(dict)
    by_kabkota: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        kab = kabkota_of(r.region_code)
        by_kabkota[kab].append(r)
        line = per_kec[kab].setdefault(kecamatan_of(r.region_code), [0] * width)
        line[column[r.category]] += 1
    kab_keys = sorted(per_kec)
    kec_keys = {k: sorted(per_kec[k]) for k in kab_keys}
    local = {n: [per_kec[k][kec] for kec in kec_keys[k]] for n, k in enumerate(kab_keys)}
    national = [[sum(line[j] for line in local[n]) for j in range(width)] for n in range(len(kab_keys))]
    hidden = suppression.protect_linked(national, local) if kab_keys and width else None
    return MonthFigures(
        month=month,
        categories=categories,
        national=_published(national, hidden.national if hidden else set(), kab_keys),
        kabkota={
            k: _published(local[n], hidden.local[n] if hidden else set(), kec_keys[k])
            for n, k in enumerate(kab_keys)
        },
        compliance={k: _compliance(by_kabkota[k], now) for k in kab_keys},
    )


def _compliance(rows: Sequence[Row], now: datetime) -> dict[str, StageFigure]:
    _, tallies = tally.compliance(rows, now)
    out = {}
    for stage, t in tallies.items():
        decided = t.met + t.breached
        if decided < suppression.MIN_COUNT:
            out[stage] = StageFigure(None, None, None)
            continue
        median = tally.quantile(t.minutes, 0.5) if len(t.minutes) >= suppression.MIN_COUNT else None
        out[stage] = StageFigure(decided, t.compliance, None if median is None else round(median, 1))
    return out


def empty_table(width: int) -> Table:
    return Table([], [], [], [0] * width, 0)
