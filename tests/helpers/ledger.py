"""A job's rows in the credit ledger."""

from decimal import Decimal

from django.db.models import Sum

from avatars.models import CreditEntry, RenderJob

# One second of 720p costs a dollar, so a 1 s clip is estimated at about $1.00.
DOLLAR_A_SECOND = {"720p": "1.00", "1080p": "2.00"}


def entries(job: RenderJob) -> list[CreditEntry]:
    return list(CreditEntry.objects.filter(job=job).order_by("pk"))


def kinds(job: RenderJob) -> list[str]:
    return [entry.kind for entry in entries(job)]


def total(job: RenderJob) -> Decimal:
    return CreditEntry.objects.filter(job=job).aggregate(total=Sum("amount"))["total"]
