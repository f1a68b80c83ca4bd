"""Stateless, encrypted CAS tickets (``ST-…``, ``TGT-…``, ``PT-…``, ``PGT-…``).

>>> codec = Codec.load("/etc/cas/keys.json")                 # doctest: +SKIP
>>> st = codec.encode(Kind.ST, "jdoe@example.edu",
...                   service="https://app.example.edu/", methods=["Password"])  # doctest: +SKIP
>>> codec.decode(st, "https://app.example.edu/").principal  # doctest: +SKIP
'jdoe@example.edu'

A thin layer over the Rust library (a PyO3 extension, ``_native``): ``Codec`` is
immutable and thread-safe, encode and decode release the GIL, and every
rejection raises its own subclass of ``TicketError``.
"""

from __future__ import annotations

from ._kind import Kind
from ._native import (
    AuthenticationFailed,
    Codec,
    InvalidClaims,
    KeyringError,
    MalformedTicket,
    ServiceMismatch,
    Ticket,
    TicketError,
    TicketExpired,
    TicketTooLong,
    UnknownKey,
    UnsupportedVersion,
    WrongKind,
)

__all__ = [
    "AuthenticationFailed",
    "Codec",
    "InvalidClaims",
    "KeyringError",
    "Kind",
    "MalformedTicket",
    "ServiceMismatch",
    "Ticket",
    "TicketError",
    "TicketExpired",
    "TicketTooLong",
    "UnknownKey",
    "UnsupportedVersion",
    "WrongKind",
]
