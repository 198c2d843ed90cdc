"""The address guard of check requests: which addresses are refused, and that the resolved address
(not the name) decides, including on a redirect."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from grokpipe.api.checks.probe import AddressRefused, ProbeError, Session, refusal
from grokpipe.api.checks.templating import Rendered


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "link-local"),  # AWS, GCP, Azure, OpenStack metadata
        ("169.254.0.1", "link-local"),
        ("169.254.255.255", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("febf:ffff::1", "link-local"),
        ("::ffff:169.254.169.254", "link-local (IPv4-mapped form of 169.254.169.254)"),
        ("::ffff:a9fe:a9fe", "link-local (IPv4-mapped form of 169.254.169.254)"),
        ("::169.254.169.254", "link-local (IPv4-compatible form of 169.254.169.254)"),
        ("::a9fe:a9fe", "link-local (IPv4-compatible form of 169.254.169.254)"),
        ("64:ff9b::a9fe:a9fe", "link-local (NAT64 form of 169.254.169.254)"),
        ("64:ff9b::169.254.169.254", "link-local (NAT64 form of 169.254.169.254)"),
        ("64:ff9b:1::a9fe:a9fe", "link-local (NAT64 form of 169.254.169.254)"),
        ("2002:a9fe:a9fe::1", "link-local (6to4 form of 169.254.169.254)"),
        ("2001:0:4136:e378:8000:ffff:5601:5601", "link-local (Teredo client form of 169.254.169.254)"),
        ("2001:0:a9fe:a9fe:8000:ffff:f7f7:f7f7", "link-local (Teredo server form of 169.254.169.254)"),
        ("::ffff:100.100.100.200", "a cloud metadata address (IPv4-mapped form of 100.100.100.200)"),
        ("64:ff9b::6464:64c8", "a cloud metadata address (NAT64 form of 100.100.100.200)"),
        ("::ffff:127.0.0.1", None),
        ("64:ff9b::5db8:d822", None),  # NAT64 of a public address
        ("2002:5db8:d822::1", None),
        ("::", None),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),  # Alibaba Cloud
        ("127.0.0.1", None),
        ("10.0.0.8", None),
        ("169.253.255.255", None),
        ("169.255.0.0", None),
        ("fec0::1", None),
        ("::1", None),
        ("93.184.216.34", None),
    ],
)
def test_refused_addresses(address: str, reason: str | None) -> None:
    assert refusal(address) == reason


def _get(url: str) -> Rendered:
    return Rendered(method="GET", url=url, headers={}, params={}, json_body=None, body=None)


def test_a_name_resolving_to_metadata_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "metadata.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with Session(allow_link_local=False, max_bytes=1024) as session, pytest.raises(AddressRefused) as caught:
        session.send(_get("http://metadata.example.test/latest/meta-data/"), timeout=1, follow_redirects=False)
    assert caught.value.reason == (
        "refused: metadata.example.test resolves to 169.254.169.254, link-local (checks.allow_link_local is false)"
    )


def test_literal_link_local_addresses_are_refused() -> None:
    with Session(allow_link_local=False, max_bytes=1024) as session:
        for url in ("http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/"):
            with pytest.raises(AddressRefused):
                session.send(_get(url), timeout=1, follow_redirects=False)


def test_allowed_link_local_gets_as_far_as_connecting() -> None:
    with Session(allow_link_local=True, max_bytes=1024) as session, pytest.raises(ProbeError) as caught:
        session.send(_get("http://[fe80::1%lo]:9/"), timeout=0.5, follow_redirects=False)
    assert not isinstance(caught.value, AddressRefused)


def test_only_http_schemes() -> None:
    with Session(allow_link_local=False, max_bytes=1024) as session, pytest.raises(ProbeError) as caught:
        session.send(_get("file:///etc/passwd"), timeout=1, follow_redirects=False)
    assert caught.value.reason == "only http:// and https:// URLs are supported"
