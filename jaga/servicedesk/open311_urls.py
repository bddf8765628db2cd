"""Open311 GeoReport v2, mounted at /open311/v2/ (formats as file suffixes: .xml or .json)."""

from __future__ import annotations

from django.urls import re_path

from jaga.servicedesk import open311

FMT = r"\.(?P<fmt>xml|json)"
app_name = "open311"
urlpatterns = [
    re_path(rf"^discovery{FMT}$", open311.discovery, name="discovery"),
    re_path(rf"^services{FMT}$", open311.service_list, name="services"),
    re_path(rf"^services/(?P<code>[-\w]+){FMT}$", open311.service_definition, name="service"),
    re_path(rf"^requests{FMT}$", open311.requests, name="requests"),
    re_path(rf"^requests/(?P<ticket>[-\w]+){FMT}$", open311.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[-\w]+){FMT}$", open311.token, name="token"),
]
