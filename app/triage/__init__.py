"""Indonesian text triage for social-media posts: pure functions, no database (like app/dispatch/)."""
