"""The secret box seals Password-field values: round trip, tamper detection, wrong key."""

from __future__ import annotations

import pytest

from docframe.auth.secret_box import SecretBoxError, decrypt, encrypt


def test_round_trip_hides_the_plaintext_and_uses_a_fresh_nonce() -> None:
    sealed = encrypt("site-key", "s3cret pässword")
    assert "s3cret" not in sealed and sealed.startswith("dfx1:")
    assert decrypt("site-key", sealed) == "s3cret pässword"
    assert encrypt("site-key", "same") != encrypt("site-key", "same")


def test_tampering_or_another_key_is_refused() -> None:
    sealed = encrypt("site-key", "value")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(SecretBoxError):
        decrypt("site-key", flipped)
    with pytest.raises(SecretBoxError):
        decrypt("other-key", sealed)
    with pytest.raises(SecretBoxError):
        decrypt("site-key", "plain text")
