"""The login page tells a developer where the demo logins come from, and production nothing.

`seed_demo` (run by `make run`) prints the demo passwords in the terminal; the page points
there, names the demo users, and never shows a password. With DEBUG off it is silent.
"""

import io

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def login_page() -> str:
    response = Client().get("/admin/login/?next=/studio/")
    assert response.status_code == 200
    return response.content.decode()


def test_after_seeding_it_names_the_demo_users_and_where_their_passwords_are(settings):
    settings.DEBUG = True
    printed = io.StringIO()
    call_command("seed_demo", stdout=printed)

    page = login_page()

    assert "one per role (admin, maria, eddie, audrey)" in page
    assert "printed in the terminal by <code>make run</code>" in page
    assert "<code>python manage.py seed_demo</code> prints them again" in page
    for line in printed.getvalue().splitlines()[1:]:
        password = line.split(" / ")[1]
        assert password not in page
    assert "-demo" not in page


def test_before_seeding_it_says_how_to_make_them(settings):
    settings.DEBUG = True

    page = login_page()

    assert "No demo logins yet." in page
    assert "creates one per role" in page


def test_in_production_it_says_nothing_even_over_demo_users(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False

    page = login_page()

    assert "demo-logins" not in page
    assert "seed_demo" not in page and "make run" not in page
    assert 'name="username"' in page
