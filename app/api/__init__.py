"""HTTP routers: authenticate, validate, call a service, return. No queries here."""
