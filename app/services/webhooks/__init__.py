"""Outgoing webhooks to partner agencies (Standard Webhooks), and signed inbound ones.

How an event reaches an agency:
  a change commits with its event (app/services/events.py)           -- the event log is the outbox
  -> outbox.fan_out(): reads the log after its cursor, one delivery row per matching endpoint, with the
     payload built and the personal data it carries audited (payloads.py), and moves the cursor: one
     transaction, so an event is fanned out exactly once
  -> sender.Sender: claims endpoints whose oldest pending delivery is due (a lease per endpoint, so one
     worker at a time and in order), signs (signing.py), POSTs, records the attempt, schedules the retry
"""
