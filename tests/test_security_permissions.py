"""Every URL the resolver knows and every admin action, for every role.

The cast of conftest: alice (Marketing) and bob (Editor) in Acme, charlie (Marketing) in
Globex, the foreign team, audrey (Auditor, no team), root (superuser). Every object below
belongs to Acme, so charlie's answers are the team boundary.

The studio's and review desk's pages and actions have their own matrix in
tests/test_studio_permissions.py; here they are only declared, so that the list of routes
stays complete. Every other route has its expected status per role in ROUTES below, and a
route the resolver knows but this table does not makes test_every_route_is_declared fail.
Refused writes (admin deletes, saves and actions) are checked to have changed nothing.

Statuses: 200; LOGIN (302 to /admin/login/); 302 (the admin's "no such object" redirect or
an action done); 403; 404; 405.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from avatars.api import keys
from avatars.models import (
    AuditEntry,
    Campaign,
    CampaignRow,
    CreditEntry,
    ProviderCall,
    Team,
)

ROLES = ["anonymous", "alice", "bob", "charlie", "audrey", "root"]
LOGIN = "login"
STUDIO_MATRIX = "tests/test_studio_permissions.py"


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.METRICS_TOKEN = ""


@dataclass
class World:
    objects: dict[str, Model]

    def pk(self, model: str) -> int:
        return self.objects[model].pk


@pytest.fixture
def world(acme, globex, alice, bob, charlie, audrey, root, asset_factory) -> World:
    job = asset_factory.job(acme, "queued", requested_by=alice)
    credit = CreditEntry.objects.create(
        team=acme, job=job, user=alice, provider="sandbox", kind="hold", amount=Decimal("0.10")
    )
    audit = AuditEntry.objects.create(
        actor=alice, action="render_requested", team=acme, job=job, amount=Decimal("0.10")
    )
    call = ProviderCall.objects.create(provider="sandbox", operation="submit", ok=True)
    avatar, voice = asset_factory.avatar(acme, "Grace"), asset_factory.voice(acme, "Host")
    script = asset_factory.script(acme, "Welcome", "Welcome aboard.")
    campaign = Campaign.objects.create(
        team=acme,
        name="Welcome",
        avatar=avatar,
        script_revision=script.revisions.get(),
        voice=voice,
        provider="sandbox",
        created_by=alice,
    )
    row = CampaignRow.objects.create(campaign=campaign, number=2, verdict="valid", dedupe_key="a")
    return World(
        objects={
            "avatar": avatar,
            "voice": voice,
            "script": script,
            "audioclip": asset_factory.clip(acme, "Intro"),
            "tag": asset_factory.tag(acme, "sales"),
            "creditentry": credit,
            "auditentry": audit,
            "renderjob": job,
            "providercall": call,
            "campaign": campaign,
            "campaignrow": row,
            "apikey": keys.create(acme, "CRM sync", ["read"], None).api_key,
            "team": acme,
            "user": alice,
            "group": Group.objects.get(name="Marketing"),
        }
    )


def walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def every_route() -> set[str]:
    return set(walk(get_resolver().url_patterns))


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    url: Callable[[World], str]
    expect: dict[str, int | str]
    default: int | str = 200
    method: str = "get"
    anonymous: int | str = LOGIN

    def expected(self, role: str) -> int | str:
        if role == "anonymous":
            return self.anonymous
        return self.expect.get(role, self.default)


def at(url: str) -> Callable[[World], str]:
    return lambda w: url


def obj_url(model: str, suffix: str) -> Callable[[World], str]:
    app = "auth" if model in ("user", "group") else "avatars"
    return lambda w: f"/admin/{app}/{model}/{w.pk(model)}/{suffix}"


SUPERUSER_ONLY = {"alice": 403, "bob": 403, "charlie": 403, "audrey": 403}
AUDITORS_ONLY = {"alice": 403, "bob": 403, "charlie": 403}
NOBODY = {role: 403 for role in ("alice", "bob", "charlie", "audrey", "root")}
# An app the user has no permission in does not exist for them.
NO_APP = {"alice": 404, "bob": 404, "charlie": 404, "audrey": 404}
# Public probes (health checks) answer whatever the machine's state is, never a login page.
PUBLIC = "public"
# The admin answers an object the user may not see with a redirect to its index.
NOT_FOUND = 302

ASSETS = ["avatar", "voice", "script", "audioclip", "tag"]


def asset_routes(model: str) -> dict[str, list[Probe]]:
    base = f"admin/avatars/{model}/"
    return {
        base: [Probe(at(f"/{base}"), {})],
        f"{base}add/": [Probe(at(f"/{base}add/"), {"audrey": 403})],
        f"{base}<path:object_id>/change/": [
            Probe(obj_url(model, "change/"), {"charlie": NOT_FOUND})
        ],
        f"{base}<path:object_id>/delete/": [
            Probe(obj_url(model, "delete/"), {"charlie": NOT_FOUND, "audrey": 403})
        ],
        f"{base}<path:object_id>/history/": [
            Probe(obj_url(model, "history/"), {"charlie": NOT_FOUND})
        ],
        f"{base}<path:object_id>/": [Probe(obj_url(model, ""), {}, default=302)],
    }


def ledger_routes(model: str, add: dict[str, int | str]) -> dict[str, list[Probe]]:
    """The ledgers: Auditors and superusers read them, nobody changes or deletes a row, and a
    foreign team's member is told the row does not exist before being told no."""
    base = f"admin/avatars/{model}/"
    history = {**AUDITORS_ONLY, "charlie": NOT_FOUND}
    return {
        base: [Probe(at(f"/{base}"), AUDITORS_ONLY)],
        f"{base}add/": [Probe(at(f"/{base}add/"), add)],
        f"{base}<path:object_id>/change/": [Probe(obj_url(model, "change/"), AUDITORS_ONLY)],
        f"{base}<path:object_id>/delete/": [Probe(obj_url(model, "delete/"), NOBODY)],
        f"{base}<path:object_id>/history/": [Probe(obj_url(model, "history/"), history)],
        f"{base}<path:object_id>/": [Probe(obj_url(model, ""), {}, default=302)],
    }


