"""Pure decision rules: no FastAPI, no SQLAlchemy, no I/O. Plain data in, decisions out.

- priority.py: the default priority of an incident (P1-P4) from its category and the subject's flags.
- lifecycle.py: which incident state changes are legal, and which 4CT stage each one completes.
"""
