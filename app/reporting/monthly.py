"""The monthly report as a printable page (pure): tables and inline SVG charts from the figures the
statistics service computed (app/services/monthly_report.py), Indonesian labels throughout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.reporting import charts, html
from app.reporting.tables import OUTCOME_LABELS, STAGE_LABELS, STATUS_LABELS
from app.schemas.statistics import ComplianceRow, FourCTCompliance, IncidentCounts

BULAN = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def month_name(month: str) -> str:
    year, mon = month.split("-")
    return f"{BULAN[int(mon) - 1]} {year}"


@dataclass(frozen=True)
class Line:
    label: str
    count: int
    before: int
    code: str | None = None

    @property
    def change(self) -> int:
        return self.count - self.before


def _lines(
    this: IncidentCounts, before: IncidentCounts, dim: str, words: dict[str, str] | None = None
) -> list[Line]:
    now = {r.keys[dim]: r for r in this.rows}
    then = {r.keys[dim]: r for r in before.rows}
    out = []
    for key in sorted(now.keys() | then.keys(), key=lambda k: (k is None, k or "")):
        row = now.get(key) or then[key]
        if words is not None:
            label = words.get(key or "", "Belum ada hasil") if key else "Belum ada hasil"
        else:
            label = row.labels.get(dim) or key or "Tanpa kecamatan"
        out.append(
            Line(label, now[key].count if key in now else 0, then[key].count if key in then else 0, key)
        )
    return sorted(out, key=lambda line: (-line.count, line.label))


@dataclass(frozen=True)
class MonthFigures:
    """One month of a kab/kota as the statistics service computed it."""

    month: str
    by_category: IncidentCounts
    by_kecamatan: IncidentCounts
    by_outcome: IncidentCounts
    by_status: IncidentCounts
    compliance: FourCTCompliance
    compliance_by_kecamatan: FourCTCompliance


def _stage_rows(row: ComplianceRow, before: ComplianceRow) -> list[dict[str, Any]]:
    return [
        {"stage": label, "now": row.stages[stage], "before": before.stages[stage]}
        for stage, label in STAGE_LABELS.items()
    ]


def page(
    region: str, region_label: str, generated_at: datetime, this: MonthFigures, previous: MonthFigures
) -> str:
    categories = _lines(this.by_category, previous.by_category, "category")
    kecamatan = _lines(this.by_kecamatan, previous.by_kecamatan, "kecamatan")
    outcomes = _lines(this.by_outcome, previous.by_outcome, "outcome", OUTCOME_LABELS)
    statuses = _lines(this.by_status, previous.by_status, "status", STATUS_LABELS)
    stages = _stage_rows(this.compliance.total, previous.compliance.total)
    compliance_chart = charts.bars(
        [
            charts.Bar(
                s["stage"],
                round((s["now"].compliance or 0) * 100, 1),
                None if s["before"].compliance is None else round(s["before"].compliance * 100, 1),
            )
            for s in stages
        ],
        title="Kepatuhan 4CT per tahap (%), bulan ini dan bulan lalu",
        unit=" %",
        scale_max=100,
    )
    category_chart = charts.bars(
        [charts.Bar(line.label, line.count, line.before) for line in categories[:12]],
        title="Kasus per kategori, bulan ini dan bulan lalu",
    )
    return html.render(
        "monthly_report.html",
        region=region,
        region_label=region_label,
        generated_at=generated_at,
        month=month_name(this.month),
        previous_month=month_name(previous.month),
        total=this.by_category.total,
        total_before=previous.by_category.total,
        categories=categories,
        kecamatan=kecamatan,
        outcomes=outcomes,
        statuses=statuses,
        stages=stages,
        by_kecamatan=this.compliance_by_kecamatan.rows,
        stage_labels=STAGE_LABELS,
        compliance_chart=compliance_chart,
        category_chart=category_chart,
        time_zone=this.by_category.time_zone,
    )
