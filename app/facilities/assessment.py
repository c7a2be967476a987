"""The assessment form (asesmen): its closed vocabularies with Indonesian labels (one table: every code is
unique across them, tests/facilities/test_assessment_labels.py). Pure: the schema and the
service use these; a new version of a person's assessment is a new row, never an edit."""

from __future__ import annotations

from enum import StrEnum


class Condition(StrEnum):
    stable = "stable"
    needs_care = "needs_care"
    urgent = "urgent"
    critical = "critical"


class PhysicalSign(StrEnum):
    injury = "injury"
    malnutrition = "malnutrition"
    dehydration = "dehydration"
    skin_disease = "skin_disease"
    fever = "fever"
    infectious_suspected = "infectious_suspected"
    disability = "disability"
    pregnancy = "pregnancy"
    intoxication = "intoxication"


class MentalSign(StrEnum):
    confused = "confused"
    agitated = "agitated"
    hallucination = "hallucination"
    withdrawn = "withdrawn"
    suicidal = "suicidal"
    aggressive = "aggressive"
    disoriented = "disoriented"


class Need(StrEnum):
    food = "food"
    clothing = "clothing"
    medical = "medical"
    psychiatric = "psychiatric"
    housing = "housing"
    identity_documents = "identity_documents"
    family_tracing = "family_tracing"
    legal_aid = "legal_aid"
    bpjs = "bpjs"
    counselling = "counselling"


class Risk(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class Consent(StrEnum):
    given = "given"
    refused = "refused"
    unable = "unable"


class LegalBasis(StrEnum):
    consent = "consent"
    public_service = "public_service"
    vital_interest = "vital_interest"
    legal_obligation = "legal_obligation"


class AssessorRole(StrEnum):
    social_worker = "social_worker"
    psychologist = "psychologist"
    trc = "trc"
    nurse = "nurse"
    doctor = "doctor"
    other = "other"


class Place(StrEnum):
    field = "field"
    shelter = "shelter"
    health_facility = "health_facility"


LABELS: dict[str, str] = {
    # Condition
    "stable": "stabil",
    "needs_care": "perlu perawatan",
    "urgent": "mendesak",
    "critical": "kritis",
    # PhysicalSign
    "injury": "luka",
    "malnutrition": "gizi buruk",
    "dehydration": "dehidrasi",
    "skin_disease": "penyakit kulit",
    "fever": "demam",
    "infectious_suspected": "dugaan penyakit menular",
    "disability": "disabilitas fisik",
    "pregnancy": "hamil",
    "intoxication": "mabuk / pengaruh zat",
    # MentalSign
    "confused": "bingung",
    "agitated": "gelisah",
    "hallucination": "halusinasi",
    "withdrawn": "menarik diri",
    "suicidal": "berisiko bunuh diri",
    "aggressive": "agresif",
    "disoriented": "disorientasi",
    # Need
    "food": "makanan",
    "clothing": "pakaian",
    "medical": "perawatan medis",
    "psychiatric": "perawatan jiwa",
    "housing": "tempat tinggal",
    "identity_documents": "dokumen kependudukan",
    "family_tracing": "penelusuran keluarga",
    "legal_aid": "bantuan hukum",
    "bpjs": "kepesertaan BPJS",
    "counselling": "konseling",
    # Risk
    "low": "rendah",
    "medium": "sedang",
    "high": "tinggi",
    # Consent
    "given": "bersedia",
    "refused": "menolak",
    "unable": "tidak mampu memberi persetujuan",
    # LegalBasis
    "consent": "persetujuan subjek",
    "public_service": "pelayanan publik / kepentingan umum",
    "vital_interest": "kepentingan vital",
    "legal_obligation": "kewajiban hukum",
    # AssessorRole
    "social_worker": "pekerja sosial",
    "psychologist": "psikolog",
    "trc": "petugas TRC",
    "nurse": "perawat",
    "doctor": "dokter",
    "other": "lainnya",
    # Place
    "field": "di lapangan",
    "shelter": "di tempat penampungan",
    "health_facility": "di fasilitas kesehatan",
}
