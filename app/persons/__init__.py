"""Persons (klien): pure rules for NIK, names and matching. No FastAPI, no SQLAlchemy."""
