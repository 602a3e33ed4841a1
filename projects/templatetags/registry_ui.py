"""Small template helpers for the web UI."""

import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def last_segment(full_path: str) -> str:
    """`a/b/c` → `c`, for breadcrumbs."""
    return full_path.rsplit("/", 1)[-1]


@register.filter
def ago(moment: datetime.datetime | None) -> str:
    """`3 hours ago`; under a minute (or a clock a little ahead) `just now`, not `0 minutes ago`."""
    if moment is None:
        return ""
    if timezone.now() - moment < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment)} ago"
