"""Every ``docframe`` command line in the README and the guides names a real command and real options."""

from __future__ import annotations

import re

import click
import click.testing
import pytest

from docframe.cli.main import cli
from tests.docs.guide_runner import REPO

DOCS = ["README.md", "docs/getting-started.md", "docs/building-apps.md", "docs/deploying.md", "docs/data.md"]
_FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_CALL = re.compile(r"(?:^|(?<!-u)[\s/])docframe((?:\s+--sites\s+\S+)?)\s+([a-z][a-z-]*)([^#|&>]*)")
SKIPPED_LANGUAGES = {"python", "json", "js", "nginx", "caddyfile", "csv"}


def _calls(path: str) -> list[tuple[str, list[str], str]]:
    found = []
    for match in _FENCE.finditer((REPO / path).read_text()):
        language = (match.group(1).split() or [""])[0]
        if language in SKIPPED_LANGUAGES:
            continue
        for line in match.group(2).replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0]  # a shell comment is prose
            if line.startswith("Description="):
                continue
            for call in _CALL.finditer(line):
                options = [word.split("=", 1)[0] for word in call.group(3).split() if word.startswith("--")]
                found.append((call.group(2), options, line.strip()))
    return found


@pytest.mark.parametrize("path", DOCS)
def test_documented_commands_and_options_exist(path: str) -> None:
    calls = _calls(path)
    assert calls, f"no docframe command lines found in {path}"
    for name, options, line in calls:
        command = cli.get_command(click.Context(cli), name)  # imports a lazily registered command
        assert isinstance(command, click.Command), f"{path}: unknown command {name!r} in: {line}"
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        known |= {"--help"}
        for option in options:
            assert option in known, f"{path}: {name} has no option {option} (in: {line})"


def test_version_and_help_are_documented_truthfully() -> None:
    runner = click.testing.CliRunner()
    assert runner.invoke(cli, ["--version"]).output.startswith("docframe ")
    listing = runner.invoke(cli, ["--help"]).output
    for name in (
        "new-site",
        "import-data",
        "export-data",
        "console",
        "generate-keys",
        "new-app",
        "install-app",
    ):
        assert name in listing
