"""Bar charts as inline SVG (pure): presentation attributes only, no style attribute or element and no
script, so they draw under a strict Content-Security-Policy and print as vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

BAR = "#2f6f9f"
BEFORE = "#b9b9b9"
LABEL_W, BAR_W, VALUE_W, ROW_H = 190, 320, 90, 26


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    # The same figure a period earlier, drawn as a thin grey bar under it; None: not drawn.
    before: float | None = None


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",") + unit


def bars(items: Sequence[Bar], *, title: str, unit: str = "", scale_max: float | None = None) -> str:
    """Horizontal bars, one row per item, scaled to the largest value (or `scale_max`, e.g. 100 for %)."""
    top = scale_max or max([*(b.value for b in items), *(b.before or 0 for b in items), 1])
    height = ROW_H * len(items) + 8
    width = LABEL_W + BAR_W + VALUE_W
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
    ]
    for n, b in enumerate(items):
        y = 4 + n * ROW_H
        w = round(BAR_W * max(b.value, 0) / top, 1)
        out.append(
            f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end" font-size="12" fill="#1b1b1b">'
            f"{escape(b.label[:32])}</text>"
        )
        out.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{w}" height="13" fill="{BAR}"/>')
        if b.before is not None:
            wb = round(BAR_W * max(b.before, 0) / top, 1)
            out.append(f'<rect x="{LABEL_W}" y="{y + 18}" width="{wb}" height="4" fill="{BEFORE}"/>')
        out.append(
            f'<text x="{LABEL_W + w + 4}" y="{y + 15}" font-size="12" fill="#1b1b1b">'
            f"{_fmt(b.value, unit)}</text>"
        )
    out.append("</svg>")
    return "".join(out)
