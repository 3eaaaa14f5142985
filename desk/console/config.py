"""The console's settings file: server, token, key file and language, never the passphrase.

It lives in the user's config folder (platformdirs: ~/.config on Linux, ~/Library/Application
Support on macOS, %LOCALAPPDATA% on Windows) and is written with mode 0600 through `os.open`,
which every platform has; on Windows the profile folder's access list is what protects it.
The token is stored in it (the setup page says so); the passphrase never is.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

import platformdirs

from crypto.tokens import looks_like_token
from desk.client import DeskError, check_server
from desk.console.i18n import N_, ConsoleError

APP_NAME: Final = "grievance-desk"
FILE_NAME: Final = "console.json"
FORMAT: Final = "grievance-console-config"
VERSION: Final = 1
MAX_BYTES: Final = 64 * 1024


class ConfigError(ConsoleError):
    """The settings file or a setting given on the setup page is not usable."""


@dataclass(frozen=True)
class ConsoleConfig:
    """What the setup page asks once, and the caseworker's choice of language."""

    server: str = ""
    token: str = ""
    key_file: str = ""
    language: str = ""
    """Empty: follow the browser's Accept-Language."""

    @property
    def complete(self) -> bool:
        """Enough to unlock: a server, a token and a key file."""
        return bool(self.server and self.token and self.key_file)


def default_path() -> Path:
    """Where the settings live when --config is not given."""
    folder = platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=False)
    return Path(folder) / FILE_NAME


def checked(server: str, token: str, key_file: str, language: str = "") -> ConsoleConfig:
    """Settings from the setup page, each checked; one sentence for the first that is wrong."""
    try:
        server = check_server(server)
    except DeskError as exc:
        raise ConfigError(
            N_("'{server}' is not a server address; give it as https://HOST or http://HOST:PORT"),
            server=server,
        ) from exc
    token = token.strip()
    if not looks_like_token(token):
        raise ConfigError(N_("This is not a caseworker token (they start with 'gct_')."))
    path = Path(key_file.strip().strip('"')).expanduser()
    if not key_file.strip():
        raise ConfigError(N_("Give the path of your partner key file."))
    if not path.is_file():
        raise ConfigError(N_("There is no file at {path}."), path=str(path))
    return ConsoleConfig(server, token, str(path), language)


def load(path: Path) -> ConsoleConfig:
    """The saved settings, or empty ones on the first run."""
    try:
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except FileNotFoundError:
        return ConsoleConfig()
    except OSError as exc:
        raise ConfigError(
            N_("Cannot read the settings file {path}: {reason}."),
            path=str(path),
            reason=exc.strerror,
        ) from exc
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError
        data: Any = json.loads(raw)
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError
        fields = {name: data.get(name, "") for name in ("server", "token", "key_file", "language")}
        if not all(isinstance(value, str) for value in fields.values()):
            raise ValueError
    except (ValueError, AttributeError) as exc:
        raise ConfigError(
            N_("The settings file {path} is damaged; remove it and set the console up again."),
            path=str(path),
        ) from exc
    return ConsoleConfig(**fields)


def save(path: Path, config: ConsoleConfig) -> None:
    """Write the settings (mode 0600), replacing the file whole so that it is never half written."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            N_("Cannot create the folder {path}: {reason}."),
            path=str(path.parent),
            reason=exc.strerror,
        ) from exc
    document = {"format": FORMAT, "version": VERSION, **asdict(config)}
    data = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    temporary = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temporary, flags, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        temporary.replace(path)
    except OSError as exc:
        raise ConfigError(
            N_("Cannot write the settings file {path}: {reason}."),
            path=str(path),
            reason=exc.strerror,
        ) from exc


def with_language(config: ConsoleConfig, language: str) -> ConsoleConfig:
    """The same settings with another console language."""
    return replace(config, language=language)
