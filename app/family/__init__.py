"""Family tracing and return (pure): the vocabularies of a tracing attempt, the handover receipt's number,
the states of a repatriation, and the timing of a reopened incident's episodes. No FastAPI, no SQLAlchemy."""
