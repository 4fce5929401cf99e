"""The audit pages at /credits/: what was spent, on what, by whom, and what was wasted.

Read-only and for Auditors and superusers only. Every figure comes from avatars/reports.py;
every page also downloads as CSV (`?format=csv`, rows from avatars/report_rows.py), streamed
row by row. `overview` is the month; `campaigns` the spend by campaign; `listings` the
ledger, holds, reconciliation and audit log; `report_page` what they share; `filters` their
forms.
"""

from .campaigns import campaigns
from .listings import audit, holds, ledger, reconciliation
from .overview import overview

__all__ = ["audit", "campaigns", "holds", "ledger", "overview", "reconciliation"]
