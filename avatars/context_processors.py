from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count for the studio's badge, counted only by pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from avatars.review import unread_count

    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}


def studio_nav(request: HttpRequest) -> dict[str, object]:
    """The studio's sections this user may open, worked out only by pages that show them."""
    if getattr(request, "user", None) is None:
        return {}
    from avatars.nav import studio_links

    return {"studio_nav": SimpleLazyObject(lambda: studio_links(request))}
