"""Use cases. Services take the session and plain arguments, add rows and events, and never commit."""
