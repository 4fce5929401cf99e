"""The request of a page that only signed-in people reach, for the type checker."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class SignedInRequest(HttpRequest):
    """A request behind login_required (or the admin's admin_view): its user is a person,
    never AnonymousUser. Only an annotation: Django still passes its own HttpRequest."""

    user: User
