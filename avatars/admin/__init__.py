from django.contrib import admin
from django_dramatiq.models import Task

from . import api_keys, assets, campaigns, credits, jobs, providers, teams  # noqa: F401  (registers the model admins)

# Tasks are not recorded in the database here (the job timeline is the record), so
# django_dramatiq's task list would always be empty.
if admin.site.is_registered(Task):
    admin.site.unregister(Task)
