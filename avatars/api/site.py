"""The API at /api/v1/: its routers, its key check and how it words every refusal."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from avatars.api import problems, routes_library, routes_renders, routes_webhooks
from avatars.api.context import TeamKey
from avatars.api.problems import Problem

log = logging.getLogger("avatars.api")


class StudioApi(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return problems.describe(super().get_openapi_schema(*args, **kwargs))


api = StudioApi(
    title="Avatar Studio API",
    version="1",
    description=(
        "Drive the studio from your own tools: library, estimates, renders and budget. "
        "Authenticate with a team API key as `Authorization: Bearer ask_…`. Errors are RFC "
        "9457 problem details. POSTs that create or spend take an `Idempotency-Key` header."
    ),
    auth=TeamKey(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("", routes_library.router)
api.add_router("", routes_renders.router)
api.add_router("", routes_webhooks.router)


@api.exception_handler(Problem)
def _problem(request: HttpRequest, exc: Problem) -> HttpResponse:
    return problems.response(exc)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    said = request.headers.get("Authorization", "")
    detail = (
        "This key is not valid: it may have been revoked, or mistyped. Make a new one in the "
        "studio."
        if said.lower().startswith("bearer ")
        else "Send a team API key as “Authorization: Bearer ask_…”."
    )
    answer = problems.response(Problem(401, detail, kind="unauthenticated"))
    answer["WWW-Authenticate"] = 'Bearer realm="api"'
    return answer


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for error in exc.errors:
        where = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        field = ".".join(where[1:] if where[:1] in (["query"], ["path"]) else where) or "body"
        errors.setdefault(field, str(error.get("msg", "is not valid")))
    detail = " ".join(f"{field}: {message}" for field, message in errors.items())
    return problems.response(Problem(422, detail, kind="invalid-fields", errors=errors))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problems.response(Problem(404, "There is nothing at this address.", kind="not-found"))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problems.response(Problem(exc.status_code, str(exc)))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API request failed: %s %s", request.method, request.path)
    return problems.response(
        Problem(
            500,
            "Something went wrong on our side. Try again: with the same Idempotency-Key "
            "nothing is done twice.",
        )
    )
