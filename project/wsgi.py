import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()

# With no BROKER_URL the web process works its own queue (a no-op with a real broker).
from avatars.worker import start_embedded_worker  # noqa: E402

start_embedded_worker()
