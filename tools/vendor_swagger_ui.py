"""Refresh the vendored Swagger UI of ``/api/docs`` from the ``swagger-ui-dist`` npm package.

Usage: ``python tools/vendor_swagger_ui.py [VERSION]`` (default: the version recorded in
``src/docframe/openapi/static/swagger-ui/VERSION``). Runs ``npm pack`` in a temporary folder (the
ordinary npm client; nothing is installed in the repository) and copies the bundle, its stylesheet,
the icon and the license files into the package, so the wheel ships them and the docs page loads
nothing from other hosts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "docframe" / "openapi" / "static" / "swagger-ui"
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-bundle.js.LICENSE.txt",
    "swagger-ui.css",
    "favicon-32x32.png",
    "LICENSE",
    "NOTICE",
)


def main(argv: list[str]) -> int:
    """Download ``swagger-ui-dist@VERSION`` with ``npm pack`` and copy its files into the package."""
    version = argv[1] if len(argv) > 1 else (TARGET / "VERSION").read_text().strip()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"swagger-ui-dist@{version}"], cwd=tmp, check=True, capture_output=True
        )
        archive = next(Path(tmp).glob("swagger-ui-dist-*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        TARGET.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            shutil.copyfile(package / name, TARGET / name)
    (TARGET / "VERSION").write_text(version + "\n")
    print(f"swagger-ui-dist {version} -> {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
