"""File answers for exports: CSV streamed, XLSX written then streamed (app/reporting/files.py)."""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from typing import Literal

from fastapi.responses import StreamingResponse

from app.errors import Unprocessable
from app.reporting import files
from app.reporting.files import Cell

FileFormat = Literal["csv", "xlsx"]


async def file_response(
    fmt: FileFormat, name: str, headers: Sequence[str], rows: AsyncIterable[Sequence[Cell]]
) -> StreamingResponse:
    disposition = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        return StreamingResponse(
            files.csv_stream(headers, rows), media_type=files.CSV_TYPE, headers=disposition
        )
    try:
        _, stream = await files.xlsx_file(name, headers, rows)
    except files.TooManyRows:
        raise Unprocessable(
            f"lebih dari {files.XLSX_MAX_ROWS} baris untuk XLSX; gunakan format=csv atau persempit filternya",
            field="query.format",
        ) from None
    return StreamingResponse(stream, media_type=files.XLSX_TYPE, headers=disposition)
