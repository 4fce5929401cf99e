"""Whether a page offers "New script": `{% may_add_script as offered %}` (access decides)."""

from typing import Any

from django import template

from avatars import access

register = template.Library()


@register.simple_tag(takes_context=True)
def may_add_script(context: dict[str, Any]) -> bool:
    return access.may_add_script(context["request"].user)
