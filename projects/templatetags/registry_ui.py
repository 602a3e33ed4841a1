"""Small template helpers for the web UI."""

from django import template

register = template.Library()


@register.filter
def last_segment(full_path: str) -> str:
    """`a/b/c` → `c`, for breadcrumbs."""
    return full_path.rsplit("/", 1)[-1]
