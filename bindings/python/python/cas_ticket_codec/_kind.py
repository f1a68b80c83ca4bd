"""The ticket kinds (kept apart from ``__init__`` so the native module can import it)."""

from __future__ import annotations

import enum

__all__ = ["Kind"]


class Kind(str, enum.Enum):
    """The four ticket kinds of the CAS protocol; the value is the prefix (``"ST"``)."""

    TGT = "TGT"
    """Ticket-granting ticket (``TGT-``): the SSO session."""
    ST = "ST"
    """Service ticket (``ST-``)."""
    PT = "PT"
    """Proxy ticket (``PT-``)."""
    PGT = "PGT"
    """Proxy-granting ticket (``PGT-``)."""

    def __str__(self) -> str:
        return self.value
