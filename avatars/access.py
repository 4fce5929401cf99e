"""Who may see, act on and approve what: the one place each rule is decided.

Plain functions over users, teams and jobs (no requests); every view and admin asks them.

- Members of a team see and work on its rows. Auditors see every team's rows and change
  nothing. Superusers see and work in every team and hold every permission.
- Acting on a job (cancel, re-render, review, send a draft on…) takes a member of its team
  who holds the permission and is not a read-only Auditor.
- Campaigns: members who may request renders run their team's campaigns; a campaign's full
  run waits until an Editor who neither created it nor asked for its sample approves the
  sample (`may_approve_sample`).
- Four eyes: nobody approves or turns down a render they requested, superusers included;
  anyone else who may act on it with `approve_renderjob` may, superusers in any team. Nor
  does anyone approve the content of a video they requested (they may still ask for
  changes to it or reject it).
- API keys are their team's, each acting as its own account (`avatars.api.keys`): a member
  of the team holding its scopes' permissions that its creator held, so every rule here
  applies to it. A team's Editors and administrators make and revoke its keys.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from avatars.models import Avatar, Campaign, JobStatus, RenderJob, Team
from avatars.roles import AUDITOR

# Whoever is behind a request: a person, or AnonymousUser before logging in.
AnyUser = User | AnonymousUser
M = TypeVar("M", bound=Model)
T = TypeVar("T")
# A rule on what a user may do with a job, as the may_… functions below.
JobRule = Callable[[AnyUser, RenderJob], bool]
View = Callable[..., HttpResponseBase]

APPROVE = "avatars.approve_renderjob"
CHANGE_AVATAR = "avatars.change_avatar"
CANCEL = "avatars.cancel_renderjob"
REQUEST = "avatars.add_renderjob"
RETRY = "avatars.retry_renderjob"
REVIEW = "avatars.review_renderjob"
ADD_SCRIPT = "avatars.add_script"
RUN_CAMPAIGN = "avatars.add_campaign"
APPROVE_CAMPAIGN = "avatars.approve_campaign"
CHANGE_SCRIPT = "avatars.change_script"
ADD_API_KEY = "avatars.add_apikey"
# What the person is told when the four-eyes rule stops them.
OWN_REQUEST = "Another Editor must approve or turn down your own request."
OWN_VIDEO = "Another Editor must approve a video you asked for."

_UNSET: Any = object()


def _per_user(user: AnyUser, name: str, work_out: Callable[[], T]) -> T:
    """An answer kept on the user object: the admin and the pages ask several times per
    request, and each request has its own user object, so one query per request is enough."""
    kept = getattr(user, name, _UNSET)
    if kept is _UNSET:
        kept = work_out()
        setattr(user, name, kept)
    return kept


# --- teams -------------------------------------------------------------------------------------


def is_auditor(user: AnyUser) -> bool:
    if not user.is_authenticated:
        return False
    return _per_user(user, "_is_auditor", lambda: user.groups.filter(name=AUDITOR).exists())


def is_read_only(user: AnyUser) -> bool:
    """Auditors change nothing (a superuser in the Auditor group still administers)."""
    return not is_superuser(user) and is_auditor(user)


def is_superuser(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active and user.is_superuser


def sees_all_teams(user: AnyUser) -> bool:
    """Superusers and Auditors see every team's rows."""
    return is_superuser(user) or (user.is_active and is_auditor(user))


def member_teams(user: AnyUser) -> QuerySet[Team]:
    """The teams a user may work in (create and change rows of)."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(members=user)


def member_team_ids(user: AnyUser) -> list[int]:
    """The ids of member_teams, read once per request's user."""
    return _per_user(
        user, "_team_ids", lambda: list(member_teams(user).values_list("pk", flat=True))
    )


def works_in(user: AnyUser, team_id: int) -> bool:
    """Whether the user is a member of the team (superusers work in every team)."""
    return is_superuser(user) or team_id in member_team_ids(user)


def works_in_one_team(user: AnyUser) -> bool:
    """Whether every row the user sees belongs to one team (no need to show which)."""
    if sees_all_teams(user):
        return False
    return _per_user(user, "_team_count", lambda: member_teams(user).count()) <= 1


def only_team(user: AnyUser) -> Team | None:
    """The team to pre-select on a form: the user's one team, if they work in exactly one."""

    def work_out() -> Team | None:
        teams = list(member_teams(user)[:2])
        return teams[0] if len(teams) == 1 else None

    return _per_user(user, "_only_team", work_out)


def scope_to_user(queryset: QuerySet[M], user: AnyUser, team_path: str = "team") -> QuerySet[M]:
    """Only the rows of teams the user can see."""
    if sees_all_teams(user):
        return queryset
    return queryset.filter(**{f"{team_path}__in": member_teams(user)})


def scope_to_user_by_id(
    queryset: QuerySet[M], user: AnyUser, team_path: str = "team"
) -> QuerySet[M]:
    """scope_to_user with the team ids read first (once per request's user).

    For the big lists: against a literal list of ids the planner walks an index on
    (team, created_at) and stops after a page, where a subquery can lead it to join the
    whole table and sort it.
    """
    if sees_all_teams(user):
        return queryset
    return queryset.filter(**{f"{team_path}__in": member_team_ids(user)})


