"""The client address: REMOTE_ADDR unless a trusted proxy header is configured."""

from __future__ import annotations

from django.test import RequestFactory

from jaga.core.clientip import client_ip


def request(remote: str = "10.0.0.2", **headers: str):  # type: ignore[no-untyped-def]
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_configuration_the_header_is_never_read(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = ""
    assert client_ip(request(HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.2"
    assert client_ip(request(HTTP_X_REAL_IP="198.51.100.7")) == "10.0.0.2"


def test_one_proxy_the_rightmost_entry_is_the_client(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.JAGA_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request(HTTP_X_FORWARDED_FOR="198.51.100.7")) == "198.51.100.7"
    # whatever the client wrote itself stands to the left and is ignored
    assert client_ip(request(HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_two_proxies(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.JAGA_TRUSTED_PROXY_COUNT = 2
    xff = "1.2.3.4, 198.51.100.7, 192.0.2.10"
    assert client_ip(request(HTTP_X_FORWARDED_FOR=xff)) == "198.51.100.7"
    # fewer entries than proxies: the request did not come through them
    assert client_ip(request(HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.2"


def test_a_single_value_header_and_ports_and_ipv6(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "X-Real-IP"
    assert client_ip(request(HTTP_X_REAL_IP="198.51.100.7:5555")) == "198.51.100.7"
    assert client_ip(request(HTTP_X_REAL_IP="[2001:db8::1]:443")) == "2001:db8::1"
    assert client_ip(request(HTTP_X_REAL_IP="2001:db8::2")) == "2001:db8::2"


def test_garbage_or_missing_header_falls_back_to_the_peer(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    assert client_ip(request(HTTP_X_FORWARDED_FOR="<script>")) == "10.0.0.2"
    assert client_ip(request()) == "10.0.0.2"
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) == "unknown"


def test_the_header_only_from_the_listed_proxies(settings):
    settings.JAGA_TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.JAGA_TRUSTED_PROXY_IPS = ["10.0.0.0/24"]
    assert client_ip(request("10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "198.51.100.7"
    assert client_ip(request("203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.7")) == "203.0.113.9"