def read_only_routes(model: str) -> dict[str, list[Probe]]:
    """Campaigns and their rows: their teams' members and Auditors look; nobody adds, changes
    or deletes one here (the studio's flows do), and the foreign team finds no such row."""
    base = f"admin/avatars/{model}/"
    return {
        base: [Probe(at(f"/{base}"), {})],
        f"{base}add/": [Probe(at(f"/{base}add/"), NOBODY)],
        f"{base}<path:object_id>/change/": [
            Probe(obj_url(model, "change/"), {"charlie": NOT_FOUND})
        ],
        f"{base}<path:object_id>/delete/": [Probe(obj_url(model, "delete/"), NOBODY)],
        f"{base}<path:object_id>/history/": [
            Probe(obj_url(model, "history/"), {"charlie": NOT_FOUND})
        ],
        f"{base}<path:object_id>/": [Probe(obj_url(model, ""), {}, default=302)],
    }


def api_key_routes() -> dict[str, list[Probe]]:
    """Team API keys: a team's Editors and superusers make and revoke them, Auditors look,
    nobody edits or deletes one (revoking keeps the audit log readable)."""
    base = "admin/avatars/apikey/"
    editors = {"alice": 403, "charlie": 403}
    return {
        base: [Probe(at(f"/{base}"), editors)],
        f"{base}add/": [Probe(at(f"/{base}add/"), {**editors, "audrey": 403})],
        f"{base}<path:object_id>/change/": [Probe(obj_url("apikey", "change/"), editors)],
        f"{base}<path:object_id>/delete/": [Probe(obj_url("apikey", "delete/"), NOBODY)],
        f"{base}<path:object_id>/history/": [
            Probe(obj_url("apikey", "history/"), {**editors, "charlie": NOT_FOUND})
        ],
        f"{base}<path:object_id>/": [Probe(obj_url("apikey", ""), {}, default=302)],
    }


