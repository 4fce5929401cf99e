from django import template
from django.db.models.fields.files import FieldFile
from django.utils.safestring import SafeString

from avatars import badges, credits, demo_logins, scripts
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


@register.filter
def variable_values(job: RenderJob) -> str:
    """The values a render filled its script's variables with, in the script's order (the
    database may keep them in another): "name=Maria · city=Lyon"."""
    values = job.variables or {}
    revision = job.script_revision if job.script_revision_id else None
    in_script = scripts.variables(revision.text) if revision else []
    order = [name for name in in_script if name in values]
    order += sorted(name for name in values if name not in order)
    return " · ".join(f"{name}={values[name]}" for name in order)


@register.filter
def cost_text(job: RenderJob) -> str:
    return credits.cost_text(job)


@register.filter
def is_free(job: RenderJob) -> bool:
    return credits.is_free(job.provider)


@register.inclusion_tag("admin/demo_logins.html")
def demo_logins_hint() -> dict[str, object]:
    """Where the demo logins are printed (development only; never a password)."""
    return {"hint": demo_logins.login_hint()}
