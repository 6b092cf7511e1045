"""Settings: one declaration, documented in config/feedsvc.toml, overridable."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from feedsvc.errors import SettingsError
from feedsvc.settings import Settings, load_settings
from tests.conftest import ROOT, SEED, run_feedsvc

TOML = ROOT / "config" / "feedsvc.toml"


def test_every_setting_is_documented_with_its_default() -> None:
    documented = tomllib.loads(TOML.read_text(encoding="utf-8"))
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert set(documented) == set(defaults)
    for name, value in documented.items():
        assert type(defaults[name])(value) == defaults[name], name
    text = TOML.read_text(encoding="utf-8")
    for name in defaults:  # each with a comment line right above it
        assert "\n# " in text.split(f"\n{name} = ")[0][-200:], name


def test_the_settings_file_loads_to_the_defaults() -> None:
    assert load_settings(TOML, environ={}) == Settings()


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "feedsvc.toml"
    config.write_text('page_size = 20\nsite_title = "موقع"\n', encoding="utf-8")
    settings = load_settings(config, environ={"FEEDSVC_PAGE_SIZE": "30", "FEEDSVC_SOURCE_DIR": "/srv/articles"})
    assert (settings.page_size, settings.site_title, settings.source_dir) == (30, "موقع", Path("/srv/articles"))


@pytest.mark.parametrize(("environ", "name"), [
    ({"FEEDSVC_PAGE_SIZE": "fifty"}, "page_size"),
    ({"FEEDSVC_SCAN_INTERVAL": "0"}, "scan_interval"),
    ({"FEEDSVC_MAX_FILE_SIZE": "-1"}, "max_file_size"),
    ({"FEEDSVC_LOG_FORMAT": "xml"}, "log_format"),
    ({"FEEDSVC_BASE_URL": "example.org"}, "base_url"),
    ({"FEEDSVC_DATABASE_URL": "mysql://x"}, "database_url"),
    ({"FEEDSVC_WATCH": "maybe"}, "watch"),
    ({"FEEDSVC_PARSE_PROCESSES": "-2"}, "parse_processes"),
])
def test_a_bad_value_names_its_setting(environ: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ=environ)
    assert caught.value.name == name


@pytest.mark.parametrize(("raw", "value"), [("false", False), ("0", False), ("off", False), ("True", True),
                                            ("yes", True)])
def test_a_switch_reads_the_usual_words(raw: str, value: bool) -> None:
    assert load_settings(None, environ={"FEEDSVC_WATCH": raw}).watch is value


def test_an_unknown_key_in_a_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "feedsvc.toml"
    config.write_text("page_sise = 20\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="page_sise"):
        load_settings(config, environ={})


def test_the_command_stops_on_a_bad_setting_with_its_name() -> None:
    result = run_feedsvc("check", str(SEED), env={"FEEDSVC_PAGE_SIZE": "many"})
    assert result.returncode == 2
    assert "page_size" in result.stderr
    assert "Traceback" not in result.stderr
