"""Stateless, encrypted CAS tickets (``ST-…``, ``TGT-…``, ``PT-…``, ``PGT-…``)
and OAuth 2.0 codes and tokens (``OC-…``, ``AT-…``, ``RT-…``).

>>> codec = Codec.load("/etc/cas/keys.json")                 # doctest: +SKIP
>>> st = codec.encode(Kind.ST, "jdoe@example.edu",
...                   service="https://app.example.edu/", methods=["Password"])  # doctest: +SKIP
>>> codec.decode(st, "https://app.example.edu/").principal  # doctest: +SKIP
'jdoe@example.edu'

A thin layer over the Rust library (a PyO3 extension, ``_native``): ``Codec`` is
immutable and thread-safe, encode and decode release the GIL, and every
rejection raises its own subclass of ``TicketError``. A decoded code checks a
token request's PKCE verifier (``Ticket.verify_pkce``) and redirect URI
(``Ticket.redirect_uri_is_exactly``). For nodes that share a
store with Rust nodes (FORMAT.md §13), ``Codec`` also gives a decoded ticket's
``replay_id`` and ``principal_id``, a principal's ``principal_ids``, seals and
opens single-logout records (``seal_record``, ``open_record``) and opens a
ticket whatever its expiry (``open_expired``); ``split_records`` splits a
store's field into its records exactly as a Rust node does.
"""

from __future__ import annotations

from ._kind import Kind
from ._native import (
    AuthenticationFailed,
    Codec,
    InvalidClaims,
    KeyringError,
    MalformedTicket,
    NotYetValid,
    ServiceMismatch,
    Ticket,
    TicketError,
    TicketExpired,
    TicketTooLong,
    UnknownKey,
    UnsupportedVersion,
    WrongKind,
    split_records,
)
from ._record import LogoutRecord

__all__ = [
    "AuthenticationFailed",
    "Codec",
    "InvalidClaims",
    "KeyringError",
    "Kind",
    "LogoutRecord",
    "MalformedTicket",
    "NotYetValid",
    "ServiceMismatch",
    "Ticket",
    "TicketError",
    "TicketExpired",
    "TicketTooLong",
    "UnknownKey",
    "UnsupportedVersion",
    "WrongKind",
    "split_records",
]
