"""Settings, declared once: each with a default and a description.

Precedence: environment (`CATALOGUE_*`), then `catalogue.toml` in the working
directory (or the file named by `CATALOGUE_CONFIG`), then the default. A bad
value is refused at start with the key named (`SettingsError`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_FILE_ENV = "CATALOGUE_CONFIG"
DEFAULT_CONFIG_FILE = "catalogue.toml"


class SettingsError(ValueError):
    """A setting has a bad value; the message names the key and the value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOGUE_", extra="forbid", frozen=True)

    data_dir: Path = Field(
        default=Path("./data"),
        description="Folder holding the embedded store (store/) and the search index (index/).",
    )
    base_uri: str = Field(
        default="http://127.0.0.1:8000",
        description="Public base of every URI the catalogue mints ({base}/id/practice/{key}); no trailing slash.",
    )
    store: str = Field(
        default="oxigraph",
        description="RDF store: 'oxigraph', the embedded store in data_dir/store (a remote SPARQL 1.1 backend is planned).",
    )
    search_engine: str = Field(
        default="tantivy",
        description="Full-text engine: 'tantivy' (default, fast) or 'whoosh' (pure Python).",
    )
    host: str = Field(default="127.0.0.1", description="Address `catalogue serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `catalogue serve` listens on.")
    sources: Path = Field(
        default=Path("./sources.toml"),
        description="The sources file `catalogue harvest` reads when --sources is not given.",
    )
    user_agent: str = Field(
        default="GoodPracticeCatalogue/0.1 (harvester)",
        description="User-Agent header of every harvest request.",
    )
    http_timeout: float = Field(default=30.0, gt=0, description="Seconds before a harvest request times out.")
    max_download_bytes: int = Field(
        default=100 * 1024 * 1024, gt=0, description="Largest body a harvester downloads (bytes)."
    )

    @field_validator("base_uri")
    @classmethod
    def _check_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value != "oxigraph":
            raise ValueError("must be 'oxigraph' (the only backend in this version)")
        return value

    @field_validator("search_engine")
    @classmethod
    def _check_engine(cls, value: str) -> str:
        from catalogue.index import ENGINES

        if value not in ENGINES:
            raise ValueError(f"unknown engine; known: {', '.join(sorted(ENGINES))}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"


class _TomlSource(PydanticBaseSettingsSource):
    """Values from catalogue.toml (top-level keys are setting names)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        raise NotImplementedError  # __call__ does the work

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        if not path.is_file():
            if CONFIG_FILE_ENV in os.environ:
                raise SettingsError(f"{CONFIG_FILE_ENV}: file {path} does not exist")
            return {}
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning validation errors into one clear message."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "?"
            env = f"CATALOGUE_{key.upper()}"
            problems.append(f"{env} ({key}) = {err.get('input')!r}: {err['msg']}")
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None


def describe() -> list[tuple[str, str, str]]:
    """(environment name, default, description) of every setting, for docs and --help."""
    rows = []
    for name, field in Settings.model_fields.items():
        rows.append((f"CATALOGUE_{name.upper()}", str(field.default), field.description or ""))
    return rows
