"""CSV and XLSX files of tables (Indonesian headers): CSV streamed as rows come, XLSX written with
XlsxWriter in constant-memory mode to a temporary file and streamed from it.

CSV is UTF-8 with a byte-order mark, so that a spreadsheet opens names such as "Ampenan Selatan" or
"Pekerja Migran Bermasalah Sosial" right; cells that would start a formula (=, +, -, @) are quoted with an
apostrophe, so a category or a crew name cannot run as a formula when the file is opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter

Cell = str | int | float | datetime | None
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# Rows an XLSX export may hold (a sheet holds 1,048,576); beyond it, CSV.
XLSX_MAX_ROWS = 500_000


class TooManyRows(Exception):
    pass


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat()
    text = str(cell)
    if isinstance(cell, str) and text.startswith(_FORMULA):
        return "'" + text
    return text


async def csv_stream(headers: Sequence[str], rows: AsyncIterable[Sequence[Cell]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_text(c) for c in row])
        yield buffer.getvalue().encode()


async def rows_of(rows: Iterable[Sequence[Cell]]) -> AsyncIterator[Sequence[Cell]]:
    for row in rows:
        yield row


def _cell_for_excel(cell: Cell) -> Any:
    if isinstance(cell, datetime):
        # Excel has no time zones: the instant in UTC without its offset (the headers say UTC).
        return cell.astimezone(UTC).replace(tzinfo=None) if cell.tzinfo else cell
    if isinstance(cell, str):
        return _text(cell)
    return cell


async def xlsx_file(
    sheet: str, headers: Sequence[str], rows: AsyncIterable[Sequence[Cell]]
) -> tuple[Path, AsyncIterator[bytes]]:
    """Writes the workbook to a temporary file (rows as they come: constant memory), then returns its path
    and a stream of its bytes that deletes it at the end."""
    fd, name = tempfile.mkstemp(suffix=".xlsx", prefix="tanggap-export-")
    os.close(fd)
    path = Path(name)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    try:
        ws = book.add_worksheet(sheet[:31])
        bold = book.add_format({"bold": True})
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        ws.write_row(0, 0, list(headers), bold)
        n = 0
        async for row in rows:
            n += 1
            if n > XLSX_MAX_ROWS:
                raise TooManyRows(n)
            for col, cell in enumerate(row):
                if isinstance(cell, datetime):
                    ws.write_datetime(n, col, _cell_for_excel(cell), when)
                else:
                    ws.write(n, col, _cell_for_excel(cell))
        # Compressing the sheet into the zip is the slow part: off the event loop.
        await asyncio.to_thread(book.close)
    except BaseException:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(book.close)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return path, _read_then_delete(path)


async def _read_then_delete(path: Path, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    try:
        f = await asyncio.to_thread(path.open, "rb")
        with f:
            while data := await asyncio.to_thread(f.read, chunk):
                yield data
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)
