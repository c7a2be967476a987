"""The states of an incident's subject: open while his path goes on, done once his outcome is recorded; and
the outcomes a person's path ends with (issue 14: reunified, placed, treated, enrolled, trained, a body handed
over or buried, not found, refused, died)."""

from __future__ import annotations

from enum import StrEnum


class SubjectStatus(StrEnum):
    open = "open"  # ditangani: his path is not finished
    done = "done"  # selesai: his outcome is recorded


class SubjectOutcome(StrEnum):
    reunified = "reunified"
    shelter = "shelter"
    panti = "panti"
    rsj = "rsj"
    hospital = "hospital"
    enrolled = "enrolled"  # BPJS PBI or social aid, through Baznas, CSR or the region
    skills_training = "skills_training"
    body_handed_over = "body_handed_over"
    buried = "buried"
    handled_on_site = "handled_on_site"
    not_found = "not_found"
    refused = "refused"
    died = "died"


OUTCOME_LABELS = {
    SubjectOutcome.reunified: "dikembalikan ke keluarga",
    SubjectOutcome.shelter: "ditempatkan di rumah singgah/shelter",
    SubjectOutcome.panti: "ditempatkan di panti",
    SubjectOutcome.rsj: "dirawat di rumah sakit jiwa",
    SubjectOutcome.hospital: "dirawat di rumah sakit",
    SubjectOutcome.enrolled: "didaftarkan jaminan (BPJS PBI/bantuan sosial)",
    SubjectOutcome.skills_training: "mengikuti pelatihan keterampilan",
    SubjectOutcome.body_handed_over: "jenazah diserahkan",
    SubjectOutcome.buried: "jenazah dimakamkan",
    SubjectOutcome.handled_on_site: "ditangani di tempat",
    SubjectOutcome.not_found: "tidak ditemukan",
    SubjectOutcome.refused: "menolak layanan",
    SubjectOutcome.died: "meninggal dunia",
}


class LinkHow(StrEnum):
    confirmed = "confirmed"  # an operator confirmed a proposal (or linked by hand)
    created = "created"  # a new person record was made for him


LABELS = {
    SubjectStatus.open: "sedang ditangani",
    SubjectStatus.done: "selesai",
    LinkHow.confirmed: "dikonfirmasi operator",
    LinkHow.created: "klien baru",
}
