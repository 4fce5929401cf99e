"""Outgoing webhooks: telling a team's other tools what happened, signed and retried.

- `endpoints`: registering, rotating and disabling a team's endpoints
- `events`: recording an event once and queueing it for each endpoint that wants it
- `delivery`: one try of a message (Standard Webhooks signatures, the address policy of
  downloads, no redirects, a capped answer), and the backoff between tries
"""
