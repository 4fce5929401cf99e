"""Refusals as RFC 9457 problem details, in the same words the pages use."""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse

CONTENT_TYPE = "application/problem+json"
# Problem types are pages of our docs; "about:blank" means "see the status code".
TYPE_BASE = "https://avatar-studio.example/problems/"
TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Cannot be done as asked",
    429: "Too many requests",
    500: "Something went wrong on our side",
}


class Problem(Exception):
    """Raised anywhere under a route; the API answers with it as problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str = "",
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.errors = errors or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"{TYPE_BASE}{self.kind}" if self.kind else "about:blank",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = [{"field": f, "detail": d} for f, d in self.errors.items()]
        return body


def response(problem: Problem) -> JsonResponse:
    answer = JsonResponse(problem.body(), status=problem.status, content_type=CONTENT_TYPE)
    for name, value in problem.headers.items():
        answer[name] = value
    return answer


def not_found(what: str) -> Problem:
    return Problem(404, f"There is no {what} with that id in your team.", kind="not-found")


def from_fields(errors: dict[str, str]) -> Problem:
    """A request whose fields are wrong: every field's reason, and the first as the detail."""
    budget = errors.get("budget")
    if budget:
        return Problem(422, budget, kind="over-budget", errors=errors)
    return Problem(422, " ".join(errors.values()), kind="invalid-fields", errors=errors)


# The shape of every refusal, for the OpenAPI schema (RFC 9457, with our field errors).
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "detail"],
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI schema with every operation's refusals as problem details, and the
    Idempotency-Key header on its POSTs."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = SCHEMA
    problem = {"$ref": "#/components/schemas/Problem"}
    refusal = {
        "description": "Refused: problem details saying why.",
        "content": {CONTENT_TYPE: {"schema": problem}},
    }
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            operation["responses"].setdefault("4XX", refusal)
            operation["responses"].setdefault("5XX", refusal)
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
    return schema


IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (a UUID): a retry with the same key and body gets the "
    "first answer instead of doing the work again. Kept 24 hours.",
    "schema": {"type": "string", "maxLength": 255},
}
