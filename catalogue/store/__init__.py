"""Store backends behind one contract (see base.py)."""

from __future__ import annotations

from ..settings import Settings
from .base import RecordState, RecordWrite, Store, StoreError


def open_store(settings: Settings, read_only: bool = False) -> Store:
    """The store the settings name (embedded Oxigraph in this version)."""
    if settings.store == "oxigraph":
        from .oxigraph import OxigraphStore

        return OxigraphStore(settings.store_dir, read_only=read_only)
    raise StoreError(f"store {settings.store!r} is not available in this version; use 'oxigraph'")


__all__ = ["RecordState", "RecordWrite", "Store", "StoreError", "open_store"]