def scope_to_member_teams(queryset: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """Only the rows of teams the user works in: what they may pick and write into."""
    return queryset.filter(team__in=member_teams(user))


# --- scripts -----------------------------------------------------------------------------------


def script_teams(user: AnyUser) -> QuerySet[Team]:
    """The teams the user may write new scripts in (and so copy scripts into)."""
    return member_teams(user) if may(user, ADD_SCRIPT) else Team.objects.none()


def may_add_script(user: AnyUser, team_id: int | None = None) -> bool:
    """Write a new script: in `team_id`, or in any team the user works in."""
    if not may(user, ADD_SCRIPT):
        return False
    return works_in(user, team_id) if team_id is not None else bool(member_team_ids(user))


def may_change_script(user: AnyUser, team_id: int) -> bool:
    """Edit, archive and unarchive a script of the team, and hear its unsaved text."""
    return may(user, CHANGE_SCRIPT) and works_in(user, team_id)


def may_write_scripts(user: AnyUser) -> bool:
    """Write or edit some team's scripts: what checking and hearing unsaved text takes."""
    return may_add_script(user) or (may(user, CHANGE_SCRIPT) and bool(member_team_ids(user)))


# --- jobs --------------------------------------------------------------------------------------


def visible_jobs(user: AnyUser) -> QuerySet[RenderJob]:
    """The render jobs a user may see: their teams' (every team's for Auditors, superusers)."""
    return scope_to_user(RenderJob.objects.all(), user)


def may_see(user: AnyUser, job: RenderJob) -> bool:
    """The one-job answer of visible_jobs."""
    return sees_all_teams(user) or works_in(user, job.team_id)


def may(user: AnyUser, permission: str) -> bool:
    """Whether the user holds the permission ("avatars.cancel_renderjob") and is not a
    read-only Auditor: the first question, before any row is looked up."""
    return user.has_perm(permission) and not is_read_only(user)


def page_for(rule: Callable[[AnyUser], bool]) -> Callable[[View], View]:
    """A view only for people `rule` lets in (the nav asks the same rule); else 403."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not rule(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return cast(View, guarded)

    return decorate


def may_request_renders(user: AnyUser) -> bool:
    """Open the New render page and send a render."""
    return may(user, REQUEST)


def may_open_review_desk(user: AnyUser) -> bool:
    """Open the review desk (which renders are decided there is may_review's)."""
    return may(user, REVIEW)


def may_read_credit_reports(user: AnyUser) -> bool:
    """The credit reports at /credits/ are every team's money: Auditors and superusers."""
    return sees_all_teams(user)


def may_act(user: AnyUser, job: RenderJob, permission: str) -> bool:
    """A member of the job's team who holds the permission and is not a read-only Auditor."""
    return may(user, permission) and works_in(user, job.team_id)


def may_approve(user: AnyUser, job: RenderJob) -> bool:
    """Approve or turn down a render waiting for approval: never one's own (four eyes).

    Superusers are held to it too: the approval exists so that spending over a team's
    threshold is seen by a second person, and the audit log must be able to show that.
    """
    return may_act(user, job, APPROVE) and not requested_by(user, job)


def requested_by(user: AnyUser, job: RenderJob) -> bool:
    """Whether the user asked for the render: what the four-eyes rules turn on."""
    return job.requested_by_id is not None and job.requested_by_id == user.pk


def may_cancel(user: AnyUser, job: RenderJob) -> bool:
    return may_act(user, job, CANCEL)


def may_retry(user: AnyUser, job: RenderJob) -> bool:
    """Render the same request again, or have the job checked with its provider now."""
    return may_act(user, job, RETRY)


def may_rerender(user: AnyUser, job: RenderJob) -> bool:
    """Request a new version of the video with any input changed."""
    return may_act(user, job, REQUEST) and may_act(user, job, RETRY)


def may_review(user: AnyUser, job: RenderJob) -> bool:
    """Decide on a finished video (ask for changes, reject), share it and revoke its links,
    one's own video included; approving its content is `may_approve_content`."""
    return may_act(user, job, REVIEW)


def may_approve_content(user: AnyUser, job: RenderJob) -> bool:
    """Approve a finished video: a reviewer who did not request it (four eyes, superusers
    included), so every approved video has been watched by a second person."""
    return may_review(user, job) and not requested_by(user, job)


def may_send_on(user: AnyUser, job: RenderJob) -> bool:
    """Send a finished draft on to a paid provider."""
    return may_act(user, job, REQUEST)


def may_comment(user: AnyUser, job: RenderJob) -> bool:
    """Members take part in their team's conversations; Auditors read them only."""
    return not is_read_only(user) and works_in(user, job.team_id)


def _holders(permission: str, team_id: int) -> QuerySet[User]:
    """The team's active members who hold `permission` (superusers hold every one)."""
    app, codename = permission.split(".")
    holds = Q(is_superuser=True)
    for via in ("groups__permissions", "user_permissions"):
        holds |= Q(**{f"{via}__codename": codename, f"{via}__content_type__app_label": app})
    return User.objects.filter(holds, teams=team_id, is_active=True)


def approvers(job: RenderJob) -> QuerySet[User]:
    """Who is asked to approve a render over its team's threshold: the team's active members
    who hold the approval permission, never the person who requested it (four eyes)."""
    found = _holders(APPROVE, job.team_id)
    if job.requested_by_id is not None:
        found = found.exclude(pk=job.requested_by_id)
    return found.distinct()


# --- campaigns ---------------------------------------------------------------------------------


def visible_campaigns(user: AnyUser) -> QuerySet[Campaign]:
    """The campaigns a user may see: their teams' (every team's for Auditors, superusers)."""
    return scope_to_user(Campaign.objects.all(), user)


def may_run_campaigns(user: AnyUser) -> bool:
    """Upload a list of people and sample, run, pause, resume, cancel or retry campaigns."""
    return may(user, RUN_CAMPAIGN)


def may_manage_campaign(user: AnyUser, campaign: Campaign) -> bool:
    return may_run_campaigns(user) and works_in(user, campaign.team_id)


def may_approve_sample(user: AnyUser, campaign: Campaign) -> bool:
    """Let a campaign's full run go ahead on its sample: an Editor of its team who neither
    created the campaign nor asked for its sample (four eyes, superusers included, as for
    renders)."""
    if not (may(user, APPROVE_CAMPAIGN) and works_in(user, campaign.team_id)):
        return False
    if campaign.created_by_id is not None and campaign.created_by_id == user.pk:
        return False
    return not RenderJob.objects.filter(
        campaign_row__campaign=campaign, campaign_row__is_sample=True, requested_by=user.pk
    ).exists()


def campaigns_to_approve(user: AnyUser) -> QuerySet[Campaign]:
    """The campaigns whose sample the user may approve, in their state or not: the rule of
    may_approve_sample as one query, for lists."""
    if not may(user, APPROVE_CAMPAIGN):
        return Campaign.objects.none()
    asked = RenderJob.objects.filter(
        campaign_row__campaign=OuterRef("pk"), campaign_row__is_sample=True, requested_by=user.pk
    )
    mine = Campaign.objects.filter(team__in=member_team_ids(user)).exclude(created_by=user.pk)
    return mine.exclude(Exists(asked))


# --- avatars -----------------------------------------------------------------------------------


def visible_avatars(user: AnyUser) -> QuerySet[Avatar]:
    """The avatars a user may see: their teams' (every team's for Auditors, superusers)."""
    return scope_to_user(Avatar.objects.all(), user)


def may_change_avatar(user: AnyUser, avatar: Avatar) -> bool:
    """Edit an avatar's consent, tags and archiving: a member of its team with the
    permission, never a read-only Auditor."""
    return may(user, CHANGE_AVATAR) and works_in(user, avatar.team_id)


def may_request_with(user: AnyUser, avatar: Avatar) -> bool:
    """Request renders of the avatar (whether its consent allows is the render flow's to say)."""
    return may(user, REQUEST) and works_in(user, avatar.team_id)


def may_withdraw_consent(user: AnyUser, avatar: Avatar) -> bool:
    """Record that the person withdrew their consent. Whoever manages the avatar may, though
    it cancels renders and revokes links they could not touch one by one: the person's word
    must be acted on by whoever hears it, at once."""
    return may_change_avatar(user, avatar) and avatar.consent_withdrawn_at is None


def consent_keepers(team_id: int) -> QuerySet[User]:
    """Who is reminded that an avatar's consent is ending: the team's Editors (those who
    review its videos), superusers in the team included."""
    return _holders(REVIEW, team_id).distinct()


@dataclass(frozen=True)
class JobActions:
    """What a job's page offers the user: the rules above where the job's state allows."""

    cancel: bool
    retry: bool
    reconcile: bool
    rerender: bool
    approve: bool
    review: bool
    approve_content: bool
    share_links: bool
    comment: bool
    send_on: bool


def job_actions(user: AnyUser, job: RenderJob) -> JobActions:
    return JobActions(
        cancel=not job.is_final and may_cancel(user, job),
        retry=job.status in (JobStatus.FAILED, JobStatus.CANCELED) and may_retry(user, job),
        reconcile=not job.is_final and may_retry(user, job),
        rerender=job.is_final and may_rerender(user, job),
        approve=job.status == JobStatus.AWAITING_APPROVAL and may_approve(user, job),
        review=job.status == JobStatus.SUCCEEDED and not job.is_draft and may_review(user, job),
        approve_content=job.status == JobStatus.SUCCEEDED
        and not job.is_draft
        and may_approve_content(user, job),
        share_links=may_review(user, job),
        comment=may_comment(user, job),
        send_on=job.is_finished_draft and may_send_on(user, job),
    )


# --- API keys ----------------------------------------------------------------------------------


def may_manage_api_keys(user: AnyUser, team_id: int) -> bool:
    """Make and revoke a team's API keys and webhooks: its Editors and administrators."""
    return works_in(user, team_id) and may(user, ADD_API_KEY)
