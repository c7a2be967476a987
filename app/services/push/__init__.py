"""Web Push to phones that are asleep: crews get their offers and handovers, supervisors escalations.

| module | what |
|---|---|
| `vapid.py` | the server's VAPID key (configured, or derived from the secret key) |
| `queue.py` | subscriptions of devices; messages queued in the transaction of what they announce |
| `sender.py` | the worker that encrypts (pywebpush), delivers, retries, and drops gone subscriptions |

Native apps would use FCM HTTP v1 (a service account and a message per registration token); the queue is
the same, the sender would gain a second transport.
"""
