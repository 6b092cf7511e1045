"""Settings, declared once: name, type, default and help.

Defaults are the field defaults below; `feedsvc/defaults/feedsvc.toml`
(shipped in the package) documents each with its default (a test keeps the
two equal). A settings file passed with `--config` (or `FEEDSVC_CONFIG`)
overrides the defaults, and an environment variable `FEEDSVC_<NAME>`
overrides both. A relative path in a settings file is relative to that
file's folder; in a variable, to the working directory. A value that does
not fit its setting stops start-up with a SettingsError naming the setting.

What the package ships (the lexicon, the sample articles, the settings file)
is found with importlib.resources, so the command works from any folder; no
default is a path in the working directory: the store goes to the
platform's user data directory (platformdirs).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from feedsvc.errors import SettingsError

ENV_PREFIX = "FEEDSVC_"
LOG_FORMATS = ("plain", "json")
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "on": True, "off": False}


PACKAGED = Path(str(resources.files("feedsvc") / "defaults"))
SAMPLES = PACKAGED / "samples"  # what `serve` serves when no source_dir is set
LEXICON = PACKAGED / "lexicon.txt"
SETTINGS_FILE = PACKAGED / "feedsvc.toml"  # every setting, documented


def _setting(default: Any, help: str, kind: type | None = None) -> Any:
    """`kind`: the type a value must have, where the default does not show it (None)."""
    return field(default=default, metadata={"help": help, "kind": kind or type(default)})


@dataclass(frozen=True)
class Settings:
    source_dir: Path | None = _setting(None, "Directory of article files; none: serve serves the bundled samples.",
                                       Path)
    file_pattern: str = _setting("*.txt", "File names read as articles (a glob, case ignored).")
    max_file_size: int = _setting(2 * 1024 * 1024, "Larger files are rejected (bytes).")
    lexicon: Path = _setting(LEXICON, "Multi-word tag lexicon, one tag a line.")
    data_dir: Path = _setting(platformdirs.user_data_path("feedsvc"),
                              "Directory for the SQLite store and the scanner lock.", Path)
    database_url: str = _setting("", "SQLAlchemy URL of the store; empty: SQLite in data_dir.")
    base_url: str = _setting("http://127.0.0.1:8000/", "Public base URL of the service.")
    site_title: str = _setting("أخبار", "Title of the site and its feeds.")
    page_size: int = _setting(50, "Entries per feed page.")
    scan_interval: int = _setting(60, "Seconds between scans of the source directory.")
    watch: bool = _setting(True, "Also scan each change as soon as the system reports it (inotify).")
    parse_processes: int = _setting(0, "Processes parsing a scan that reads many files; 0: one per CPU.")
    publish_future: bool = _setting(False, "Publish an article dated later at once; else it waits for its date.")
    render_cache_mb: int = _setting(128, "Memory per web worker for rendered feeds and pages (MiB).")
    websub_hub: str = _setting("", "WebSub hub URL announced in feeds; empty: none.")
    admin_token: str = _setting("", "Bearer token for POST /admin/rescan; empty: disabled.")
    log_format: str = _setting("plain", "Log line format: plain or json.")

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'feedsvc.db'}"

    def sources(self) -> Path:
        """The source directory, which scanning needs: SettingsError if none is set."""
        if self.source_dir is None:
            raise SettingsError("source_dir", "is not set: name the directory of article files "
                                              "(FEEDSVC_SOURCE_DIR, or source_dir in a settings file)")
        return self.source_dir

    def or_samples(self) -> Settings:
        """These settings, serving the bundled sample articles if no source directory is set."""
        return self if self.source_dir is not None else dataclasses.replace(self, source_dir=SAMPLES)


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def load_settings(config_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the settings file, then the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or (Path(environ[f"{ENV_PREFIX}CONFIG"]) if environ.get(f"{ENV_PREFIX}CONFIG") else None)
    if config_file is not None:
        values.update(_read_file(config_file))
    for name in FIELDS:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None:
            values[name] = _convert(name, raw.strip(), from_env=True)
    settings = Settings(**values)
    _validate(settings)
    return settings


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError("config", f"cannot read {path}: {exc}") from None
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise SettingsError(unknown[0], f"unknown setting in {path}")
    values = {name: _convert(name, value, from_env=False) for name, value in data.items()}
    return {name: path.parent / value if isinstance(value, Path) else value  # relative to the file
            for name, value in values.items()}


def _convert(name: str, value: Any, *, from_env: bool) -> Any:
    kind: type = FIELDS[name].metadata["kind"]
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in BOOLEANS:
                return BOOLEANS[value.lower()]
            raise ValueError
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValueError
            return int(value)
        if not isinstance(value, str):
            raise ValueError
        if kind is Path and not value and FIELDS[name].default is None:
            return None  # set to nothing: as if not set
        return Path(value) if kind is not str else value
    except ValueError:
        shown = repr(value) if not from_env else f"{value!r} (from {ENV_PREFIX}{name.upper()})"
        raise SettingsError(name, f"{shown} is not a valid {kind.__name__}") from None


def _validate(settings: Settings) -> None:
    for name in ("max_file_size", "page_size", "scan_interval", "render_cache_mb"):
        if getattr(settings, name) <= 0:
            raise SettingsError(name, "must be a positive whole number")
    if settings.parse_processes < 0:
        raise SettingsError("parse_processes", "must be 0 (one per CPU) or a positive whole number")
    if settings.log_format not in LOG_FORMATS:
        raise SettingsError("log_format", f"must be one of {', '.join(LOG_FORMATS)}")
    for name in ("base_url", "websub_hub"):
        url = getattr(settings, name)
        if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc):
            raise SettingsError(name, f"{url!r} is not an http(s) URL")
    if settings.database_url and not settings.database_url.startswith(("sqlite://", "postgresql")):
        raise SettingsError("database_url", "must be a sqlite:// or postgresql+psycopg:// URL")
