"""The public API at /api/v1/: team keys, typed resources, problem details, idempotent POSTs.

`site` is the NinjaAPI and its error handlers; `keys` makes, checks and revokes team keys;
`idempotency` replays the first answer to a retried POST; `problems` words every refusal
as RFC 9457 problem details; `schemas` are the shapes other tools rely on; each `routes_…`
module is one resource. Who may do what is still `avatars.access`'s to say: a key acts as
its own account.
"""
