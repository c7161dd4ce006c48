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

from pydantic import Field, SecretStr, ValidationError, field_validator
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
        description=(
            "RDF store: 'oxigraph', the embedded store in data_dir/store, or 'sparql+http(s)://host:port/path', "
            "the query endpoint of a remote SPARQL 1.1 server (Virtuoso, Fuseki, ...)."
        ),
    )
    store_update_url: str | None = Field(
        default=None,
        description="SPARQL 1.1 Update endpoint of a remote store (default: its query endpoint).",
    )
    store_graph_store_url: str | None = Field(
        default=None,
        description=(
            "Graph Store Protocol endpoint of a remote store, for fast staged writes (default: derived from "
            "Virtuoso's update URL; '' writes with SPARQL Update only)."
        ),
    )
    store_user: str | None = Field(default=None, description="User name for the remote store's update endpoint.")
    store_password: SecretStr | None = Field(
        default=None, description="Password for the remote store's update endpoint (set it in the environment)."
    )
    store_auth: str = Field(
        default="digest", description="HTTP authentication of the update endpoint: 'digest' (Virtuoso) or 'basic'."
    )
    store_timeout: float = Field(default=60.0, gt=0, description="Seconds before a request to a remote store times out.")
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
    # --- linked data (issue 5) ---
    sparql_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds a /sparql query may run before its worker process is stopped (answer: 503); "
        "also the longest wait for a free worker.",
    )
    sparql_workers: int = Field(
        default=2, ge=1, le=64, description="Worker processes evaluating /sparql queries, each with the store open read-only."
    )
    sparql_max_query_bytes: int = Field(
        default=100_000, gt=0, description="Longest SPARQL query text /sparql accepts (bytes; longer: 413)."
    )
    sparql_max_result_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, description="Largest answer /sparql writes (bytes; larger: 422, add a LIMIT)."
    )
    sparql_worker_memory_mb: int = Field(
        default=1024,
        ge=0,
        description="Heap limit of each /sparql worker process (MB; 0 = none): a query needing more ends its worker (503).",
    )
    catalog_page_size: int = Field(
        default=100, ge=1, le=10_000, description="Catalogue records per page of the DCAT-AP feed at /catalog."
    )
    publisher_name: str = Field(
        default="Good Practice Catalogue",
        description="Name of the organisation publishing this catalogue (dcterms:publisher of /catalog and VoID).",
    )
    # --- static site (issue 6) ---
    api_base: str = Field(
        default="",
        description="Where a static site built by `catalogue build-site` finds the server's API, /search and /sparql "
        "(an http(s) URL, or a path on the same host such as /catalogue); empty: the static site offers browsing "
        "by theme and country only.",
    )
    site_url: str = Field(
        default="",
        description="Public address of the static site, for its sitemap and feed; empty: base_uri.",
    )

    @field_validator("api_base", "site_url")
    @classmethod
    def _check_site_address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://", "/")) or " " in value:
            raise ValueError("must be empty, an http(s) URL or a path starting with /")
        return value

    @field_validator("base_uri")
    @classmethod
    def _check_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or " " in value:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value == "oxigraph":
            return value
        if value.startswith(("sparql+http://", "sparql+https://")) and " " not in value:
            return value.rstrip("/")
        raise ValueError("must be 'oxigraph' or 'sparql+http(s)://host:port/path' (a SPARQL 1.1 query endpoint)")

    @field_validator("store_update_url")
    @classmethod
    def _check_update_url(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith(("http://", "https://")) or " " in value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("store_auth")
    @classmethod
    def _check_auth(cls, value: str) -> str:
        if value not in ("digest", "basic"):
            raise ValueError("must be 'digest' or 'basic'")
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

    @property
    def dumps_dir(self) -> Path:
        return self.data_dir / "dumps"


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
