from django.urls import path

from . import credits

app_name = "credits"
urlpatterns = [
    path("", credits.overview, name="overview"),
    path("ledger/", credits.ledger, name="ledger"),
    path("holds/", credits.holds, name="holds"),
    path("reconciliation/", credits.reconciliation, name="reconciliation"),
    path("audit/", credits.audit, name="audit"),
    path("campaigns/", credits.campaigns, name="campaigns"),
]
