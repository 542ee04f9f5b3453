"""The secret box seals Password-field values with Fernet, as Frappe does, and rotates keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

import pytest
from cryptography.fernet import Fernet

from docframe.secret_box import (
    InvalidEncryptionKey,
    SecretBox,
    SecretBoxError,
    generate_key,
    is_valid_key,
)


def legacy_seal(key: str, plaintext: str) -> str:
    """A value sealed the way docframe's former stdlib cipher did (to test its migration)."""
    root = hashlib.sha256(("docframe-secret-box:" + key).encode()).digest()
    enc_key = hmac.new(root, b"encrypt", hashlib.sha256).digest()
    mac_key = hmac.new(root, b"authenticate", hashlib.sha256).digest()
    nonce, data = os.urandom(16), plaintext.encode()
    stream = b"".join(
        hmac.new(enc_key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest()
        for i in range(len(data) // 32 + 1)
    )
    cipher = bytes(a ^ b for a, b in zip(data, stream, strict=False))
    tag = hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()
    return "dfx1:" + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def test_sealed_values_are_plain_fernet_tokens_frappe_can_read_and_the_other_way_round() -> None:
    key = generate_key()
    box = SecretBox(key)
    sealed = box.seal("s3cret pässword")
    assert "s3cret" not in sealed and sealed.startswith("gAAAAA")
    # Frappe's decrypt: Fernet(encryption_key).decrypt(token)
    assert Fernet(key.encode()).decrypt(sealed.encode()).decode() == "s3cret pässword"
    # Frappe's encrypt: Fernet(encryption_key).encrypt(text), stored as text
    from_frappe = Fernet(key.encode()).encrypt("ünïcode value".encode()).decode()
    assert box.open(from_frappe) == "ünïcode value"
    assert box.seal("same") != box.seal("same")


def test_tampering_another_key_or_plain_text_is_refused() -> None:
    box = SecretBox(generate_key())
    sealed = box.seal("value")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    for bad in (flipped, SecretBox(generate_key()).seal("value"), "plain text", "gAAAAA", "ünï"):
        with pytest.raises(SecretBoxError):
            box.open(bad)


@pytest.mark.parametrize(
    "key",
    [
        "",
        "test-key",
        "Qk8x" * 10 + "abc",  # 43 characters, like the former secrets.token_urlsafe(32) keys
        "ZG9jZnJhbWUgdGVzdHM6IG5vdCBhIHNlY3JldCBrZXk",  # a valid key without its padding
        base64.urlsafe_b64encode(b"x" * 31).decode(),
        "é" * 44,
    ],
)
def test_empty_or_malformed_keys_are_refused_with_a_clear_message(key: str) -> None:
    assert not is_valid_key(key)
    with pytest.raises(InvalidEncryptionKey, match=r"Site demo\.site: encryption_key") as raised:
        SecretBox(key, site="demo.site")
    assert ("is empty" if not key else "is not a Fernet key") in str(raised.value)
    with pytest.raises(InvalidEncryptionKey, match="previous_encryption_keys"):
        SecretBox(generate_key(), (key,), site="demo.site")


def test_previous_keys_still_read_and_reseal_moves_values_to_the_current_key() -> None:
    old, new = generate_key(), generate_key()
    sealed_old = SecretBox(old).seal("rotated")
    box = SecretBox(new, (old,))
    assert box.rotating
    assert box.open(sealed_old) == "rotated"
    assert box.needs_reseal(sealed_old)
    fresh = box.reseal(sealed_old)
    assert not box.needs_reseal(fresh)
    assert SecretBox(new).open(fresh) == "rotated"
    with pytest.raises(SecretBoxError):
        SecretBox(old).open(fresh)
    with pytest.raises(SecretBoxError):  # without the old key it cannot be read
        SecretBox(new).open(sealed_old)


def test_values_of_the_former_cipher_are_read_with_the_legacy_key_only() -> None:
    sealed = legacy_seal("an old any-string key", "from before")
    assert SecretBox(generate_key(), legacy_key="an old any-string key").open(sealed) == "from before"
    box = SecretBox(generate_key(), legacy_key="an old any-string key")
    assert box.needs_reseal(sealed)
    assert not box.needs_reseal(box.reseal(sealed))
    with pytest.raises(SecretBoxError):
        SecretBox(generate_key()).open(sealed)
    with pytest.raises(SecretBoxError):
        SecretBox(generate_key(), legacy_key="another").open(sealed)
