"""Site encryption keys: converting a former-format key, re-sealing values, rotating the key.

- :func:`upgrade_key_config` (run by ``docframe migrate`` before the site loads): a site whose
  ``encryption_key`` is not a Fernet key (docframe's former cipher took any string) gets a new
  Fernet key, and the old one is kept as ``docframe_legacy_encryption_key`` to read its values.
- :func:`reseal_all`: every encrypted ``__Auth`` value not sealed with the current key is sealed
  again with it, in one transaction.
- :func:`advance_key` (``docframe rotate-encryption-key``, followed by :func:`reseal_all`): a new key
  becomes current and the old one moves to ``previous_encryption_keys`` (still read). Server
  processes still running with the old key keep sealing with it until they restart, so the previous
  keys stay in the config; ``rotate-encryption-key --forget-old`` re-seals once more and then drops
  them (:func:`forget_previous_keys`) when no value needs them.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docframe.db.repos import auth_values
from docframe.secret_box import SecretBoxError, generate_key, is_valid_key
from docframe.settings import read_json_file
from docframe.users import User

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["Resealed", "reseal_all", "upgrade_key_config", "write_site_config"]

log = logging.getLogger("docframe.auth")
LEGACY_KEY = "docframe_legacy_encryption_key"
PREVIOUS_KEYS = "previous_encryption_keys"


@dataclass(frozen=True, slots=True)
class Resealed:
    """What :func:`reseal_all` did: values sealed again, values no key could open."""

    resealed: int
    unreadable: int


def write_site_config(site_path: Path, config: dict[str, Any]) -> None:
    """Replace ``site_config.json`` atomically (a crash leaves the old or the new file, never half)."""
    target = site_path / "site_config.json"
    temporary = site_path / ".site_config.json.tmp"
    temporary.write_text(json.dumps(config, indent=1) + "\n")
    if target.exists():
        os.chmod(temporary, target.stat().st_mode & 0o777)
    os.replace(temporary, target)


def upgrade_key_config(site_path: Path) -> str | None:
    """Give a site with a former-format or empty key a Fernet key; a line saying so, or None."""
    config = read_json_file(site_path / "site_config.json")
    key = str(config.get("encryption_key") or "")
    if is_valid_key(key):
        return None
    config["encryption_key"] = generate_key()
    if key:
        config[LEGACY_KEY] = key
    write_site_config(site_path, config)
    if key:
        return "encryption_key converted to a Fernet key (the former key is kept to re-seal old values)"
    return "encryption_key was empty: a new Fernet key was generated"


def reseal_all(site: Site) -> Resealed:
    """Seal every encrypted ``__Auth`` value with the site's current key, in one transaction."""
    auth = site.tables.framework.auth
    resealed = unreadable = 0
    with site.unit_of_work(User.administrator()) as ctx:
        for doctype, name, fieldname, value in auth_values.encrypted_values(ctx.conn, auth):
            if value is None or not site.secrets.needs_reseal(str(value)):
                continue
            try:
                fresh = site.secrets.reseal(str(value))
            except SecretBoxError:
                unreadable += 1
                log.warning("%s %s %s: sealed with a key this site does not have", doctype, name, fieldname)
                continue
            auth_values.replace_value(ctx.conn, auth, doctype, name, fieldname, fresh)
            resealed += 1
    return Resealed(resealed, unreadable)


def _drop_config_key(site_path: Path, key: str) -> bool:
    """Remove ``key`` from the site's config; True when it was there."""
    config = read_json_file(site_path / "site_config.json")
    if key not in config:
        return False
    del config[key]
    write_site_config(site_path, config)
    return True


def forget_legacy_key(site_path: Path) -> bool:
    """Drop ``docframe_legacy_encryption_key`` from the config; True when there was one."""
    return _drop_config_key(site_path, LEGACY_KEY)


def advance_key(site_path: Path) -> None:
    """Make a new key current; the current one becomes the newest of ``previous_encryption_keys``."""
    config = read_json_file(site_path / "site_config.json")
    current = str(config.get("encryption_key") or "")
    previous = [str(k) for k in config.get(PREVIOUS_KEYS) or []]
    config[PREVIOUS_KEYS] = [current, *previous] if current else previous
    config["encryption_key"] = generate_key()
    write_site_config(site_path, config)


def forget_previous_keys(site_path: Path) -> bool:
    """Drop ``previous_encryption_keys`` from the config; True when there were some."""
    return _drop_config_key(site_path, PREVIOUS_KEYS)


__all__ += ["advance_key", "forget_legacy_key", "forget_previous_keys"]
