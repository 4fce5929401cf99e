"""The render job lifecycle: the only code that changes RenderJob.status.

Every change is a conditional update under a row lock and writes a JobEvent (`states`), so a
redelivered message, a duplicate callback or a poller racing a callback can never submit
twice, store twice or move a job backwards. Actors call the step functions with a job id;
each step re-reads the job and does nothing when the job has moved on.

- `requests`: asking for a render, and people's actions on it (approve, reject, cancel, retry)
- `states`: `transition`, the timeline and the messages to the workers
- `submitting`: sending a job to its provider, with retries, waits and fallback
- `waiting`: polling and callbacks, and the provider states they confirm
- `storing`: copying the result into our storage, with its poster and captions
- `sweep`: picking up jobs whose messages were lost
"""

from avatars.render.requests import (
    CONSENT_FIRST,
    RenderRequest,
    RenderRequestError,
    approve,
    avatar_unavailable,
    cancel,
    estimate,
    fill_variables,
    reject,
    request_like,
    request_render,
    requested_message,
    retry,
    validate,
)
from avatars.render.states import WAITING_FOR_PROVIDER, note, transition
from avatars.render.storing import scratch_root, store, sweep_scratch
from avatars.render.submitting import render_inputs, retry_delay, submit
from avatars.render.sweep import reconcile, redrive
from avatars.render.waiting import apply_state, on_callback, poll, record_callback

__all__ = [
    "CONSENT_FIRST",
    "WAITING_FOR_PROVIDER",
    "RenderRequest",
    "RenderRequestError",
    "apply_state",
    "approve",
    "avatar_unavailable",
    "cancel",
    "estimate",
    "fill_variables",
    "note",
    "on_callback",
    "poll",
    "reconcile",
    "record_callback",
    "redrive",
    "reject",
    "render_inputs",
    "request_like",
    "request_render",
    "requested_message",
    "retry",
    "retry_delay",
    "scratch_root",
    "store",
    "submit",
    "sweep_scratch",
    "transition",
    "validate",
]
