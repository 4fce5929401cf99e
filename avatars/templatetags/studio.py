from django import template
from django.db.models.fields.files import FieldFile
from django.utils.safestring import SafeString

from avatars import badges
from avatars.media_urls import media_url
from avatars.models import Avatar, RenderJob

register = template.Library()


@register.filter
def signed(file: FieldFile) -> str:
    """An expiring link to a stored file."""
    return media_url(file)


@register.filter
def consent_badge(avatar: Avatar) -> SafeString:
    return badges.consent_badge(avatar)


@register.filter
def status_badge(job: RenderJob) -> SafeString:
    return badges.status_badge(job)


@register.filter
def review_badge(job: RenderJob) -> SafeString:
    return badges.review_badge(job)