def api_routes() -> dict[str, list[Probe]]:
    """The public API takes team keys, never a signed-in session: 401 for everyone here (its
    own tests cover keys and scopes); its schema and docs page are public."""
    from avatars.api.site import api

    public = {"openapi.json": 200, "docs": 200, "": 404}
    posts_only = ("estimates", "/cancel", "/approve", "/reject", "/request-changes", "/rotate")
    posts_only += ("/resend", "hooks")
    deletes_only = ("hooks/<hook_id>",)
    found: dict[str, list[Probe]] = {}
    for route in walk(api.urls[0]):
        url = "/api/v1/" + re.sub(r"<\w+>", "1", route)
        if route in public:
            probe = Probe(at(url), {}, default=public[route], anonymous=public[route])
        else:
            method = "post" if route.endswith(posts_only) else "get"
            method = "delete" if route in deletes_only else method
            probe = Probe(at(url), {}, default=401, anonymous=401, method=method)
        found[f"api/v1/{route}"] = [probe]
    return found


def superuser_routes(app: str, model: str) -> dict[str, list[Probe]]:
    base = f"admin/{app}/{model}/"
    return {
        base: [Probe(at(f"/{base}"), SUPERUSER_ONLY)],
        f"{base}add/": [Probe(at(f"/{base}add/"), SUPERUSER_ONLY)],
        f"{base}<path:object_id>/change/": [Probe(obj_url(model, "change/"), SUPERUSER_ONLY)],
        f"{base}<path:object_id>/delete/": [Probe(obj_url(model, "delete/"), SUPERUSER_ONLY)],
        f"{base}<path:object_id>/history/": [Probe(obj_url(model, "history/"), SUPERUSER_ONLY)],
        f"{base}<path:object_id>/": [Probe(obj_url(model, ""), {}, default=302)],
    }


def job_action(action: str) -> list[Probe]:
    # Editors' actions; the foreign team's marketer lacks the permission before the row.
    refused = {"alice": 403, "charlie": 403, "audrey": 403}
    return [Probe(obj_url("renderjob", f"{action}/"), refused, default=302, method="post")]


