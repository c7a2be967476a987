"""Valid request bodies to start from; tests change one thing at a time."""

from __future__ import annotations

from typing import Any

# Lubuk Baja Kota, Kota Batam
BATAM_VILLAGE = "21.71.06.1003"
BATAM_POS = (1.1430, 104.0113)
JEMBER_VILLAGE = "35.09.19.1006"
JEMBER_POS = (-8.1751, 113.6997)


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "call_center",
        "reporter": {"name": "Siti Aminah", "phone": "0812-3456-7890"},
        "location": {
            "lat": BATAM_POS[0],
            "lon": BATAM_POS[1],
            "region_code": BATAM_VILLAGE,
            "address": "Jl. Raden Patah",
            "landmark": "simpang Jodoh",
        },
        "category": "ODGJ",
        "description": "ODGJ ngamuk di simpang, melempar batu",
        "subject": {"count": 1, "approx_age": 30, "sex": "male", "flags": ["agitated"]},
    }
    body.update(overrides)
    return body
