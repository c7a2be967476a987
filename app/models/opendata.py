"""Open data as published: one row per month and scope, the response body exactly as the public API sends it
(after small-cell suppression), written whole by the background refresh (app/services/opendata.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class OpenDataFigures(Base):
    __tablename__ = "open_data_figures"

    # YYYY-MM, each incident in its own kab/kota's month.
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    # "incidents" (per kab/kota, region ""), "incidents" of one kab/kota (region its code: its kecamatan),
    # "four-ct" (region "").
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    region: Mapped[str] = mapped_column(String(8), primary_key=True)
    # The JSON body served, byte for byte; its ETag (a hash of it); the code's format of it (a row of another
    # format is stale: recomputed before it is served).
    body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(34))
    format: Mapped[int]
    computed_at: Mapped[datetime]
