"""Who sees which rows: the one place that decides team visibility."""

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet

from avatars.models import Team
from avatars.roles import AUDITOR

User = AbstractBaseUser | AnonymousUser
M = TypeVar("M", bound=Model)


def is_auditor(user: User) -> bool:
    if not user.is_authenticated:
        return False
    # Asked several times per request by the admin; one query per user object is enough.
    cached = getattr(user, "_is_auditor", None)
    if cached is None:
        cached = user._is_auditor = user.groups.filter(name=AUDITOR).exists()
    return cached


def sees_all_teams(user: User) -> bool:
    """Superusers and Auditors see every team's rows."""
    if not user.is_active:
        return False
    return user.is_superuser or is_auditor(user)


def member_teams(user: User) -> QuerySet[Team]:
    """The teams a user may work in (create and change rows of)."""
    if not user.is_active:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(members=user)


def works_in_one_team(user: User) -> bool:
    """Whether every row the user sees belongs to one team (no need to show which)."""
    if sees_all_teams(user):
        return False
    cached = getattr(user, "_team_count", None)
    if cached is None:
        cached = user._team_count = member_teams(user).count()
    return cached <= 1


def scope_to_user(queryset: QuerySet[M], user: User, team_path: str = "team") -> QuerySet[M]:
    """Only the rows of teams the user can see."""
    if sees_all_teams(user):
        return queryset
    return queryset.filter(**{f"{team_path}__in": member_teams(user)})


def scope_to_user_by_id(queryset: QuerySet[M], user: User, team_path: str = "team") -> QuerySet[M]:
    """scope_to_user with the team ids read first (once per request's user).

    For the big lists: against a literal list of ids the planner walks an index on
    (team, created_at) and stops after a page, where a subquery can lead it to join the
    whole table and sort it.
    """
    if sees_all_teams(user):
        return queryset
    ids = getattr(user, "_team_ids", None)
    if ids is None:
        ids = user._team_ids = list(member_teams(user).values_list("pk", flat=True))
    return queryset.filter(**{f"{team_path}__in": ids})
