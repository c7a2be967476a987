"""Facilities and placement: the register of facilities and units (registry.py), admissions, transfers,
discharges and suggestions (placements.py), length-of-stay alerts run by the scheduler (stays.py)."""
