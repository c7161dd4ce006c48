"""Settings: environment, then catalogue.toml, then defaults; bad values named."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.settings import Settings, SettingsError, describe, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("CATALOGUE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    s = load_settings()
    assert (s.data_dir, s.store, s.search_engine, s.host, s.port) == (Path("data"), "oxigraph", "tantivy", "127.0.0.1", 8000)


def test_file_then_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "catalogue.toml").write_text('search_engine = "whoosh"\nport = 9000\n')
    assert (load_settings().search_engine, load_settings().port) == ("whoosh", 9000)
    monkeypatch.setenv("CATALOGUE_PORT", "9100")
    assert load_settings().port == 9100


def test_config_file_named_by_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "other.toml").write_text('base_uri = "https://gp.example.eu/"\n')
    monkeypatch.setenv("CATALOGUE_CONFIG", str(tmp_path / "other.toml"))
    assert load_settings().base_uri == "https://gp.example.eu"
    monkeypatch.setenv("CATALOGUE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings()


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("CATALOGUE_PORT", "eighty", "CATALOGUE_PORT"),
        ("CATALOGUE_PORT", "70000", "CATALOGUE_PORT"),
        ("CATALOGUE_SEARCH_ENGINE", "lucene", "CATALOGUE_SEARCH_ENGINE"),
        ("CATALOGUE_STORE", "postgres://x", "CATALOGUE_STORE"),
        ("CATALOGUE_BASE_URI", "not a url", "CATALOGUE_BASE_URI"),
    ],
)
def test_bad_values_are_refused_with_the_key_named(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert named in str(info.value) and value[:20] in str(info.value)


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "catalogue.toml").write_text('serch_engine = "whoosh"\n')
    with pytest.raises(SettingsError, match="serch_engine"):
        load_settings()


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for env, _default, description in describe():
        assert description, env
        assert env in docs, f"{env} missing from docs/configuration.md"
        assert env in readme or "docs/configuration.md" in readme
    assert len(describe()) == len(Settings.model_fields)
