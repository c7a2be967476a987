"""Exports opened back with the same libraries: the incident list (CSV streamed, XLSX) with its filters, and
statistics as CSV and XLSX with Indonesian headers and the JSON's figures."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import unit_of_work
from app.reporting import files
from app.services import timers
from tests import factories
from tests.api.test_statistics import dataset  # noqa: F401 - the fixed dataset, as a fixture
from tests.conftest import Actor


def _csv(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())  # a spreadsheet reads it as UTF-8
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def _xlsx(r: httpx.Response) -> list[list[Any]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert r.headers["content-disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


async def test_incident_list_export_csv_and_xlsx(
    client: httpx.AsyncClient, actors: dict[str, Actor], db: async_sessionmaker[AsyncSession]
) -> None:
    op = actors["operator"]
    ids = []
    for minutes, words in ((300, "pasar"), (40, "=cmd|' /C calc'!A0"), (1, "pelabuhan")):
        received = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()
        report = factories.report(received_at=received, description=f"ODGJ ngamuk di {words}")
        r = await client.post("/api/v1/reports", headers=op.headers, json=report)
        assert r.status_code == 201, r.text
        ids.append(r.json()["incident_id"])
    async with unit_of_work(db) as session:
        await timers.record_breaches(session, datetime.now(UTC))

    rows = _csv(await client.get("/api/v1/incidents/export", headers=op.headers))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["ID insiden", "Status", "Kategori", "Prioritas"]
    assert "Tahap terlambat" in header and "Tenggat temu (UTC)" in header
    assert {row[0] for row in body} == set(ids)
    late = {row[0]: row[header.index("Tahap terlambat")] for row in body}
    assert late[ids[0]] == "temu, tanggap, tindak" and late[ids[1]] == "temu" and late[ids[2]] == ""
    # The list's filters; no personal data, no coordinates, no description.
    only = _csv(
        await client.get("/api/v1/incidents/export", params={"breached": "tindak"}, headers=op.headers)
    )
    assert [row[0] for row in only[1:]] == [ids[0]]
    assert all(
        "Siti" not in cell and "0812" not in cell and "calc" not in cell for row in rows for cell in row
    )

    sheet = _xlsx(
        await client.get(
            "/api/v1/incidents/export", params={"format": "xlsx", "order": "priority"}, headers=op.headers
        )
    )
    assert sheet[0] == header
    assert {row[0] for row in sheet[1:]} == set(ids)
    received_col = header.index("Laporan pertama (UTC)")
    assert all(isinstance(row[received_col], datetime) for row in sheet[1:])

    # Who: crews, reporters may not export; another province's region is not found.
    assert (await client.get("/api/v1/incidents/export", headers=actors["crew"].headers)).status_code == 403
    r = await client.get("/api/v1/incidents/export", params={"region": "35.09"}, headers=op.headers)
    assert r.status_code == 404


async def test_statistics_as_csv_and_xlsx(
    client: httpx.AsyncClient,
    actors: dict[str, Actor],
    dataset: dict[str, uuid.UUID],  # noqa: F811
) -> None:
    admin = actors["admin"]
    params = {"region": "52.71", "month": "2026-10", "by": "kecamatan"}
    stat = (await client.get("/api/v1/statistics/four-ct", params=params, headers=admin.headers)).json()
    sheet = _xlsx(
        await client.get(
            "/api/v1/statistics/four-ct", params={**params, "format": "xlsx"}, headers=admin.headers
        )
    )
    header = sheet[0]
    assert header[:3] == ["Kecamatan", "Nama kecamatan", "Jumlah insiden"]
    assert "Tanggap: kepatuhan (%)" in header and "Tuntas: p90 (menit)" in header
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet[1:]}
    assert set(rows) == {"52.71.01", "52.71.02", "Semua"}
    ampenan = rows["52.71.01"]
    assert ampenan["Nama kecamatan"] == "Ampenan" and ampenan["Jumlah insiden"] == 3
    assert ampenan["Tanggap: kepatuhan (%)"] == 50.0 and ampenan["Tanggap: median (menit)"] == 45.0
    assert rows["Semua"]["Jumlah insiden"] == stat["total"]["incidents"] == 5
    assert rows["Semua"]["Temu: p90 (menit)"] == stat["total"]["stages"]["temu"]["p90_minutes"] == 28.0

    counts = _csv(
        await client.get(
            "/api/v1/statistics/incidents",
            params={"region": "52.71", "month": "2026-10", "by": ["period", "category"], "format": "csv"},
            headers=admin.headers,
        )
    )
    assert counts[0] == ["Periode", "Kategori", "Nama kategori", "Jumlah insiden"]
    assert ["2026-10-20", "GEL", "Gelandangan", "1"] in counts
    assert counts[-1] == ["Semua", "", "", "5"]

    figures = _csv(
        await client.get(
            "/api/v1/statistics/dispatch",
            params={"region": "52.71", "month": "2026-10", "format": "csv"},
            headers=admin.headers,
        )
    )
    assert figures[0] == ["Ukuran", "Nilai"]
    assert ["Tingkat penolakan", "0.25"] in figures and ["Eskalasi: all_busy", "1"] in figures
    # The same refusals as the JSON.
    r = await client.get(
        "/api/v1/statistics/four-ct", params={**params, "format": "csv"}, headers=actors["operator"].headers
    )
    assert r.status_code == 404


async def test_cells_that_would_run_as_formulas_are_quoted() -> None:
    rows: list[list[files.Cell]] = [['=HYPERLINK("http://x")', "Regu -1", "+62", 3, None]]
    out = b"".join(
        [chunk async for chunk in files.csv_stream(["a", "b", "c", "d", "e"], files.rows_of(rows))]
    )
    parsed = list(csv.reader(io.StringIO(out.decode("utf-8-sig"))))
    assert parsed[1] == ['\'=HYPERLINK("http://x")', "Regu -1", "'+62", "3", ""]
    path, stream = await files.xlsx_file("uji", ["a", "b", "c", "d", "e"], files.rows_of(rows))
    data = b"".join([chunk async for chunk in stream])
    assert not path.exists()  # streamed, then deleted
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[2]] == ['\'=HYPERLINK("http://x")', "Regu -1", "'+62", 3, None]
    assert sheet["A2"].data_type == "s"
