"""The studio's navigation: each person sees the sections their role lets them open.

Every link asks the rule its page's view asks (avatars/access.py, or the admin site's own
check), so a link is never shown that ends on "Not allowed".
"""

from dataclasses import dataclass

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse

from avatars import access


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    # Matches the `section` a studio page puts in its context, to mark the current one.
    section: str


def studio_links(request: HttpRequest) -> list[NavLink]:
    """The sections of the studio's top bar, in order, for the request's user."""
    user = request.user
    if not user.is_authenticated:
        return []
    links = [
        NavLink("Avatars", reverse("studio:home"), "avatars"),
        NavLink("Scripts", reverse("studio:scripts"), "scripts"),
    ]
    if access.may_request_renders(user):
        links.append(NavLink("New render", reverse("studio:new_render"), "new"))
    links.append(NavLink("Renders", reverse("studio:renders"), "renders"))
    links.append(NavLink("Campaigns", reverse("studio:campaigns"), "campaigns"))
    if access.may_open_review_desk(user):
        links.append(NavLink("Review", reverse("review:queue"), "review"))
    if access.may_read_credit_reports(user):
        links.append(NavLink("Credits", reverse("credits:overview"), "credits"))
    if admin.site.has_permission(request):
        links.append(NavLink("Admin", reverse("admin:index"), "admin"))
    return links
