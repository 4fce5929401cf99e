from django import template
from django.db.models.fields.files import FieldFile
from django.utils.safestring import SafeString

from avatars import badges, demo_logins
from avatars.media_urls import media_url
from avatars.models import Avatar, RenderJob

register = template.Library()


@register.filter
def signed(file: FieldFile) -> str:
    """An expiring link to a stored file."""
    return media_url(file)


@register.simple_tag
def download_url(file: FieldFile, *name: object) -> str:
    """An expiring link that saves a stored file under the name its parts spell."""
    return media_url(file, download="".join(str(part) for part in name))


@register.filter
def consent_badge(avatar: Avatar) -> SafeString:
    return badges.consent_badge(avatar)


@register.filter
def status_badge(job: RenderJob) -> SafeString:
    return badges.status_badge(job)


@register.filter
def review_badge(job: RenderJob) -> SafeString:
    return badges.review_badge(job)


@register.inclusion_tag("admin/demo_logins.html")
def demo_logins_hint() -> dict[str, object]:
    """Where the demo logins are printed (development only; never a password)."""
    return {"hint": demo_logins.login_hint()}
