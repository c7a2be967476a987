"""Kinds of facility and unit, their Indonesian labels, and how long a stay may last before an alert."""

from __future__ import annotations

from enum import StrEnum


class FacilityKind(StrEnum):
    rumah_singgah = "rumah_singgah"
    liposos = "liposos"
    upt = "upt"
    panti = "panti"
    rsj = "rsj"
    hospital = "hospital"


FACILITY_LABELS: dict[FacilityKind, str] = {
    FacilityKind.rumah_singgah: "Rumah Singgah",
    FacilityKind.liposos: "Liposos (Lingkungan Pondok Sosial)",
    FacilityKind.upt: "UPT / Balai / Sentra",
    FacilityKind.panti: "Panti Sosial",
    FacilityKind.rsj: "Rumah Sakit Jiwa (RSJ)",
    FacilityKind.hospital: "Rumah Sakit",
}

# Days a stay may last before the length-of-stay alert, per kind (a facility may set its own; None: none).
# A rumah singgah is for a few days while identity and family are traced; the others are our defaults.
STAY_LIMIT_DAYS: dict[FacilityKind, int | None] = {
    FacilityKind.rumah_singgah: 7,
    FacilityKind.liposos: 30,
    FacilityKind.upt: 180,
    FacilityKind.panti: None,
    FacilityKind.rsj: 30,
    FacilityKind.hospital: 14,
}


class UnitSex(StrEnum):
    male = "male"
    female = "female"
    # Either sex, but not both at once while the sexes rule applies.
    mixed = "mixed"
    # A family together: parents with their children.
    family = "family"


UNIT_SEX_LABELS: dict[UnitSex, str] = {
    UnitSex.male: "laki-laki",
    UnitSex.female: "perempuan",
    UnitSex.mixed: "campuran (satu jenis kelamin pada satu waktu)",
    UnitSex.family: "keluarga",
}


class UnitGroup(StrEnum):
    odgj = "odgj"
    elderly = "elderly"
    children = "children"
    general = "general"
    isolation = "isolation"


UNIT_GROUP_LABELS: dict[UnitGroup, str] = {
    UnitGroup.odgj: "ODGJ",
    UnitGroup.elderly: "lansia",
    UnitGroup.children: "anak",
    UnitGroup.general: "umum",
    UnitGroup.isolation: "isolasi",
}


class PlacementStatus(StrEnum):
    active = "active"
    transferred = "transferred"
    discharged = "discharged"


PLACEMENT_LABELS: dict[PlacementStatus, str] = {
    PlacementStatus.active: "sedang ditempatkan",
    PlacementStatus.transferred: "dipindahkan",
    PlacementStatus.discharged: "keluar",
}


class DischargeReason(StrEnum):
    reunified = "reunified"
    repatriated = "repatriated"
    referred = "referred"
    placed_panti = "placed_panti"
    recovered = "recovered"
    left = "left"
    died = "died"
    other = "other"


DISCHARGE_LABELS: dict[DischargeReason, str] = {
    DischargeReason.reunified: "dikembalikan ke keluarga",
    DischargeReason.repatriated: "dipulangkan ke daerah asal",
    DischargeReason.referred: "dirujuk ke layanan lain",
    DischargeReason.placed_panti: "ditempatkan di panti",
    DischargeReason.recovered: "pulih / selesai dirawat",
    DischargeReason.left: "pergi sendiri / melarikan diri",
    DischargeReason.died: "meninggal dunia",
    DischargeReason.other: "lainnya",
}
