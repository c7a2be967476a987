"""Statistics and incident lists as tables with Indonesian headers, for the CSV and XLSX exports."""

from __future__ import annotations

from collections.abc import Sequence

from app.reporting.files import Cell
from app.schemas.incidents import IncidentListItem
from app.schemas.statistics import (
    ComplianceRow,
    DispatchStatistics,
    FourCTCompliance,
    IncidentCounts,
    RepeatLocations,
    Workload,
)

DIMENSION_LABELS = {
    "period": "Periode",
    "kabkota": "Kab/Kota",
    "kecamatan": "Kecamatan",
    "kelurahan": "Kelurahan/Desa",
    "category": "Kategori",
    "channel": "Saluran",
    "priority": "Prioritas",
    "status": "Status",
    "outcome": "Hasil",
    "crew": "Regu",
}
# Dimensions whose codes have names (regions, categories): a second column carries the name.
NAMED = ("kabkota", "kecamatan", "kelurahan", "category")
STAGE_LABELS = {"temu": "Temu", "tanggap": "Tanggap", "tindak": "Tindak", "tuntas": "Tuntas"}
STAGE_FIGURES = (
    ("met", "tepat waktu"),
    ("breached", "terlambat"),
    ("pending", "berjalan"),
    ("compliance", "kepatuhan (%)"),
    ("median_minutes", "median (menit)"),
    ("p90_minutes", "p90 (menit)"),
)
ALL = "Semua"

Table = tuple[list[str], list[list[Cell]]]


def _key_headers(by: Sequence[str]) -> list[str]:
    headers = []
    for d in by:
        headers.append(DIMENSION_LABELS[d])
        if d in NAMED:
            headers.append(f"Nama {DIMENSION_LABELS[d].lower()}")
    return headers


def _key_cells(by: Sequence[str], keys: dict[str, str | None], labels: dict[str, str | None]) -> list[Cell]:
    cells: list[Cell] = []
    for d in by:
        cells.append(keys.get(d))
        if d in NAMED:
            cells.append(labels.get(d))
    return cells


def _with_total(rows: list[list[Cell]], key_width: int, total: list[Cell]) -> list[list[Cell]]:
    """The groups, then a total row ("Semua"); without groups the total alone."""
    if key_width == 0:
        return [total]
    return [*rows, [ALL, *([None] * (key_width - 1)), *total]]


def counts_table(stat: IncidentCounts) -> Table:
    headers = [*_key_headers(stat.by), "Jumlah insiden"]
    rows = [[*_key_cells(stat.by, r.keys, r.labels), r.count] for r in stat.rows]
    return headers, _with_total(rows, len(headers) - 1, [stat.total])


def _compliance_cells(row: ComplianceRow) -> list[Cell]:
    cells: list[Cell] = [row.incidents]
    for stage in STAGE_LABELS:
        figures = row.stages[stage]
        for name, _ in STAGE_FIGURES:
            value = getattr(figures, name)
            cells.append(round(value * 100, 1) if name == "compliance" and value is not None else value)
    return cells


def compliance_table(stat: FourCTCompliance) -> Table:
    headers = [
        *_key_headers(stat.by),
        "Jumlah insiden",
        *(f"{STAGE_LABELS[s]}: {label}" for s in STAGE_LABELS for _, label in STAGE_FIGURES),
    ]
    rows = [[*_key_cells(stat.by, r.keys, r.labels), *_compliance_cells(r)] for r in stat.rows]
    return headers, _with_total(rows, len(_key_headers(stat.by)), _compliance_cells(stat.total))


def dispatch_table(stat: DispatchStatistics) -> Table:
    t = stat.total
    rows: list[list[Cell]] = [
        ["Insiden", t.incidents],
        ["Insiden yang ditawarkan ke regu", t.incidents_offered],
        ["Tawaran", t.offers],
        ["Tawaran per insiden", t.offers_per_incident],
        ["Tingkat penolakan", t.decline_rate],
        ["Tingkat kedaluwarsa", t.expiry_rate],
        ["Insiden dieskalasi", t.incidents_escalated],
    ]
    rows += [[f"Tawaran {status}", n] for status, n in t.offers_by_status.items()]
    rows += [[f"Eskalasi: {reason}", n] for reason, n in t.escalations_by_reason.items()]
    return ["Ukuran", "Nilai"], rows


