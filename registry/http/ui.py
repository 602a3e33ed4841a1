"""What every server-rendered page shares: pagination, the search box, the site's address."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PER_PAGE = 20


def paginate(request: HttpRequest, items: Any, per_page: int = PER_PAGE) -> Page:
    """The page of `items` that `?page=` asks for; a bad number gives the nearest page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def search_term(request: HttpRequest) -> str:
    return request.GET.get("search", "").strip()[:100]
