"""Type stubs of the PyO3 extension module ``cas_ticket_codec._native``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, final

from ._kind import Kind
from ._record import LogoutRecord

_KindLike = Kind | Literal["TGT", "ST", "PT", "PGT", "OC", "AT", "RT"]

__all__ = [
    "AuthenticationFailed",
    "Codec",
    "InvalidClaims",
    "KeyringError",
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

def split_records(field: bytes) -> list[bytes]:
    """The sealed records of a store's field of single-logout records
    (FORMAT.md §13), oldest first, exactly as a Rust node splits it: each is
    2 bytes of length (big-endian) and that many bytes; the split stops at the
    first length out of bounds or running past the end, skips a record
    identical to one already taken, and keeps at most 64
    (``MAX_RECORDS_PER_SESSION``). No key is needed: open each with
    ``Codec.open_record``.
    """

@final
class Codec:
    """Encodes and decodes tickets with the keys of one key file.

    Immutable and thread-safe: load one per process and share it.
    """

    @staticmethod
    def load(path: str | os.PathLike[str]) -> Codec:
        """Loads a key file; it must belong to the running user, mode 0600.

        Raises ``KeyringError`` (``reason``: ``"io"``, ``"insecure_permissions"``, …).
        """

    def encode(
        self,
        kind: _KindLike,
        principal: str,
        *,
        service: str | None = None,
        methods: Sequence[str] | None = None,
        remember_me: bool = False,
        fresh_login: bool = False,
        proxies: Sequence[str] | None = None,
        pgt_url: str | None = None,
        upstream: Sequence[str] | None = None,
        authenticated_at: datetime | None = None,
        issued_at: datetime | None = None,
        lifetime: int | timedelta | None = None,
        session_id: str | None = None,
        session_ends_at: datetime | None = None,
        client_id: str | None = None,
        scope: str | None = None,
        grant_id: str | None = None,
        id_token_claims: Sequence[str] | None = None,
        userinfo_claims: Sequence[str] | None = None,
        redirect_uri: str | None = None,
        nonce: str | None = None,
        code_challenge: str | None = None,
    ) -> str:
        """Seals claims into a ticket under the primary key.

        ``service`` is for ST and PT, ``fresh_login`` for an ST, ``proxies`` for a
        PT, ``pgt_url`` and ``upstream`` for a PGT; ``client_id`` (required),
        ``scope`` (the ``scope`` parameter: scopes separated by single spaces;
        default none), ``grant_id`` (16 hex digits; default a fresh random one),
        ``id_token_claims`` and ``userinfo_claims`` (the OIDC claims request) for
        OC, AT and RT; ``redirect_uri`` (required), ``nonce`` and
        ``code_challenge`` (PKCE S256, unpadded base64url) for an OC
        (``ValueError`` otherwise). Instants must be timezone-aware (default:
        now); ``lifetime`` is in whole seconds (default: ST and PT 10 s, TGT 8 h,
        PGT 2 h, OC 30 s, AT 1 h, RT 8 h). ``session_id`` is 16 hex digits, or
        ``"new"`` for a TGT opening a session; other kinds in a session need
        ``session_ends_at``.

        Raises ``InvalidClaims`` (``reason`` names the field) or ``TicketTooLong``
        (over 256 characters, 384 for a code).
        """

    def decode(
        self,
        ticket: str,
        service: str | None = None,
        *,
        now: datetime | None = None,
        kind: _KindLike | None = None,
        leeway: int | timedelta = 0,
    ) -> Ticket:
        """Validates a ticket: kind (if given), format, key and seal, payload,
        expiry as of ``now`` (default: the current time) with ``leeway``, then
        that an ST or PT was issued for ``service`` (if given).

        Raises a subclass of ``TicketError`` naming the rejection.
        """

    def open_expired(self, ticket: str) -> Ticket:
        """Opens an authentic ticket whatever its expiry: every check of
        ``decode`` (format, key and seal, payload) but the expiry. What a node
        needs to read back a ticket from a single-logout record; never a
        validation.

        Raises a subclass of ``TicketError`` naming the rejection.
        """

    def replay_id(self, ticket: Ticket) -> bytes:
        """The replay id of a ticket ``decode`` validated (16 bytes): the name of
        a spent ticket in a store shared with other nodes (FORMAT.md §13).

        Raises ``UnknownKey`` when the key that sealed it is not held, and
        ``ValueError`` for a ticket from ``open_expired``.
        """

    def principal_id(self, ticket: Ticket) -> bytes:
        """The id of a ``decode``-validated ticket's principal under the key that
        sealed it (16 bytes, FORMAT.md §13); raises as ``replay_id``."""

    def principal_ids(self, principal: str) -> list[bytes]:
        """The ids of ``principal`` (exactly as tickets carry it), one under each
        key of the key file, in its order: what ``ticketctl sessions end`` writes.
        """

    def seal_record(self, session_id: str, ticket: str, service: str | None = None) -> bytes:
        """Seals a single-logout record for the session ``session_id`` (16 hex
        digits): the bytes a store keeps (FORMAT.md §13). It holds ``ticket``,
        the text of a validated ST or PT, and ``service``, the service URL,
        when the ticket's service is shortened.

        Raises ``MalformedTicket`` (``detail`` ``"payload"``) for a text that is
        not an ST or PT or a URL over 4096 bytes, ``InvalidClaims`` (``reason``
        ``"session"``) for a session id that is not 16 hex digits.
        """

    def open_record(self, session_id: str, record: bytes) -> LogoutRecord:
        """Opens a single-logout record read from a store, for the session
        ``session_id``. A store is not trusted: check that the ticket opens
        (``open_expired``), is one of the session's, and that the URL, if any,
        is its service.

        Raises ``AuthenticationFailed`` for a record forged, altered or sealed
        for another session, ``UnknownKey`` for a key not held,
        ``MalformedTicket`` (``detail`` ``"truncated"``) when its length does not
        add up, ``InvalidClaims`` for a session id that is not 16 hex digits.
        """

@final
class Ticket:
    """An authentic, unexpired ticket (from ``open_expired``: authentic,
    whatever its expiry). Immutable and hashable.

    Instants are aware datetimes in UTC. Fields that do not apply to the kind
    are None, False or (): the OAuth fields (``client_id`` to ``grant_id``)
    but for OC, AT and RT, ``redirect_uri``, ``nonce`` and ``code_challenge``
    but for an OC (and the last two when it has none).
    """

    @property
    def kind(self) -> Kind: ...
    @property
    def principal(self) -> str: ...
    @property
    def authenticated_at(self) -> datetime: ...
    @property
    def methods(self) -> tuple[str, ...]: ...
    @property
    def remember_me(self) -> bool: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def service(self) -> str | None:
        """ST and PT: the service in its stored form (normalized; shortened when long)."""
    @property
    def fresh_login(self) -> bool: ...
    @property
    def proxies(self) -> tuple[str, ...]: ...
    @property
    def pgt_url(self) -> str | None: ...
    @property
    def upstream(self) -> tuple[str, ...]: ...
    @property
    def client_id(self) -> str | None:
        """OC, AT and RT: the OAuth client id."""
    @property
    def scope(self) -> str | None:
        """OC, AT and RT: the granted scopes as the ``scope`` parameter writes
        them (the standard OIDC scopes first, then the others in byte order),
        ``""`` for none."""
    @property
    def id_token_claims(self) -> tuple[str, ...]:
        """OC, AT and RT: the claim names asked for in the ID token, in byte order."""
    @property
    def userinfo_claims(self) -> tuple[str, ...]:
        """OC, AT and RT: the claim names asked for at the userinfo endpoint."""
    @property
    def grant_id(self) -> str | None:
        """OC, AT and RT: the grant (token family) id, 16 lowercase hex digits."""
    @property
    def redirect_uri(self) -> str | None:
        """OC: the redirect URI in its stored form (normalized; shortened when long)."""
    @property
    def nonce(self) -> str | None:
        """OC: the OIDC nonce, or None."""
    @property
    def code_challenge(self) -> str | None:
        """OC: the PKCE S256 challenge (unpadded base64url), or None."""
    def verify_pkce(self, verifier: str) -> bool:
        """Whether ``verifier``, the ``code_verifier`` of a token request, meets
        this code's PKCE challenge (RFC 7636 §4.6), compared in constant time.
        False for a code without a challenge and for any other kind."""
    def redirect_uri_is_exactly(self, given: str) -> bool:
        """Whether ``given``, the ``redirect_uri`` of a token request, is
        identical (RFC 6749 §4.1.3) to this code's: already normalized (nothing
        is normalized) and stored as ``redirect_uri``. False for any other kind."""
    @property
    def session_id(self) -> str | None: ...
    @property
    def session_ends_at(self) -> datetime | None: ...
    @property
    def key_id(self) -> str: ...
    @property
    def alg(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

class TicketError(Exception):
    """Base class of every rejection; ``code`` is the C ABI's stable status code."""

    code: int

class TicketTooLong(TicketError):
    length: int
    max: int
    """The cap the library applied: 256, or 384 for a code (and for any text
    before its prefix is read)."""

class MalformedTicket(TicketError):
    detail: Literal[
        "empty", "prefix", "alphabet", "length", "non_canonical", "truncated", "payload", "other"
    ]

class UnsupportedVersion(TicketError):
    version: int

class UnknownKey(TicketError):
    key_id: str

class AuthenticationFailed(TicketError): ...

class TicketExpired(TicketError):
    expired_at: datetime
    now: datetime

class NotYetValid(TicketError):
    issued_at: datetime
    now: datetime

class WrongKind(TicketError):
    expected: Kind
    found: Kind

class ServiceMismatch(TicketError): ...

class InvalidClaims(TicketError):
    reason: Literal[
        "principal",
        "method",
        "too_many_methods",
        "service",
        "url",
        "proxy_chain",
        "validity",
        "session",
        "client",
        "scope",
        "claim_names",
        "nonce",
        "code_challenge",
        "grant",
        "other",
    ]

class KeyringError(TicketError):
    reason: str