def repeat_locations_table(stat: RepeatLocations) -> Table:
    """The places only: the repeat persons stay in the API (an id to open, audited, is not for a file)."""
    headers = [
        "Kode kelurahan/desa",
        "Kelurahan/Desa",
        "Kecamatan",
        "Patokan",
        "Lintang",
        "Bujur",
        "Insiden",
        "Masih terbuka",
        "Kategori",
        "Pertama (UTC)",
        "Terakhir (UTC)",
    ]
    rows: list[list[Cell]] = [
        [
            r.kelurahan,
            r.kelurahan_name,
            r.kecamatan_name,
            r.landmark,
            r.lat,
            r.lon,
            r.incidents,
            r.open,
            ", ".join(f"{code} {n}" for code, n in r.categories.items()),
            r.first_at,
            r.last_at,
        ]
        for r in stat.rows
    ]
    return headers, rows


def workload_table(stat: Workload) -> Table:
    headers = [
        "Regu",
        "Tim",
        "Kode wilayah",
        "Mulai sif (UTC)",
        "Akhir sif (UTC)",
        "Tawaran",
        "Diterima",
        "Ditolak",
        "Kedaluwarsa",
        "Ditarik",
        "Insiden",
        "Menit sibuk",
        "Bagian sif sibuk",
    ]
    rows: list[list[Cell]] = [
        [
            r.crew,
            r.team,
            r.region_code,
            r.shift_starts_at,
            r.shift_ends_at,
            r.offers,
            r.accepted,
            r.declined,
            r.expired,
            r.withdrawn,
            r.incidents,
            r.busy_minutes,
            r.utilisation,
        ]
        for r in stat.rows
    ]
    return headers, rows


INCIDENT_HEADERS = [
    "ID insiden",
    "Status",
    "Kategori",
    "Prioritas",
    "Kode wilayah",
    "Jumlah orang",
    "Jumlah laporan",
    "Laporan pertama (UTC)",
    "Dibuat (UTC)",
    "Diperbarui (UTC)",
    "ID regu",
    "Dieskalasi (UTC)",
    "Digabung ke",
    *(f"{label} (UTC)" for label in STAGE_LABELS.values()),
    *(f"Tenggat {label.lower()} (UTC)" for label in STAGE_LABELS.values()),
    "Tahap terlambat",
]


def incident_cells(item: IncidentListItem) -> list[Cell]:
    """A row of the incident export: what the list shows, without coordinates (a file leaves the system)."""
    f = item.four_ct
    return [
        str(item.id),
        str(item.status),
        item.category,
        item.priority,
        item.region_code,
        item.subject_count,
        item.report_count,
        item.first_received_at,
        item.created_at,
        item.updated_at,
        str(item.assigned_crew_id) if item.assigned_crew_id else None,
        item.escalated_at,
        str(item.merged_into_id) if item.merged_into_id else None,
        f.found_at,
        f.responded_at,
        f.acted_at,
        f.completed_at,
        *(f.deadlines.get(stage) for stage in STAGE_LABELS),
        ", ".join(f.breached),
    ]


# Words for a person reading a report (Indonesian): an incident's outcome and status.
OUTCOME_LABELS = {
    "reunified": "Dikembalikan ke keluarga",
    "shelter": "Ditempatkan di rumah singgah/shelter",
    "hospital": "Dirujuk ke rumah sakit",
    "rsj": "Dirujuk ke rumah sakit jiwa",
    "panti": "Ditempatkan di panti",
    "social_aid": "Didaftarkan bantuan sosial/BPJS",
    "skills_training": "Pelatihan keterampilan",
    "body_handed_over": "Jenazah diserahkan ke keluarga",
    "buried": "Jenazah dimakamkan",
    "handled_on_site": "Ditangani di tempat",
    "not_found": "Tidak ditemukan",
}
STATUS_LABELS = {
    "received": "Diterima",
    "verified": "Terverifikasi",
    "dispatched": "Regu ditugaskan",
    "en_route": "Dalam perjalanan",
    "on_scene": "Di lokasi",
    "handling": "Ditangani",
    "resolved": "Selesai ditangani",
    "closed": "Ditutup",
    "rejected": "Ditolak",
    "cancelled": "Dibatalkan",
}
