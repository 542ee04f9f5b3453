"""Secret box: reversible, authenticated encryption of Password-field values with the site's key.

Frappe encrypts Password fields so that ``get_password`` can return them; a database dump alone must
not reveal them. Built from the standard library only: HMAC-SHA256 in counter mode as the keystream,
and HMAC-SHA256 over nonce and ciphertext as the tag (encrypt-then-MAC), with separate subkeys
derived from ``encryption_key`` in the site config.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

__all__ = ["SecretBoxError", "decrypt", "encrypt"]

PREFIX = "dfx1:"
NONCE = 16
TAG = 32


class SecretBoxError(ValueError):
    """A value that was not sealed with this key (or was altered)."""


def _subkeys(key: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(("docframe-secret-box:" + key).encode()).digest()
    return hmac.new(root, b"encrypt", hashlib.sha256).digest(), hmac.new(
        root, b"authenticate", hashlib.sha256
    ).digest()


def _keystream(key: bytes, nonce: bytes, size: int) -> bytes:
    blocks = [
        hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest() for i in range((size + 31) // 32)
    ]
    return b"".join(blocks)[:size]


def encrypt(key: str, plaintext: str) -> str:
    """Seal ``plaintext`` with the site key."""
    enc_key, mac_key = _subkeys(key)
    nonce = os.urandom(NONCE)
    data = plaintext.encode("utf-8")
    cipher = bytes(a ^ b for a, b in zip(data, _keystream(enc_key, nonce, len(data)), strict=True))
    tag = hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def decrypt(key: str, sealed: str) -> str:
    """Open a value sealed by :func:`encrypt`; raises :class:`SecretBoxError` if it was not."""
    if not sealed.startswith(PREFIX):
        raise SecretBoxError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :].encode())
    except (ValueError, TypeError) as exc:
        raise SecretBoxError("malformed sealed value") from exc
    if len(raw) < NONCE + TAG:
        raise SecretBoxError("malformed sealed value")
    nonce, cipher, tag = raw[:NONCE], raw[NONCE:-TAG], raw[-TAG:]
    enc_key, mac_key = _subkeys(key)
    if not hmac.compare_digest(tag, hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()):
        raise SecretBoxError("the value was altered or sealed with another key")
    return bytes(a ^ b for a, b in zip(cipher, _keystream(enc_key, nonce, len(cipher)), strict=True)).decode(
        "utf-8"
    )
