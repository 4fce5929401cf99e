"""Who may see, act on, approve and review a render: the rules of avatars/access.py.

The cast of conftest, plus gus, an Editor in Globex (every permission bob holds, in the other
team) and erin, a second Editor in Acme:
- alice (Marketing, Acme) sees her team's renders and requests them; she acts with no
  Editor permission, approves nothing and reviews nothing.
- bob (Editor, Acme) acts on, approves and reviews Acme's renders, but never approves or turns
  down a render he requested himself, nor approves the video it made (four eyes); he may ask
  for changes to his own finished video or reject it.
- charlie (Marketing, Globex) and gus (Editor, Globex) are the other team: Acme's renders do
  not exist for them, whoever asked for them.
- audrey (Auditor, in no team) sees every team's renders and changes nothing.
- root (superuser) sees and works in every team and approves anyone's render but his own.

The rules are plain functions over users and jobs, so most cases use unsaved jobs; the last
tests check that the admin and the studio give the same answers over HTTP.
"""

from dataclasses import dataclass, fields
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avatars import access, roles
from avatars.models import JobStatus, RenderJob, Team

pytestmark = pytest.mark.django_db

ROLES = ["alice", "bob", "charlie", "gus", "audrey", "root"]


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def erin(user_factory, acme) -> User:
    return user_factory("erin", roles.EDITOR, acme)


@pytest.fixture
def people(alice, bob, charlie, gus, audrey, root) -> dict[str, User]:
    return {user.username: user for user in (alice, bob, charlie, gus, audrey, root)}


def job_in(team: Team, requested_by: User | None, status: str = JobStatus.AWAITING_APPROVAL):
    """An unsaved job: the rules read only its team, its requester and its state."""
    return RenderJob(team=team, requested_by=requested_by, status=status)


@dataclass(frozen=True)
class Answers:
    see: bool
    act: bool  # cancel it: an Editor's permission, decided as every may_act rule is
    approve: bool
    review: bool


# Whose request the job is: the user's own, or erin's (an Editor of Acme).
TEAMS, WHOSE = ("Acme", "Globex"), ("own", "other")
# What each role may do with a job, per team and whose request it is.
TABLE = {
    #          Acme: own, other      Globex: own, other
    "alice": ("see", "see", "", ""),
    "bob": ("see act review", "see act approve review", "", ""),
    "charlie": ("", "", "see", "see"),
    "gus": ("", "", "see act review", "see act approve review"),
    "audrey": ("see", "see", "see", "see"),
    "root": ("see act review", "see act approve review") * 2,  # both teams alike
}


def expected(role: str, team: str, whose: str) -> Answers:
    allowed = TABLE[role][2 * TEAMS.index(team) + WHOSE.index(whose)].split()
    return Answers(*(field.name in allowed for field in fields(Answers)))


CASES = [
    pytest.param(role, team, whose, id=f"{role}-{team}-{whose}-request")
    for role in TABLE
    for team in TEAMS
    for whose in WHOSE
]


def test_the_table_has_every_role_and_only_known_answers():
    names = {field.name for field in fields(Answers)}

    assert set(TABLE) == set(ROLES)
    assert all(len(cells) == len(TEAMS) * len(WHOSE) for cells in TABLE.values())
    assert {word for cells in TABLE.values() for cell in cells for word in cell.split()} == names


@pytest.mark.parametrize(("role", "team", "whose"), CASES)
def test_each_role_sees_acts_approves_and_reviews_as_the_table_says(
    role, team, whose, people, acme, globex, erin
):
    user = people[role]
    job = job_in(acme if team == "Acme" else globex, user if whose == "own" else erin)

    answers = Answers(
        see=access.may_see(user, job),
        act=access.may_act(user, job, access.CANCEL),
        approve=access.may_approve(user, job),
        review=access.may_review(user, job),
    )

    assert answers == expected(role, team, whose)


@pytest.mark.parametrize("role", ROLES)
def test_the_visible_jobs_are_the_ones_a_user_may_see(role, people, acme, globex, asset_factory):
    user = people[role]
    jobs = {team.name: asset_factory.job(team, requested_by=None) for team in (acme, globex)}

    visible = set(access.visible_jobs(user))

    assert visible == {job for job in jobs.values() if access.may_see(user, job)}
    assert visible == {job for team, job in jobs.items() if expected(role, team, "other").see}


def test_nobody_approves_their_own_request_not_even_a_superuser(bob, root, acme, globex):
    for user in (bob, root):
        for team in (acme, globex):
            assert not access.may_approve(user, job_in(team, user))


def test_a_superuser_approves_anyone_elses_request_in_any_team(root, alice, charlie, acme, globex):
    assert access.may_approve(root, job_in(acme, alice))
    assert access.may_approve(root, job_in(globex, charlie))
    assert access.may_approve(root, job_in(acme, None)), "a render the system asked for"


