"""X-Forwarded-For is trusted only from configured proxies."""

from __future__ import annotations

from docframe.http.client_ip import TrustedProxies, client_ip


def test_untrusted_peer_cannot_spoof_its_address() -> None:
    assert client_ip("203.0.113.9", "1.2.3.4", TrustedProxies()) == "203.0.113.9"
    assert client_ip("203.0.113.9", "1.2.3.4", TrustedProxies(["10.0.0.0/8"])) == "203.0.113.9"


def test_trusted_proxy_chain_is_walked_from_the_right() -> None:
    trusted = TrustedProxies(["10.0.0.0/8", "192.168.1.5"])
    assert client_ip("10.1.2.3", "198.51.100.7", trusted) == "198.51.100.7"
    # The client prepended a fake hop; the real one is the last untrusted entry.
    assert client_ip("10.1.2.3", "6.6.6.6, 198.51.100.7, 192.168.1.5", trusted) == "198.51.100.7"


def test_garbage_forwarded_values_fall_back_to_the_peer() -> None:
    trusted = TrustedProxies(["127.0.0.1", "not-an-ip"])
    assert client_ip("127.0.0.1", "<script>", trusted) == "127.0.0.1"
    assert client_ip(None, None, trusted) == "127.0.0.1"
    assert len(trusted.networks) == 1