ROUTES: dict[str, list[Probe] | str] = {
    "": [Probe(at("/"), {}, default=302, anonymous=302)],
    "admin/": [Probe(at("/admin/"), {})],
    "admin/login/": [Probe(at("/admin/login/"), {}, default=302, anonymous=200)],
    # GET never logs out (Django 5); an anonymous visitor is sent to the index, then to login.
    "admin/logout/": [Probe(at("/admin/logout/"), {}, default=405, anonymous=302)],
    "admin/password_change/": [Probe(at("/admin/password_change/"), {})],
    "admin/password_change/done/": [Probe(at("/admin/password_change/done/"), {})],
    "admin/autocomplete/": [Probe(at("/admin/autocomplete/"), {}, default=403)],
    "admin/jsi18n/": [Probe(at("/admin/jsi18n/"), {})],
    "admin/r/<path:content_type_id>/<path:object_id>/": [
        Probe(
            lambda w: (
                f"/admin/r/{ContentType.objects.get_for_model(w.objects['avatar']).pk}"
                f"/{w.pk('avatar')}/"
            ),
            {},
            default=404,
        )
    ],
    "admin/^(?P<app_label>auth|avatars)/$": [
        Probe(at("/admin/auth/"), NO_APP),
        Probe(at("/admin/avatars/"), {}),
    ],
    "admin/(?P<url>.*)$": [Probe(at("/admin/no-such-page/"), {}, default=404)],
    **superuser_routes("auth", "user"),
    "admin/auth/user/<id>/password/": [Probe(obj_url("user", "password/"), SUPERUSER_ONLY)],
    **superuser_routes("auth", "group"),
    **{route: probes for model in ASSETS for route, probes in asset_routes(model).items()},
    # Superusers enter refunds and adjustments; the audit log writes itself.
    **ledger_routes("creditentry", {**AUDITORS_ONLY, "audrey": 403}),
    **ledger_routes("auditentry", NOBODY),
    **read_only_routes("campaign"),
    **read_only_routes("campaignrow"),
    **api_key_routes(),
    **api_routes(),
    # Members see their own team (read-only), Auditors every team; superusers change them.
    "admin/avatars/team/": [Probe(at("/admin/avatars/team/"), {})],
    "admin/avatars/team/add/": [Probe(at("/admin/avatars/team/add/"), SUPERUSER_ONLY)],
    "admin/avatars/team/<path:object_id>/change/": [
        Probe(obj_url("team", "change/"), {"charlie": NOT_FOUND})
    ],
    "admin/avatars/team/<path:object_id>/delete/": [
        Probe(obj_url("team", "delete/"), SUPERUSER_ONLY)
    ],
    "admin/avatars/team/<path:object_id>/history/": [
        Probe(obj_url("team", "history/"), {"charlie": NOT_FOUND})
    ],
    "admin/avatars/team/<path:object_id>/": [Probe(obj_url("team", ""), {}, default=302)],
    # Jobs are never deleted but by a superuser: the ledger points at them.
    **{
        route: probes
        for route, probes in asset_routes("renderjob").items()
        if not route.endswith(("add/", "delete/"))
    },
    "admin/avatars/renderjob/add/": [Probe(at("/admin/avatars/renderjob/add/"), {"audrey": 403})],
    "admin/avatars/renderjob/<path:object_id>/delete/": [
        Probe(obj_url("renderjob", "delete/"), SUPERUSER_ONLY)
    ],
    "admin/avatars/renderjob/<int:pk>/cancel/": job_action("cancel"),
    "admin/avatars/renderjob/<int:pk>/approve/": job_action("approve"),
    "admin/avatars/renderjob/<int:pk>/reject/": job_action("reject"),
    "admin/avatars/renderjob/<int:pk>/retry/": job_action("retry"),
    "admin/avatars/renderjob/<int:pk>/reconcile/": job_action("reconcile"),
    # Provider health: superusers read it; nobody adds or deletes a call.
    **superuser_routes("avatars", "providercall"),
    "admin/avatars/providercall/add/": [Probe(at("/admin/avatars/providercall/add/"), NOBODY)],
    "admin/avatars/providercall/<path:object_id>/delete/": [
        Probe(obj_url("providercall", "delete/"), NOBODY)
    ],
    "admin/avatars/providercall/check/<str:name>/": [
        Probe(
            at("/admin/avatars/providercall/check/sandbox/"),
            SUPERUSER_ONLY,
            default=302,
            method="post",
        )
    ],
    "credits/": [Probe(at("/credits/"), AUDITORS_ONLY)],
    "credits/ledger/": [Probe(at("/credits/ledger/"), AUDITORS_ONLY)],
    "credits/holds/": [Probe(at("/credits/holds/"), AUDITORS_ONLY)],
    "credits/reconciliation/": [Probe(at("/credits/reconciliation/"), AUDITORS_ONLY)],
    "credits/audit/": [Probe(at("/credits/audit/"), AUDITORS_ONLY)],
    "credits/campaigns/": [Probe(at("/credits/campaigns/"), AUDITORS_ONLY)],
    "m/<str:token>/": [Probe(at("/m/forged-token/"), {}, default=404, anonymous=404)],
    "healthz": [Probe(at("/healthz"), {}, default=200, anonymous=200)],
    "healthz/workers": [Probe(at("/healthz/workers"), {}, default=PUBLIC, anonymous=PUBLIC)],
    "readyz": [Probe(at("/readyz"), {}, default=PUBLIC, anonymous=PUBLIC)],
    # Without METRICS_TOKEN and DEBUG off, closed to everyone, people included.
    "metrics": [Probe(at("/metrics"), {}, default=403, anonymous=403)],
    "v/<uuid:key>/": STUDIO_MATRIX,
    "s/<str:token>/": STUDIO_MATRIX,
    "callbacks/<str:provider>/<int:job_id>/<str:token>/": [
        Probe(
            lambda w: f"/callbacks/sandbox/{w.pk('renderjob')}/wrong-token/",
            {},
            default=404,
            anonymous=404,
            method="post",
        )
    ],
    "sandbox/api/v1/client/job/CreateTask": [
        Probe(at("/sandbox/api/v1/client/job/CreateTask"), {}, default=405, anonymous=405),
        Probe(
            at("/sandbox/api/v1/client/job/CreateTask"),
            {},
            default=401,
            anonymous=401,
            method="post",
        ),
    ],
    "sandbox/api/v1/client/job/TaskInfo": [
        Probe(at("/sandbox/api/v1/client/job/TaskInfo"), {}, default=401, anonymous=401)
    ],
    "sandbox/api/v1/client/account/balance": [
        Probe(at("/sandbox/api/v1/client/account/balance"), {}, default=401, anonymous=401)
    ],
    "sandbox/results/<str:task_id>.mp4": [
        Probe(at("/sandbox/results/no-such-task.mp4"), {}, default=404, anonymous=404)
    ],
    "sandbox/preview/speech.wav": [
        Probe(at("/sandbox/preview/speech.wav"), {}, default=405, anonymous=405),
        Probe(at("/sandbox/preview/speech.wav"), {}, default=401, anonymous=401, method="post"),
    ],
}


