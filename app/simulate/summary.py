"""What a simulated day comes to: 4CT compliance per stage, time to arrival, late arrivals, offers per
incident, escalations and their reasons; and two days side by side (the engine against closest-idle)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

STAGES = ("temu", "tanggap", "tindak", "tuntas")
STAMPS = {"temu": "found_at", "tanggap": "responded_at", "tindak": "acted_at", "tuntas": "completed_at"}


@dataclass
class DayResult:
    policy: str
    incidents: int = 0
    by_priority: dict[int, int] = field(default_factory=dict)
    # stage -> (met, breached, pending)
    compliance: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    arrival_minutes: list[float] = field(default_factory=list)
    late: int = 0
    late_by_priority: dict[int, int] = field(default_factory=dict)
    offers_per_incident: float = 0.0
    escalations: dict[str, int] = field(default_factory=dict)
    escalation_reasons: list[tuple[str, int]] = field(default_factory=list)
    # How many of each dispatch event the day had (offers, answers, handovers, diversions).
    event_counts: dict[str, int] = field(default_factory=dict)
    breaks: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    requests: int = 0
    events: int = 0
    wall_seconds: float = 0.0

    @property
    def mean_arrival(self) -> float:
        return statistics.fmean(self.arrival_minutes) if self.arrival_minutes else 0.0

    @property
    def p90_arrival(self) -> float:
        if not self.arrival_minutes:
            return 0.0
        ordered = sorted(self.arrival_minutes)
        return ordered[min(int(len(ordered) * 0.9), len(ordered) - 1)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "incidents": self.incidents,
            "by_priority": self.by_priority,
            "compliance": {
                s: dict(zip(("met", "breached", "pending"), v, strict=True))
                for s, v in self.compliance.items()
            },
            "mean_arrival_min": round(self.mean_arrival, 1),
            "p90_arrival_min": round(self.p90_arrival, 1),
            "late_arrivals": self.late,
            "late_by_priority": self.late_by_priority,
            "offers_per_incident": round(self.offers_per_incident, 2),
            "escalations": self.escalations,
            "escalation_reasons": self.escalation_reasons,
            "event_counts": self.event_counts,
            "invariant_breaks": self.breaks,
            "server_errors": self.server_errors,
            "requests": self.requests,
            "events": self.events,
            "wall_seconds": round(self.wall_seconds, 1),
        }


def judge(policy: str, details: list[dict[str, Any]], end: datetime) -> DayResult:
    """Counts what the incidents' 4CT stamps and deadlines say at the end of the day. Incidents rejected
    (hoaxes) or merged into another are left out."""
    out = DayResult(policy)
    tallies = {s: [0, 0, 0] for s in STAGES}
    for d in details:
        if d["status"] == "rejected":
            continue
        out.incidents += 1
        p = int(d["priority"])
        out.by_priority[p] = out.by_priority.get(p, 0) + 1
        fourct = d["four_ct"]
        for stage in STAGES:
            stamp = fourct[STAMPS[stage]]
            deadline = datetime.fromisoformat(fourct["deadlines"][stage])
            if stamp is not None and datetime.fromisoformat(stamp) <= deadline:
                tallies[stage][0] += 1
            elif stamp is not None or deadline <= end:
                tallies[stage][1] += 1
            else:
                tallies[stage][2] += 1
        found = fourct["found_at"]
        received = datetime.fromisoformat(d["first_received_at"])
        temu = datetime.fromisoformat(fourct["deadlines"]["temu"])
        if found is not None:
            out.arrival_minutes.append((datetime.fromisoformat(found) - received).total_seconds() / 60)
        if (found is not None and datetime.fromisoformat(found) > temu) or (found is None and temu <= end):
            out.late += 1
            out.late_by_priority[p] = out.late_by_priority.get(p, 0) + 1
    out.compliance = {s: (v[0], v[1], v[2]) for s, v in tallies.items()}
    return out


def _pct(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else "0"


def show(results: list[DayResult], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Hari simulasi: ringkasan", show_lines=False)
    table.add_column("")
    for r in results:
        table.add_column(r.policy, justify="right")
    if len(results) == 2:
        table.add_column("rasio", justify="right")

    def row(label: str, values: list[str], ratio: str = "") -> None:
        table.add_row(label, *values, *([ratio] if len(results) == 2 else []))

    def ratio(a: float, b: float) -> str:
        return f"x{a / b:.2f}" if b else "-"

    row("insiden (tanpa hoaks)", [str(r.incidents) for r in results])
    row("per prioritas", [", ".join(f"P{p}:{n}" for p, n in sorted(r.by_priority.items())) for r in results])
    for stage in STAGES:
        row(
            f"4CT {stage}: tepat / lewat / berjalan",
            [
                f"{r.compliance[stage][0]} / {r.compliance[stage][1]} / {r.compliance[stage][2]}"
                for r in results
            ],
        )
    row(
        "tiba terlambat (temu lewat target)",
        [_pct(r.late, r.incidents) for r in results],
        ratio(results[0].late, results[1].late) if len(results) == 2 else "",
    )
    row(
        "  per prioritas",
        [", ".join(f"P{p}:{n}" for p, n in sorted(r.late_by_priority.items())) or "-" for r in results],
    )
    row(
        "waktu sampai tiba, rata-rata (menit)",
        [f"{r.mean_arrival:.1f}" for r in results],
        ratio(results[0].mean_arrival, results[1].mean_arrival) if len(results) == 2 else "",
    )
    row("waktu sampai tiba, p90 (menit)", [f"{r.p90_arrival:.1f}" for r in results])
    row("tawaran per insiden", [f"{r.offers_per_incident:.2f}" for r in results])
    for kind, label in (
        ("offer.declined", "tawaran ditolak"),
        ("offer.expired", "tawaran kedaluwarsa"),
        ("offer.withdrawn", "tawaran ditarik"),
        ("incident.handed_over", "alih tugas"),
        ("incident.diverted", "dialihkan"),
    ):
        row(f"  {label}", [str(r.event_counts.get(kind, 0)) for r in results])
    row(
        "eskalasi (alasan)",
        [", ".join(f"{k}:{v}" for k, v in sorted(r.escalations.items())) or "-" for r in results],
    )
    row("permintaan HTTP / peristiwa", [f"{r.requests} / {r.events}" for r in results])
    row("5xx", [str(len(r.server_errors)) for r in results])
    row("pelanggaran invarian", [str(len(r.breaks)) for r in results])
    console.print(table)
    for r in results:
        for text, n in r.escalation_reasons[:5]:
            console.print(f"{r.policy}: eskalasi x{n}: {text}")
        for b in (r.breaks + r.server_errors)[:20]:
            console.print(f"[red]{r.policy}: {b}[/red]")
