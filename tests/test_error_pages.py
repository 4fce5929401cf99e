"""The 403, 404 and 500 pages as people meet them with DEBUG off: in the studio's look, saying
what happened, with a way back. The 500 page is drawn with no request and no database, since
either may be what failed.
"""

import pytest
from django.db import connections
from django.template import loader
from django.test import Client
from django.urls import path

from project.urls import urlpatterns as project_urls


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *project_urls]


@pytest.fixture(autouse=True)
def debug_off(settings) -> None:
    settings.DEBUG = False


def test_a_forbidden_page_says_why_and_leads_back(audrey, login):
    response = login(audrey).get("/studio/render/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>Not allowed</h1>" in page
    assert '<a class="button" href="/studio/">Back to the studio</a>' in page
    assert "studio/studio.css" in page
    assert '<nav class="main-nav"' in page


def test_a_missing_row_is_a_studio_page_with_a_way_back(alice, login):
    response = login(alice).get("/studio/renders/987654/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "This page isn’t here" in page
    assert "a team you are not a member of" in page
    assert '<a class="button" href="/studio/">Back to the studio</a>' in page
    assert '<a class="button secondary" href="/studio/renders/">Your renders</a>' in page
    assert "Log out" in page


def test_a_visitor_on_a_missing_page_is_offered_the_login(db):
    response = Client().get("/no/such/page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<a class="button" href="/studio/">Back to the studio</a>' in page
    assert 'href="/admin/login/?next=/no/such/page/"' in page
    assert '<nav class="main-nav"' not in page


def test_the_missing_address_is_shown_escaped(db):
    page = Client().get("/studio/<script>x</script>/").content.decode()

    assert "<script>x" not in page
    assert "/studio/%3Cscript%3Ex%3C/script%3E/" in page


@pytest.mark.urls(__name__)
def test_a_crash_is_a_plain_page_with_a_way_back(db, django_assert_num_queries):
    client = Client(raise_request_exception=False)

    with django_assert_num_queries(0):
        response = client.get("/boom/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert '<a class="button" href="/studio/">Back to the studio</a>' in page
    assert "a bug" not in page
    assert "Traceback" not in page


def test_the_crash_page_needs_no_request_nor_database(monkeypatch):
    def no_database(*args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    monkeypatch.setattr(connections["default"], "cursor", no_database)

    page = loader.get_template("500.html").render()

    assert "Back to the studio" in page


def test_a_form_without_its_csrf_token_is_explained(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/studio/render/", {})

    assert response.status_code == 403
    page = response.content.decode()
    assert "The form was not sent" in page
    assert "Nothing was saved." in page
    assert '<a class="button" href="/studio/">Back to the studio</a>' in page
    assert "CSRF verification failed" not in page