def studio_routes() -> set[str]:
    from avatars.views import review_urls, studio_urls

    return {f"studio/{p.pattern}" for p in studio_urls.urlpatterns} | {
        f"review/{p.pattern}" for p in review_urls.urlpatterns
    }


def client_for(role: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def probe_ids() -> list[tuple[str, int]]:
    return [
        (route, index)
        for route, probes in ROUTES.items()
        if not isinstance(probes, str)
        for index in range(len(probes))
    ]


def test_every_route_is_declared():
    declared = set(ROUTES) | studio_routes()
    known = every_route()

    assert known - declared == set(), "routes without a declared expectation"
    assert declared - known == set(), "declared routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "index"), probe_ids())
def test_each_role_gets_exactly_what_it_may(route, index, role, world, request):
    probe = ROUTES[route][index]
    url = probe.url(world)

    response = getattr(client_for(role, request), probe.method)(url)

    expected = probe.expected(role)
    if expected == PUBLIC:
        assert response.status_code in (200, 503)
    elif expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=/")
    else:
        assert response.status_code == expected


# --- refused writes ---------------------------------------------------------------------------


def snapshot(model: str, world: World) -> dict[str, Any] | None:
    obj = world.objects[model]
    row = type(obj)._base_manager.filter(pk=obj.pk).first()
    if row is None:
        return None
    # Logging in (alice is also the user row under test) is not a write.
    fields = [f for f in row._meta.concrete_fields if f.attname != "last_login"]
    return {f.attname: str(getattr(row, f.attname)) for f in fields}


def refuses(route: str, role: str) -> bool:
    """Whether the role may not write there: its GET is refused, or it is an Auditor."""
    probes = ROUTES[route]
    return role in ("anonymous", "audrey") or probes[0].expected(role) != 200


WRITABLE = ["avatar", "voice", "script", "audioclip", "tag", "creditentry", "auditentry"]
WRITABLE += ["renderjob", "providercall", "team", "user", "group", "campaign", "campaignrow"]
WRITABLE += ["apikey"]


def change_data(world: World) -> dict[str, Any]:
    other = Team.objects.get(slug="globex").pk
    return {"name": "HACKED", "title": "HACKED", "text": "HACKED", "team": other,
            "monthly_budget": "999999", "is_superuser": "on", "username": "HACKED",
            "amount": "-1000", "reason": "HACKED", "message": "HACKED"}  # fmt: skip


def admin_route(model: str, kind: str) -> str:
    app = "auth" if model in ("user", "group") else "avatars"
    return f"admin/{app}/{model}/<path:object_id>/{kind}/"


# Roles allowed to write are tested with each feature; here only the refusals.
REFUSED_WRITES = [
    (kind, model, role)
    for kind in ("change", "delete")
    for model in WRITABLE
    for role in ROLES
    if refuses(admin_route(model, kind), role)
]


@pytest.mark.parametrize(("kind", "model", "role"), REFUSED_WRITES)
def test_a_refused_write_changes_nothing(kind, model, role, world, request):
    before = snapshot(model, world)
    data = change_data(world) if kind == "change" else {"post": "yes"}

    response = client_for(role, request).post(obj_url(model, f"{kind}/")(world), data)

    assert response.status_code in (200, 302, 403, 404)
    assert snapshot(model, world) == before


REFUSED_JOB_ACTIONS = [
    (action, role)
    for action in ("cancel", "approve", "reject", "retry", "reconcile")
    for role in ("anonymous", *ROUTES[f"admin/avatars/renderjob/<int:pk>/{action}/"][0].expect)
]


@pytest.mark.parametrize(("action", "role"), REFUSED_JOB_ACTIONS)
def test_a_refused_job_action_changes_nothing(action, role, world, request):
    before = snapshot("renderjob", world)
    events = world.objects["renderjob"].events.count()

    client_for(role, request).post(obj_url("renderjob", f"{action}/")(world))

    assert snapshot("renderjob", world) == before
    assert world.objects["renderjob"].events.count() == events


# --- admin actions ----------------------------------------------------------------------------

# Who may run each action of each ModelAdmin on an Acme row; everyone else changes nothing.
ACTIONS: dict[str, dict[str, set[str]]] = {
    "avatar": {
        "delete_selected": {"alice", "bob", "root"},
        "archive": {"alice", "bob", "root"},
        "unarchive": {"alice", "bob", "root"},
    },
    "voice": {
        "delete_selected": {"alice", "bob", "root"},
        "archive": {"alice", "bob", "root"},
        "unarchive": {"alice", "bob", "root"},
    },
    "script": {
        "delete_selected": {"alice", "bob", "root"},
        "archive": {"alice", "bob", "root"},
        "unarchive": {"alice", "bob", "root"},
    },
    "audioclip": {
        "delete_selected": {"alice", "bob", "root"},
        "archive": {"alice", "bob", "root"},
        "unarchive": {"alice", "bob", "root"},
    },
    "tag": {"delete_selected": {"alice", "bob", "root"}},
    "creditentry": {},
    "auditentry": {},
    "campaign": {
        "pause_selected": {"alice", "bob", "root"},
        "resume_selected": {"alice", "bob", "root"},
        "cancel_selected": {"alice", "bob", "root"},
    },
    "campaignrow": {},
    "apikey": {"revoke_keys": {"bob", "root"}},
    "renderjob": {
        "delete_selected": {"root"},
        "approve_selected": {"bob", "root"},
        "cancel_selected": {"bob", "root"},
        "reconcile_selected": {"bob", "root"},
    },
    "providercall": {},
    "team": {"delete_selected": {"root"}},
    "user": {"delete_selected": {"root"}},
    "group": {"delete_selected": {"root"}},
}


def test_every_admin_action_is_declared(rf, root):
    request = rf.get("/admin/")
    request.user = root
    found = {
        model._meta.model_name: set(model_admin.get_actions(request))
        for model, model_admin in admin.site._registry.items()
    }

    assert found == {model: set(actions) for model, actions in ACTIONS.items()}


ACTION_CASES = [
    (model, action, role)
    for model, actions in ACTIONS.items()
    for action, allowed in actions.items()
    for role in ROLES
    if role not in allowed
]


@pytest.mark.parametrize(("model", "action", "role"), ACTION_CASES)
def test_a_refused_admin_action_changes_nothing(model, action, role, world, request):
    app = "auth" if model in ("user", "group") else "avatars"
    before = snapshot(model, world)
    events = world.objects["renderjob"].events.count()

    response = client_for(role, request).post(
        f"/admin/{app}/{model}/",
        {"action": action, "_selected_action": [world.pk(model)], "post": "yes", "index": 0},
    )

    assert response.status_code in (200, 302, 403)
    assert snapshot(model, world) == before
    assert world.objects["renderjob"].events.count() == events
