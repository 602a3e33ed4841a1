"""Our routes and the trivial view of `benchmarks.ceiling`."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from registry.urls import urlpatterns as registry_urlpatterns


def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [path("api/v4/-/bench/ceiling", ceiling), *registry_urlpatterns]
