"""Single-logout records (kept apart from ``__init__`` so the native module can import it)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LogoutRecord"]


class LogoutRecord(NamedTuple):
    """A single-logout record, as ``Codec.open_record`` opens it from a store."""

    ticket: str
    """The text of a validated ST or PT (spent: useless to replay)."""
    service: str | None
    """The service URL, only if the ticket's service is shortened (else None)."""
