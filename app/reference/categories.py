"""PPKS categories (Permensos 8/2012, kept by Permensos 5/2019) and the TRCs' operational sub-types.

The codes are Tanggap's own (there is no official code list); names follow the regulation.
`default_priority` is the priority an incident of this category gets before flags are considered
(see app/dispatch/priority.py for the whole rule set).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_id: str
    name_en: str
    default_priority: int
    field_response: bool
    parent: str | None = None
    # Whether citizens may pick it in public apps (Open311 services, public reporting).
    public: bool = True


UNKNOWN = "unknown"

_ALL: tuple[Category, ...] = (
    Category("ABT", "Anak Balita Terlantar", "Neglected child under 5", 1, True),
    Category("AT", "Anak Terlantar", "Neglected child (5-18)", 2, True),
    Category("ABH", "Anak Berhadapan dengan Hukum", "Child in conflict with the law", 3, False),
    Category("AJ", "Anak Jalanan", "Street child", 2, True),
    Category("ADK", "Anak dengan Kedisabilitasan", "Child with disability", 3, False),
    Category("AKTK", "Anak Korban Tindak Kekerasan", "Child victim of violence or abuse", 1, True),
    Category("AMPK", "Anak Memerlukan Perlindungan Khusus", "Child needing special protection", 3, False),
    Category("LUT", "Lanjut Usia Terlantar", "Neglected elderly person", 2, True),
    Category("PD", "Penyandang Disabilitas", "Person with disability", 3, True),
    Category("TS", "Tuna Susila", "Sex worker", 4, False),
    Category("GEL", "Gelandangan", "Homeless vagrant", 3, True),
    Category("PENG", "Pengemis", "Beggar", 3, True),
    Category("PEMU", "Pemulung", "Scavenger", 4, False),
    Category("KM", "Kelompok Minoritas", "Minority group", 4, False),
    Category("BWBLP", "Bekas Warga Binaan Lembaga Pemasyarakatan", "Former prisoner", 4, False),
    Category("ODHA", "Orang dengan HIV/AIDS", "Person with HIV/AIDS", 3, False),
    Category("NAPZA", "Korban Penyalahgunaan NAPZA", "Drug-abuse victim", 3, False),
    Category("TRAF", "Korban Trafficking", "Trafficking victim", 1, True),
    Category("KTK", "Korban Tindak Kekerasan", "Violence victim", 1, True),
    Category("PMBS", "Pekerja Migran Bermasalah Sosial", "Migrant worker in social trouble", 2, True),
    Category("KBA", "Korban Bencana Alam", "Natural-disaster victim", 1, True),
    Category("KBS", "Korban Bencana Sosial", "Social-conflict victim", 1, True),
    Category("PRSE", "Perempuan Rawan Sosial Ekonomi", "Vulnerable woman", 3, False),
    Category("FM", "Fakir Miskin", "Destitute", 4, False),
    Category("KBSP", "Keluarga Bermasalah Sosial Psikologis", "Family with psychosocial problems", 3, False),
    Category("KAT", "Komunitas Adat Terpencil", "Remote indigenous community", 4, False, public=False),
    # Operational sub-types the TRCs use (not among the 26).
    Category("ODGJ", "ODGJ Terlantar", "Neglected person with a mental disorder", 2, True, parent="PD"),
    Category("OT", "Orang Terlantar", "Neglected adult", 2, True),
    Category("PASUNG", "Pemasungan", "Person shackled or confined at home", 2, True, parent="PD"),
    Category("JENAZAH", "Jenazah Tanpa Identitas/Keluarga", "Unidentified or unclaimed body", 2, True),
    Category("PENGAMEN", "Pengamen", "Busker", 3, True, parent="GEL"),
    Category(UNKNOWN, "Belum Diketahui", "Not yet known", 3, True),
)

CATEGORIES: dict[str, Category] = {c.code: c for c in _ALL}


def get_category(code: str) -> Category | None:
    return CATEGORIES.get(code)
