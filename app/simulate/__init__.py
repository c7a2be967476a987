"""`tanggap simulate`: a realistic shift, day or week of a kab/kota played through the real HTTP API of a
running server whose clock runs the simulated time faster, checked for invariant breaks as it goes, and
summed up (4CT compliance, time to arrival, late arrivals, offers, escalations), for the engine and for the
usual closest-idle rule side by side.

| module | what |
|---|---|
| `world.py` | places, the team, the day's reports (by hour and kind, second callers, a raid, a flood) |
| `server.py` | a server on a fresh database with a simulated clock |
| `actors.py` | set-up, callers, operators, crews' phones |
| `monitor.py` | the live stream as a supervisor sees it, and the invariants |
| `summary.py` | the figures and the table |
| `run.py` | one day, start to end |
"""
