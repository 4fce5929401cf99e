"""An upload kept between its preview and the campaign's creation: only its uploader gets it
back, for a day; the sweep deletes what was left behind."""

import datetime

from django.core.files.storage import default_storage
from django.utils import timezone

from avatars.campaigns import staging


def test_the_uploader_gets_the_file_back_and_nobody_else_does(media_root):
    token = staging.keep(b"First Name\r\nPriya\r\n", "../../people.csv", user_id=7)

    assert staging.take(token, 7) == (b"First Name\r\nPriya\r\n", "people.csv")
    assert staging.take(token, 8) is None
    assert staging.take(token + "x", 7) is None


def test_a_discarded_upload_is_gone(media_root):
    token = staging.keep(b"x", "people.csv", user_id=7)
    staging.discard(token)
    assert staging.take(token, 7) is None


def test_the_sweep_deletes_uploads_once_they_are_a_day_old(media_root):
    old = staging.keep(b"old", "old.csv", user_id=1)
    new = staging.keep(b"new", "new.csv", user_id=1)

    assert staging.sweep(now=timezone.now()) == 0
    assert staging.sweep(now=timezone.now() + datetime.timedelta(days=1, minutes=1)) == 2
    assert staging.take(old, 1) is None and staging.take(new, 1) is None
    assert default_storage.listdir(staging.FOLDER)[1] == []
