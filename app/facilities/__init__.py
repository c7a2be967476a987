"""Facilities and placement as pure functions over plain data (no FastAPI, no SQLAlchemy): the kinds of
facility and unit with their Indonesian labels and stay limits, the separation rules, and the ranking of
placement suggestions. app/services/facilities/ calls them under the unit's lock."""