def test_a_second_editor_is_the_four_eyes_for_an_editors_request(bob, erin, acme):
    job = job_in(acme, bob)

    assert not access.may_approve(bob, job)
    assert access.may_approve(erin, job)


def test_nobody_approves_the_content_of_their_own_render_but_may_send_it_back(
    bob, erin, root, alice, acme
):
    for user in (bob, root):
        own = job_in(acme, user, JobStatus.SUCCEEDED)
        assert access.may_review(user, own) and not access.may_approve_content(user, own)
        assert not access.job_actions(user, own).approve_content
    assert access.may_approve_content(erin, job_in(acme, bob, JobStatus.SUCCEEDED))
    assert access.may_approve_content(bob, job_in(acme, None, JobStatus.SUCCEEDED))
    assert not access.may_approve_content(alice, job_in(acme, bob, JobStatus.SUCCEEDED))


def test_the_approvers_asked_are_the_teams_members_who_may_approve_but_not_the_requester(
    alice, bob, charlie, gus, audrey, root, erin, acme, user_factory
):
    outsider_root = user_factory("olga")  # a superuser outside the team
    acme.members.add(root, audrey)

    asked = set(access.approvers(job_in(acme, erin)))

    assert asked == {bob, root}, "Editors and superusers of Acme; never erin, who asked"
    assert outsider_root not in asked and charlie not in asked and gus not in asked
    assert alice not in asked and audrey not in asked, "no approval permission"
    assert set(access.approvers(job_in(acme, None))) == {bob, root, erin}
    assert all(access.may_approve(user, job_in(acme, erin)) for user in asked)


def test_an_auditor_who_is_also_a_member_still_changes_nothing(audrey, acme, alice):
    acme.members.add(audrey)
    job = job_in(acme, alice)

    assert access.may_see(audrey, job) and access.works_in(audrey, acme.pk)
    assert access.is_read_only(audrey)
    assert not access.may_comment(audrey, job)
    assert not access.may(audrey, "avatars.view_renderjob"), "read-only: no permission acts"


def test_a_superuser_in_the_auditor_group_still_administers(root, acme, alice):
    root.groups.add(Group.objects.get(name=roles.AUDITOR))

    assert not access.is_read_only(root)
    assert access.may_cancel(root, job_in(acme, alice))


def test_an_inactive_user_or_a_visitor_may_do_nothing(bob, acme, alice):
    from django.contrib.auth.models import AnonymousUser

    bob.is_active = False
    job = job_in(acme, alice)

    for user in (bob, AnonymousUser()):
        assert not access.may_see(user, job)
        assert not access.works_in(user, acme.pk)
        assert not access.may_act(user, job, access.CANCEL)
        assert not access.may_comment(user, job)
        assert access.only_team(user) is None
        assert not access.visible_jobs(user).exists()


@pytest.mark.parametrize(
    ("role", "requests", "reviews", "credits"),
    [
        ("alice", True, False, False),
        ("bob", True, True, False),
        ("charlie", True, False, False),
        ("audrey", False, False, True),
        ("root", True, True, True),
    ],
)
def test_the_sections_a_role_may_open(role, requests, reviews, credits, people):
    user = people[role]

    assert access.may_request_renders(user) is requests
    assert access.may_open_review_desk(user) is reviews
    assert access.may_read_credit_reports(user) is credits


def test_an_auditor_who_also_holds_marketing_requests_nothing(audrey):
    audrey.groups.add(Group.objects.get(name=roles.MARKETING))
    audrey = User.objects.get(pk=audrey.pk)

    assert not access.may_request_renders(audrey)
    assert access.may_read_credit_reports(audrey)


def test_a_visitor_opens_no_section():
    from django.contrib.auth.models import AnonymousUser

    visitor = AnonymousUser()
    assert not access.may_request_renders(visitor)
    assert not access.may_open_review_desk(visitor)
    assert not access.may_read_credit_reports(visitor)


def test_members_comment_on_their_teams_renders_and_nobody_else_does(people, acme, alice):
    job = job_in(acme, alice)

    commenters = {role for role, user in people.items() if access.may_comment(user, job)}

    assert commenters == {"alice", "bob", "root"}


def test_rerendering_takes_both_requesting_and_retrying(alice, bob, acme):
    job = job_in(acme, alice, JobStatus.SUCCEEDED)

    assert not access.may_rerender(alice, job), "alice may request renders but not retry"
    assert access.may_rerender(bob, job)
    assert access.may_send_on(alice, job)


def test_the_only_team_is_preselected_only_for_one_team_members(alice, audrey, root, acme, globex):
    acme_and_globex = User.objects.create_user("both", is_staff=True)
    acme.members.add(acme_and_globex)
    globex.members.add(acme_and_globex)

    assert access.only_team(alice) == acme
    assert access.only_team(acme_and_globex) is None
    assert access.only_team(audrey) is None, "an Auditor works in no team"
    assert access.only_team(root) is None, "a superuser works in both teams"


