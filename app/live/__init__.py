"""Live updates: the event log pushed to consoles and phones (WebSocket and SSE), across workers.

- topics.py: what a client may subscribe to, and which events a subscription matches.
- hub.py: one per worker process; tails the `events` table in `seq` order and fans events out to its
  subscribers, each with a bounded queue. Woken by PostgreSQL NOTIFY (sent by the events trigger at
  COMMIT), by commits in this process, and by a slow poll as a safety net.
- app/api/live.py: the WebSocket and SSE endpoints.
"""
