"""Gunicorn for production: `gunicorn -c project/gunicorn.conf.py` (see docs/deploy.md).

Every value can be changed from the environment without editing this file.
"""

import os

wsgi_app = "project.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# WEB_CONCURRENCY is the name most platforms set from the machine's size.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads: requests mostly wait on the database and on storage.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Restart workers now and then so that a slow leak never takes a process down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The proxy that terminates TLS: its X-Forwarded-* headers are believed only from there.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Signed media links, share links and callback tokens live in URLs: the logger class prints
# the path with its tokens redacted and never the query string nor the Referer.
logger_class = "avatars.observability.accesslog.AccessLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
