"""Secret box: Password-field values sealed with Fernet under the site's ``encryption_key``.

Frappe encrypts Password fields with Fernet (``cryptography``) under the site config's
``encryption_key`` (a key made by ``Fernet.generate_key()``: 32 bytes, url-safe base64) and stores
the token in ``__Auth``; docframe does the same, so a value Frappe sealed can be read here with the
same key and the other way round.

Rotation: ``previous_encryption_keys`` (site config, newest first) are kept for reading only; a
value sealed with one of them is opened, and :meth:`SecretBox.reseal` seals it again with the current
key (``docframe rotate-encryption-key``). Values sealed by docframe's former stdlib cipher (prefix
``dfx1:``) are read with ``docframe_legacy_encryption_key`` and re-sealed by ``docframe migrate``.

An empty or malformed key is refused when the site loads (:class:`InvalidEncryptionKey`), so a
misconfigured site fails at start instead of at the first Password field. ``cryptography`` itself
(+6.4 MiB per process) is imported when a process first seals or opens a value (:meth:`SecretBox._ciphers`):
most requests never touch a Password field (API secrets are stored as digests).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

__all__ = [
    "LEGACY_PREFIX",
    "InvalidEncryptionKey",
    "SecretBox",
    "SecretBoxError",
    "generate_key",
    "is_valid_key",
]

#: Prefix of values sealed by docframe's former HMAC-counter-mode cipher (read for migration only).
LEGACY_PREFIX = "dfx1:"
_LEGACY_NONCE = 16
_LEGACY_TAG = 32


class SecretBoxError(ValueError):
    """A value that was not sealed with any of the site's keys (or was altered)."""


class InvalidEncryptionKey(ValueError):
    """The site's ``encryption_key`` is empty or not a Fernet key."""


def generate_key() -> str:
    """A new random Fernet key, as Frappe writes it into ``site_config.json``."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")  # as Fernet.generate_key()


def is_valid_key(key: str) -> bool:
    """Whether ``key`` is 32 bytes in url-safe base64 (with its padding), which Fernet accepts."""
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _check_key(key: str, what: str, site: str) -> str:
    """``key`` when Fernet accepts it, else :class:`InvalidEncryptionKey` naming the site and the key."""
    if not key:
        raise InvalidEncryptionKey(
            f"Site {site}: {what} is empty. Set it in site_config.json to a Fernet key "
            "(32 url-safe base64-encoded bytes, e.g. from "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).'
        )
    if not is_valid_key(key):
        raise InvalidEncryptionKey(
            f"Site {site}: {what} in site_config.json is not a Fernet key (it must be 32 url-safe "
            "base64-encoded bytes, 44 characters ending in '='). A site made by an earlier docframe "
            f"has a key of the old format: run `docframe migrate --site {site}` to convert it."
        )
    return key


class _Ciphers(NamedTuple):
    current: Fernet
    every: MultiFernet
    #: ``cryptography.fernet.InvalidToken``
    invalid: type[Exception]


class SecretBox:
    """Seals and opens Password-field values with a site's current and previous keys."""

    def __init__(
        self,
        key: str,
        previous: tuple[str, ...] = (),
        *,
        legacy_key: str = "",
        site: str = "",
    ) -> None:
        self._keys = (
            _check_key(key, "encryption_key", site),
            *(_check_key(old, "a previous_encryption_keys entry", site) for old in previous),
        )
        self._legacy_key = legacy_key
        self._made: _Ciphers | None = None

    def _ciphers(self) -> _Ciphers:
        """The Fernet of the current key and the MultiFernet of every key, made on first use."""
        made = self._made
        if made is None:
            # Imported here, the one place that needs it: see the module docstring.
            from cryptography.fernet import Fernet, InvalidToken, MultiFernet

            fernets = [Fernet(k.encode("ascii")) for k in self._keys]
            made = self._made = _Ciphers(fernets[0], MultiFernet(fernets), InvalidToken)
        return made

    @property
    def rotating(self) -> bool:
        """Whether values sealed with other keys may still exist (previous or legacy keys are set)."""
        return bool(len(self._keys) > 1 or self._legacy_key)

    def seal(self, plaintext: str) -> str:
        """``plaintext`` sealed with the current key (a Fernet token, as Frappe stores it)."""
        return self._ciphers().current.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The plaintext of a value sealed with the current, a previous or the legacy key."""
        if sealed.startswith(LEGACY_PREFIX):
            if not self._legacy_key:
                raise SecretBoxError("a value of docframe's former cipher, and no legacy key to read it")
            return _legacy_decrypt(self._legacy_key, sealed)
        ciphers = self._ciphers()
        try:
            return ciphers.every.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (ciphers.invalid, UnicodeError) as exc:
            raise SecretBoxError("the value was altered or sealed with another key") from exc

    def needs_reseal(self, sealed: str) -> bool:
        """Whether ``sealed`` was not sealed with the current key (so :meth:`reseal` would change it)."""
        if sealed.startswith(LEGACY_PREFIX):
            return True
        ciphers = self._ciphers()
        try:
            ciphers.current.decrypt(sealed.encode("ascii"))
        except (ciphers.invalid, UnicodeError):
            return True
        return False

    def reseal(self, sealed: str) -> str:
        """``sealed`` sealed again with the current key (:class:`SecretBoxError` if unreadable)."""
        if sealed.startswith(LEGACY_PREFIX):
            return self.seal(self.open(sealed))
        ciphers = self._ciphers()
        try:
            return ciphers.every.rotate(sealed.encode("ascii")).decode("ascii")
        except (ciphers.invalid, UnicodeError) as exc:
            raise SecretBoxError("the value was altered or sealed with another key") from exc


# -- docframe's former cipher, kept only to read values for their migration --------------------------


def _legacy_subkeys(key: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(("docframe-secret-box:" + key).encode()).digest()
    return (
        hmac.new(root, b"encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"authenticate", hashlib.sha256).digest(),
    )


def _legacy_keystream(key: bytes, nonce: bytes, size: int) -> bytes:
    blocks = [
        hmac.new(key, nonce + i.to_bytes(8, "big"), hashlib.sha256).digest() for i in range((size + 31) // 32)
    ]
    return b"".join(blocks)[:size]


def _legacy_decrypt(key: str, sealed: str) -> str:
    """Open a value sealed by docframe's former cipher (HMAC-SHA256 keystream, encrypt-then-MAC)."""
    try:
        raw = base64.urlsafe_b64decode(sealed[len(LEGACY_PREFIX) :].encode())
    except (ValueError, TypeError) as exc:
        raise SecretBoxError("malformed sealed value") from exc
    if len(raw) < _LEGACY_NONCE + _LEGACY_TAG:
        raise SecretBoxError("malformed sealed value")
    nonce, cipher, tag = raw[:_LEGACY_NONCE], raw[_LEGACY_NONCE:-_LEGACY_TAG], raw[-_LEGACY_TAG:]
    enc_key, mac_key = _legacy_subkeys(key)
    if not hmac.compare_digest(tag, hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()):
        raise SecretBoxError("the value was altered or sealed with another key")
    stream = _legacy_keystream(enc_key, nonce, len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode("utf-8")
