"""Whether pages offer the offline speech preview: `{% speech_preview_offered as offered %}`."""

from django import template

from avatars import previews

register = template.Library()


@register.simple_tag
def speech_preview_offered() -> bool:
    return previews.available()