def test_a_superuser_has_the_only_team_preselected_when_there_is_one(root, acme):
    assert access.only_team(root) == acme


def test_membership_is_read_once_per_request_user(alice, acme, globex):
    jobs = [job_in(team, alice) for team in (acme, globex) for _ in range(5)]

    with CaptureQueriesContext(connection) as captured:
        answers = [access.works_in(alice, job.team_id) for job in jobs]
        answers += [access.may_see(alice, job) for job in jobs]

    assert answers == [True] * 5 + [False] * 5 + [True] * 5 + [False] * 5
    assert len(captured) == 2, "one for the Auditor group, one for the team ids"


# --- what a job's page offers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (JobStatus.AWAITING_APPROVAL, {"cancel", "reconcile", "approve"}),
        (JobStatus.PROCESSING, {"cancel", "reconcile"}),
        (JobStatus.SUCCEEDED, {"rerender", "review", "approve_content"}),
        (JobStatus.FAILED, {"retry", "rerender"}),
        (JobStatus.CANCELED, {"retry", "rerender"}),
    ],
)
def test_a_job_page_offers_an_editor_what_the_jobs_state_allows(bob, alice, acme, status, offered):
    actions = access.job_actions(bob, job_in(acme, alice, status))

    on = {name for name, value in vars(actions).items() if value}
    assert on == offered | {"comment", "share_links"}


def test_a_finished_draft_is_sent_on_not_reviewed(alice, acme):
    draft = job_in(acme, alice, JobStatus.SUCCEEDED)
    draft.is_draft = True

    actions = access.job_actions(alice, draft)

    assert actions.send_on and not actions.review and not actions.approve


def test_an_auditor_is_offered_nothing(audrey, alice, acme):
    actions = access.job_actions(audrey, job_in(acme, alice))

    assert not any(vars(actions).values())


# --- the admin and the studio agree ------------------------------------------------------------


@pytest.fixture
def roots_own(root, acme, asset_factory) -> RenderJob:
    """A render root asked for that is over Acme's threshold."""
    acme.approval_threshold = Decimal("0.01")
    acme.save()
    return asset_factory.job(
        acme, JobStatus.AWAITING_APPROVAL, requested_by=root, estimated_cost=Decimal("1")
    )


REFUSALS = {
    "admin approve": lambda job: (f"/admin/avatars/renderjob/{job.pk}/approve/", {}),
    "admin reject": lambda job: (f"/admin/avatars/renderjob/{job.pk}/reject/", {}),
    "studio approve": lambda job: (f"/studio/renders/{job.pk}/approve/", {}),
    "studio reject": lambda job: (
        f"/studio/renders/{job.pk}/approve/",
        {"decision": "reject", "reason": "No."},
    ),
}


@pytest.mark.parametrize("where", REFUSALS)
def test_the_admin_and_the_studio_refuse_a_superusers_own_render_with_the_same_words(
    where, roots_own, root, login
):
    url, data = REFUSALS[where](roots_own)

    response = login(root).post(url, data)

    assert response.status_code == 403
    assert access.OWN_REQUEST in response.content.decode()
    assert access.OWN_REQUEST == "Another Editor must approve or turn down your own request."
    roots_own.refresh_from_db()
    assert (roots_own.status, roots_own.approved_by) == (JobStatus.AWAITING_APPROVAL, None)
    assert not roots_own.events.exists()


def test_neither_page_offers_a_superuser_the_approval_of_his_own_render(roots_own, root, login):
    client = login(root)

    admin_page = client.get(f"/admin/avatars/renderjob/{roots_own.pk}/change/").content.decode()
    studio_page = client.get(f"/studio/renders/{roots_own.pk}/").content.decode()

    assert f"/admin/avatars/renderjob/{roots_own.pk}/approve/" not in admin_page
    assert "Approve the spend" not in studio_page and "Turn it down" not in studio_page


def test_the_admins_bulk_approval_passes_over_a_superusers_own_render(roots_own, root, login):
    response = login(root).post(
        "/admin/avatars/renderjob/",
        {"action": "approve_selected", "_selected_action": [roots_own.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert f"Approved 0 render(s). 1 you requested yourself: {access.OWN_REQUEST}" in page
    roots_own.refresh_from_db()
    assert roots_own.status == JobStatus.AWAITING_APPROVAL


@pytest.mark.parametrize("approver", ["bob", "another superuser"])
def test_another_editor_or_superuser_approves_the_superusers_render(
    roots_own, approver, request, user_factory, login
):
    who = request.getfixturevalue("bob") if approver == "bob" else user_factory("root2")

    response = login(who).post(f"/studio/renders/{roots_own.pk}/approve/")

    assert response.status_code == 302
    roots_own.refresh_from_db()
    assert (roots_own.status, roots_own.approved_by) == (JobStatus.QUEUED, who)
