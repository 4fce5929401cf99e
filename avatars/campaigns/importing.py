"""Creating a campaign from an uploaded list: read, check, price, and keep every row.

Nothing is written unless the whole file was read and the campaign's choices hold; then
the campaign and all its rows are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from avatars import catalog, credits, routing
from avatars.campaigns import rows as checking
from avatars.campaigns.spreadsheet import SpreadsheetError, Table, read_table
from avatars.models import (
    Avatar,
    Campaign,
    CampaignRow,
    CampaignStatus,
    Script,
    ScriptRevision,
    Team,
    Voice,
)
from avatars.providers import get_provider
from avatars.render.requests import avatar_unavailable


class CampaignError(Exception):
    """A campaign that cannot be created or moved on, with a message per field ("file",
    "avatar", …, or "campaign" for the campaign as a whole)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class CampaignPlan:
    """What a campaign would be: its choices, and the file's rows checked."""

    team: Team
    name: str
    avatar: Avatar
    script: Script
    voice: Voice
    provider: str
    resolution: str
    spending_cap: Decimal | None
    filename: str
    table: Table
    checked: checking.CheckedTable


def parse_cap(text: str) -> Decimal | None:
    """A spending cap as typed ("25", "$25.50"); None when left empty."""
    cleaned = text.strip().lstrip("$").replace(",", "")
    if not cleaned:
        return None
    try:
        cap = Decimal(cleaned)
    except InvalidOperation:
        raise CampaignError(
            {"spending_cap": "Give the cap in dollars, like 25 or 25.50."}
        ) from None
    if not cap.is_finite() or cap < 0:
        raise CampaignError({"spending_cap": "The cap is a number of dollars, 0 or more."})
    return cap.quantize(Decimal("0.01"))


def plan(
    *,
    team: Team,
    name: str,
    avatar: Avatar,
    script: Script,
    voice: Voice,
    data: bytes,
    filename: str,
    provider: str = "",
    resolution: str = "720p",
    spending_cap: Decimal | None = None,
    revision: ScriptRevision | None = None,
    known: dict[str, int] | None = None,
) -> CampaignPlan:
    """Check the choices and the file without writing anything (the preview and create
    both start here); raises CampaignError saying what to fix.

    A corrected file is checked against the campaign's own frozen `revision`, and rows equal
    to one already sent (`known`: dedupe key → row number) are duplicates of it.
    """
    errors = _choice_problems(team, name, avatar, script, voice, resolution)
    chosen = routing.chosen_provider(team, provider)
    if problem := _provider_problem(chosen):
        errors["provider"] = problem
    try:
        table = read_table(
            data,
            filename,
            max_rows=settings.CAMPAIGN_MAX_ROWS,
            max_bytes=settings.CAMPAIGN_MAX_UPLOAD_BYTES,
        )
    except SpreadsheetError as refused:
        errors["file"] = str(refused)
    if errors:
        raise CampaignError(errors)
    revision = revision or script.revisions.latest("number")
    library = checking.Library.of(
        Avatar.objects.filter(team=team),
        Voice.objects.filter(team=team),
        language=revision.language,
        provider=chosen,
        resolution=resolution,
    )
    try:
        checked = checking.check_table(table, revision.text, library, known=known)
    except checking.CampaignFileError as refused:
        raise CampaignError({"file": str(refused)}) from None
    return CampaignPlan(
        team, name.strip(), avatar, script, voice, chosen, resolution, spending_cap,
        filename, table, checked,
    )  # fmt: skip


def _choice_problems(
    team: Team, name: str, avatar: Avatar, script: Script, voice: Voice, resolution: str
) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "Give the campaign a name."
    elif len(name.strip()) > 200:
        errors["name"] = "A campaign's name fits in 200 characters."
    if avatar.team_id != team.pk:
        errors["avatar"] = "Pick an avatar from your team's library."
    elif why := avatar_unavailable(avatar):
        errors["avatar"] = f"“{avatar}” cannot be rendered: {why[:1].lower()}{why[1:]}."
    if script.team_id != team.pk:
        errors["script"] = "Pick a script from your team's library."
    elif script.archived:
        errors["script"] = f"“{script}” is archived. Unarchive it to use it."
    if voice.team_id != team.pk:
        errors["voice"] = "Pick a voice from your team's library."
    if resolution not in catalog.RESOLUTIONS:
        errors["resolution"] = "Choose 720p or 1080p."
    return errors


def _provider_problem(name: str) -> str:
    try:
        provider = get_provider(name)
    except KeyError:
        return f"There is no provider called “{name}”."
    return "" if provider.configured else f"{provider.label} is not configured here."


