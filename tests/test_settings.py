"""Settings: one declaration, documented in the packaged feedsvc.toml, overridable."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from feedsvc.errors import SettingsError
from feedsvc.settings import SETTINGS_FILE, Settings, load_settings
from tests.conftest import SEED, run_feedsvc

TOML = SETTINGS_FILE


# settings whose default is no value to write down: unset, or the platform's
UNWRITTEN = {"source_dir", "data_dir"}


def test_every_setting_is_documented_with_its_default() -> None:
    text = TOML.read_text(encoding="utf-8")
    documented = tomllib.loads(text)
    for setting in dataclasses.fields(Settings):
        name = setting.name
        written = f"\n{name} = " in text
        assert written == (name in documented) == (name not in UNWRITTEN), name
        line = f"\n{name} = " if written else f"\n# {name} = "  # commented out: an example
        assert line in text, name
        assert f"# {setting.metadata['help']}" in text.split(line)[0][-300:], name  # its help right above it


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


def test_relative_paths_in_a_file_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    config = tmp_path / "etc" / "feedsvc.toml"
    config.write_text('source_dir = "../articles"\nlexicon = "/abs/lexicon.txt"\n', encoding="utf-8")
    settings = load_settings(config, environ={"FEEDSVC_DATA_DIR": "here"})
    assert settings.source_dir == tmp_path / "etc" / ".." / "articles"
    assert settings.lexicon == Path("/abs/lexicon.txt")
    assert settings.data_dir == Path("here")  # from a variable: relative to where the command runs


def test_no_command_writes_into_the_working_folder_and_scan_needs_a_source(tmp_path: Path) -> None:
    folder = tmp_path / "cwd"
    folder.mkdir()
    for args in (("check", str(SEED)), ("check", "--json", str(SEED)), ("scan",), ("export", str(tmp_path / "out"))):
        result = run_feedsvc(*args, cwd=folder, env={"HOME": str(tmp_path / "home")})
        if args[0] == "check":
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode == 2 and "setting source_dir: is not set" in result.stderr, result.stderr
    assert list(folder.iterdir()) == []


def test_the_command_stops_on_a_bad_setting_with_its_name() -> None:
    result = run_feedsvc("check", str(SEED), env={"FEEDSVC_PAGE_SIZE": "many"})
    assert result.returncode == 2
    assert "page_size" in result.stderr
    assert "Traceback" not in result.stderr
