"""The ticket kinds (kept apart from ``__init__`` so the native module can import it)."""

from __future__ import annotations

import enum

__all__ = ["Kind"]


class Kind(str, enum.Enum):
    """The four ticket kinds of the CAS protocol and the three of OAuth 2.0 and
    OpenID Connect; the value is the prefix (``"ST"``, ``"OC"``)."""

    TGT = "TGT"
    """Ticket-granting ticket (``TGT-``): the SSO session."""
    ST = "ST"
    """Service ticket (``ST-``)."""
    PT = "PT"
    """Proxy ticket (``PT-``)."""
    PGT = "PGT"
    """Proxy-granting ticket (``PGT-``)."""
    OC = "OC"
    """OAuth 2.0 authorization code (``OC-``), at most 384 characters."""
    AT = "AT"
    """OAuth 2.0 access token (``AT-``)."""
    RT = "RT"
    """OAuth 2.0 refresh token (``RT-``)."""

    def __str__(self) -> str:
        return self.value
