"""Where the demo's logins come from, as the login page says it: in development only.

`seed_demo` (run by `make run`) makes one user per role and prints their passwords in the
terminal. The login page points there and never shows a password; with DEBUG off it says
nothing at all, even if someone seeded a production database with --force.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User

# seed_demo's users have addresses here, and only its users do (.invalid is never delivered).
EMAIL_DOMAIN = "demo.invalid"


@dataclass(frozen=True)
class LoginHint:
    # The demo users' names, in the order seed_demo made them; empty before it ran.
    usernames: list[str]


def demo_usernames() -> list[str]:
    demo = User.objects.filter(email__iendswith=f"@{EMAIL_DOMAIN}", is_active=True)
    return list(demo.order_by("pk").values_list("username", flat=True))


def login_hint() -> LoginHint | None:
    """What the login page says about demo logins: nothing in production."""
    if not settings.DEBUG:
        return None
    return LoginHint(usernames=demo_usernames())
