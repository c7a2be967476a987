"""Request and response bodies (pydantic). Requests reject unknown fields."""
