"""Site keys through the real CLI: refusal at load, ``migrate`` converting the former cipher,
``rotate-encryption-key`` with the old key kept for reading, and values Frappe sealed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from docframe.auth.passwords import get_secret, set_auth_value, set_secret
from docframe.db.provision import drop_database
from docframe.secret_box import InvalidEncryptionKey, is_valid_key
from docframe.sites import Site
from docframe.users import User
from tests.conftest import make_site
from tests.unit.test_secret_box import legacy_seal


def _docframe(sites: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), *args],
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def _config(site_path: Path) -> dict[str, object]:
    return dict(json.loads((site_path / "site_config.json").read_text()))


def _write_config(site_path: Path, **changes: object) -> None:
    (site_path / "site_config.json").write_text(json.dumps({**_config(site_path), **changes}))


def _stored(site: Site, name: str) -> str:
    auth = site.tables.framework.auth
    with site.db.engine.connect() as conn:
        value = conn.execute(
            select(auth.c.password).where(auth.c.name == name, auth.c.encrypted == 1)
        ).scalar()
    assert value is not None
    return str(value)


def _secret(site_path: Path, name: str) -> str | None:
    site = Site.open(site_path)
    try:
        with site.unit_of_work(User.administrator(), write=False) as ctx:
            return get_secret(ctx, "ToDo", name, "token")
    finally:
        site.dispose()


@pytest.fixture()
def keyed_site(backend: str, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "common_site_config.json").write_text("{}")
    site = make_site(sites, f"keys-{backend}", backend)
    site.dispose()
    yield sites, site.settings.site_path
    if backend != "sqlite":
        drop_database(site.settings.db_url)


def test_a_site_with_an_empty_or_malformed_key_does_not_load(keyed_site: tuple[Path, Path]) -> None:
    sites, path = keyed_site
    for bad in ("", "not-a-fernet-key"):
        _write_config(path, encryption_key=bad)
        with pytest.raises(InvalidEncryptionKey, match="encryption_key"):
            Site.open(path)
        result = _docframe(sites, "doctor", "--site", path.name)
        assert result.returncode == 2  # a mistake the user can fix: one line, exit 2
        assert f"Site {path.name}: encryption_key" in result.stderr and "Traceback" not in result.stderr


def test_a_value_frappe_sealed_with_the_same_key_is_read(keyed_site: tuple[Path, Path]) -> None:
    _sites, path = keyed_site
    key = str(_config(path)["encryption_key"])
    site = Site.open(path)
    try:
        with site.unit_of_work(User.administrator()) as ctx:
            frappe_sealed = Fernet(key.encode()).encrypt(b"sealed by frappe").decode()
            set_auth_value(ctx, "ToDo", "from-frappe", "token", frappe_sealed, encrypted=1)
            set_secret(ctx, "ToDo", "from-docframe", "token", "sealed by docframe")
        sealed_here = _stored(site, "from-docframe")
    finally:
        site.dispose()
    assert _secret(path, "from-frappe") == "sealed by frappe"
    assert Fernet(key.encode()).decrypt(sealed_here.encode()) == b"sealed by docframe"


def test_migrate_converts_a_former_key_and_reseals_its_values(keyed_site: tuple[Path, Path]) -> None:
    sites, path = keyed_site
    site = Site.open(path)
    try:
        with site.unit_of_work(User.administrator()) as ctx:
            set_auth_value(
                ctx, "ToDo", "old-1", "token", legacy_seal("former any-string key", "kept 1"), encrypted=1
            )
            set_auth_value(
                ctx, "ToDo", "old-2", "token", legacy_seal("former any-string key", "kept 2"), encrypted=1
            )
    finally:
        site.dispose()
    _write_config(path, encryption_key="former any-string key")
    result = _docframe(sites, "migrate", "--site", path.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "encryption_key converted to a Fernet key" in result.stdout
    assert "re-sealed 2 Password value(s)" in result.stdout
    config = _config(path)
    assert is_valid_key(str(config["encryption_key"]))
    assert "docframe_legacy_encryption_key" not in config  # every value was re-sealed
    assert _secret(path, "old-1") == "kept 1" and _secret(path, "old-2") == "kept 2"
    site = Site.open(path)
    try:
        assert (
            Fernet(str(config["encryption_key"]).encode()).decrypt(_stored(site, "old-1").encode())
            == b"kept 1"
        )
    finally:
        site.dispose()
    again = _docframe(sites, "migrate", "--site", path.name)
    assert again.returncode == 0 and "re-sealed" not in again.stdout and "converted" not in again.stdout


def test_rotation_keeps_the_old_key_for_reading_until_told_to_forget_it(
    keyed_site: tuple[Path, Path],
) -> None:
    sites, path = keyed_site
    old_key = str(_config(path)["encryption_key"])
    site = Site.open(path)
    try:
        with site.unit_of_work(User.administrator()) as ctx:
            set_secret(ctx, "ToDo", "rot-1", "token", "rotate me")
    finally:
        site.dispose()
    rotated = _docframe(sites, "rotate-encryption-key", "--site", path.name)
    assert rotated.returncode == 0, rotated.stderr
    assert "re-sealed 1 Password value(s)" in rotated.stderr
    config = _config(path)
    new_key = str(config["encryption_key"])
    assert new_key != old_key and is_valid_key(new_key)
    assert config["previous_encryption_keys"] == [old_key]
    # A server still running with the old key seals a value with it meanwhile: still readable.
    with_old = Fernet(old_key.encode()).encrypt(b"written meanwhile").decode()
    site = Site.open(path)
    try:
        with site.unit_of_work(User.administrator()) as ctx:
            set_auth_value(ctx, "ToDo", "rot-2", "token", with_old, encrypted=1)
        assert Fernet(new_key.encode()).decrypt(_stored(site, "rot-1").encode()) == b"rotate me"
    finally:
        site.dispose()
    assert _secret(path, "rot-2") == "written meanwhile"
    forgot = _docframe(sites, "rotate-encryption-key", "--site", path.name, "--forget-old")
    assert forgot.returncode == 0, forgot.stderr
    assert "re-sealed 1 Password value(s)" in forgot.stderr and "previous keys removed" in forgot.stderr
    config = _config(path)
    assert config["encryption_key"] == new_key and "previous_encryption_keys" not in config
    assert _secret(path, "rot-1") == "rotate me" and _secret(path, "rot-2") == "written meanwhile"
