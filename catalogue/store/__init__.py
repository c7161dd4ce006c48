"""Store backends behind one contract (see base.py)."""

from __future__ import annotations

from ..settings import Settings
from .base import RecordState, RecordWrite, Store, StoreError


def open_store(settings: Settings, read_only: bool = False) -> Store:
    """The store the settings name: embedded Oxigraph, or a remote SPARQL 1.1 server."""
    if settings.store == "oxigraph":
        from .oxigraph import OxigraphStore

        return OxigraphStore(settings.store_dir, read_only=read_only)
    if settings.store.startswith("sparql+"):
        from .sparql import SparqlStore, endpoint_of

        password = settings.store_password.get_secret_value() if settings.store_password else None
        return SparqlStore(
            endpoint_of(settings.store),
            update_url=settings.store_update_url,
            user=settings.store_user,
            password=password,
            auth=settings.store_auth,
            timeout=settings.store_timeout,
            graph_prefix=settings.base_uri,
            read_only=read_only,
            graph_store_url=settings.store_graph_store_url,
        )
    raise StoreError(f"store {settings.store!r} is not available; use 'oxigraph' or 'sparql+http://...'")


__all__ = ["RecordState", "RecordWrite", "Store", "StoreError", "open_store"]
