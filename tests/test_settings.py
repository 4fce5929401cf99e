"""Settings come from the environment, secrets also from NAME_FILE paths."""

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from project import settings as project_settings


def test_envbool_reads_the_usual_spellings(monkeypatch):
    for raw, expected in [("1", True), ("on", True), ("FALSE", False), ("no", False), ("", True)]:
        monkeypatch.setenv("FLAG", raw)
        assert project_settings.envbool("FLAG", True) is expected


def test_envbool_and_envint_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be true or false"):
        project_settings.envbool("FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="COUNT must be a whole number"):
        project_settings.envint("COUNT", 1)


def test_a_secret_is_read_from_its_file(monkeypatch, tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("s3cr3t\n")
    monkeypatch.setenv("API_KEY", "from-env")
    monkeypatch.setenv("API_KEY_FILE", str(secret_file))

    assert project_settings.secret("API_KEY") == "s3cr3t"


def test_a_secret_falls_back_to_the_variable_then_the_default(monkeypatch):
    monkeypatch.delenv("API_KEY_FILE", raising=False)
    monkeypatch.setenv("API_KEY", "from-env")
    assert project_settings.secret("API_KEY") == "from-env"
    monkeypatch.delenv("API_KEY")
    assert project_settings.secret("API_KEY", "fallback") == "fallback"


def test_an_unreadable_secret_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("API_KEY_FILE", str(tmp_path / "missing"))

    with pytest.raises(ImproperlyConfigured, match=r"API_KEY_FILE=.* cannot be read"):
        project_settings.secret("API_KEY")


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import the settings module afresh in a process with exactly this environment."""
    code = (
        "import json, project.settings as s; "
        "print(json.dumps({'db': s.DATABASES['default'], 'storage': s.STORAGES['default'], "
        "'debug': s.DEBUG}, default=str))"
    )
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )


def test_with_no_environment_it_runs_on_sqlite_and_local_media():
    loaded = json.loads(load_settings().stdout)

    assert loaded["db"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["storage"]["BACKEND"].endswith("FileSystemStorage")
    assert loaded["debug"] is True


def test_database_url_selects_postgresql():
    loaded = json.loads(load_settings(DATABASE_URL="postgres://ann@db.internal:5433/studio").stdout)

    assert loaded["db"]["ENGINE"] == "django.db.backends.postgresql"
    assert (loaded["db"]["HOST"], loaded["db"]["PORT"], loaded["db"]["NAME"]) == (
        "db.internal",
        5433,
        "studio",
    )


def test_media_storage_s3_uses_private_presigned_objects(tmp_path):
    key_file = tmp_path / "aws"
    key_file.write_text("from-file")
    loaded = json.loads(
        load_settings(
            MEDIA_STORAGE="s3",
            AWS_STORAGE_BUCKET_NAME="media",
            AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
            AWS_SECRET_ACCESS_KEY_FILE=str(key_file),
        ).stdout
    )

    options = loaded["storage"]["OPTIONS"]
    assert loaded["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert options["secret_key"] == "from-file"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE must be local or s3"),
        ({"MEDIA_STORAGE": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
        ({"DEBUG": "off"}, "SECRET_KEY must be set"),
    ],
)
def test_a_broken_configuration_says_what_is_wrong(env, message):
    loaded = load_settings(**env)

    assert loaded.returncode != 0
    assert message in loaded.stderr