def create(planned: CampaignPlan, user: User | None) -> Campaign:
    """Write the campaign, its frozen script revision and every row, in one transaction."""
    revision = planned.script.revisions.latest("number")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            team=planned.team,
            name=planned.name,
            avatar=planned.avatar,
            script_revision=revision,
            voice=planned.voice,
            provider=planned.provider,
            resolution=planned.resolution,
            spending_cap=planned.spending_cap,
            source_filename=planned.filename[:255],
            columns=planned.table.headers,
            mapping=planned.checked.mapping.as_json(),
            created_by_id=user.pk if user is not None else None,
        )
        _write_rows(campaign, planned.checked.rows)
        credits.record(
            credits.AuditEntry.Action.CAMPAIGN_CREATED,
            planned.team,
            user,
            campaign=campaign,
            amount=planned.checked.estimate,
            detail=f"Campaign #{campaign.pk} “{campaign}”: {len(planned.checked.valid)} of "
            f"{len(planned.checked.rows)} rows to render, from {planned.filename}",
        )
    return campaign


def replace_rows(campaign: Campaign, data: bytes, filename: str, user: User | None) -> CampaignPlan:
    """Take a corrected file in place of the campaign's rows not yet sent.

    Rows already sent stay as they are, so the corrected file must keep them where they
    were (a spreadsheet's row 5 is still row 5); the same person elsewhere in it is a
    duplicate of the row sent. Nothing changes unless the whole file is accepted.
    """
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status in (CampaignStatus.CANCELED, CampaignStatus.FINISHED):
            raise CampaignError(
                {"file": f"This campaign is {locked.get_status_display().lower()}."}
            )
        planned = plan(
            team=locked.team,
            name=locked.name,
            avatar=locked.avatar,
            script=locked.script,
            voice=locked.voice,
            data=data,
            filename=filename,
            provider=locked.provider,
            resolution=locked.resolution,
            spending_cap=locked.spending_cap,
            revision=locked.script_revision,
            known=_sent_rows(locked),
        )
        sent = {row.number: row for row in locked.rows.exclude(latest_job=None)}
        for row in planned.checked.rows:
            before = sent.get(row.number)
            if before is not None and row.duplicate_of != row.number:
                raise CampaignError(
                    {
                        "file": f"Row {row.number} of the corrected file is not {before.person}, "
                        "whose video was already sent from that row. Keep the rows already "
                        "sent where they were, or start a new campaign for the new list."
                    }
                )
        fresh = [row for row in planned.checked.rows if row.number not in sent]
        locked.rows.filter(latest_job=None).delete()
        _write_rows(locked, fresh)
        locked.columns = list(dict.fromkeys([*locked.columns, *planned.table.headers]))
        locked.mapping = planned.checked.mapping.as_json()
        locked.source_filename = filename[:255]
        locked.save(update_fields=["columns", "mapping", "source_filename"])
        valid = [row for row in fresh if row.verdict == "valid"]
        credits.record(
            credits.AuditEntry.Action.CAMPAIGN_REUPLOADED,
            locked.team,
            user,
            campaign=locked,
            amount=sum((row.estimate or credits.ZERO for row in valid), credits.ZERO),
            detail=f"Campaign #{locked.pk} “{locked}”: {len(valid)} rows to render from "
            f"{filename}, {len(sent)} already sent kept",
        )
    return planned


def _sent_rows(campaign: Campaign) -> dict[str, int]:
    return dict(campaign.rows.exclude(latest_job=None).values_list("dedupe_key", "number"))


BATCH = 1000


def _write_rows(campaign: Campaign, checked: list[checking.CheckedRow]) -> None:
    objects = [
        CampaignRow(
            campaign=campaign,
            number=row.number,
            values=row.values,
            variables=row.variables,
            text=row.text,
            person=row.person,
            avatar=row.avatar,
            voice=row.voice,
            verdict=row.verdict,
            error=row.error,
            dedupe_key=row.dedupe_key,
            estimate=row.estimate,
        )
        for row in checked
    ]
    CampaignRow.objects.bulk_create(objects, batch_size=BATCH)
    repeats = [row for row in checked if row.duplicate_of is not None]
    if not repeats:
        return
    by_number = dict(campaign.rows.values_list("number", "pk"))
    duplicates = [
        CampaignRow(pk=by_number[row.number], duplicate_of_id=by_number.get(row.duplicate_of or 0))
        for row in repeats
    ]
    CampaignRow.objects.bulk_update(duplicates, ["duplicate_of"], batch_size=BATCH)
