"""Every known-answer vector of tests/vectors/*.json, decoded from Python and
checked as tests/vectors.rs checks it: the expected class, the malformed
detail, the claims of an ``ok`` vector, the key id, the instant of an expiry;
and the service URL battery (tests/vectors/urls/services.json)."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cas_ticket_codec import (
    AuthenticationFailed,
    Codec,
    InvalidClaims,
    Kind,
    MalformedTicket,
    NotYetValid,
    ServiceMismatch,
    Ticket,
    TicketExpired,
    TicketTooLong,
    UnknownKey,
    UnsupportedVersion,
    WrongKind,
)

from conftest import NOW, VECTORS

FILES = sorted(VECTORS.glob("*.json"))
CLASSES: dict[type[Exception], str] = {
    MalformedTicket: "malformed",
    UnknownKey: "unknown_key",
    AuthenticationFailed: "auth_failed",
    TicketExpired: "expired",
    WrongKind: "wrong_kind",
    TicketTooLong: "too_long",
    UnsupportedVersion: "unsupported_version",
    ServiceMismatch: "service_mismatch",
    NotYetValid: "not_yet_valid",
}


def rfc3339(t: datetime) -> str:
    assert t.utcoffset() == timedelta(0)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def claims_json(t: Ticket) -> dict[str, Any]:
    """The claims as the vectors record them (the library's JSON view)."""
    out: dict[str, Any] = {
        "kind": t.kind.value,
        "principal": t.principal,
        "authenticated_at": rfc3339(t.authenticated_at),
        "methods": list(t.methods),
        "remember_me": t.remember_me,
        "issued_at": rfc3339(t.issued_at),
        "expires_at": rfc3339(t.expires_at),
    }
    if t.kind is Kind.ST:
        out.update(service=t.service, renew=t.fresh_login)
    elif t.kind is Kind.PT:
        out.update(service=t.service, proxies=list(t.proxies))
    elif t.kind is Kind.PGT:
        out.update(pgt_url=t.pgt_url, upstream=list(t.upstream))
    elif t.kind in (Kind.OC, Kind.AT, Kind.RT):
        out.update(
            client_id=t.client_id,
            scope=t.scope,
            claims={"id_token": list(t.id_token_claims), "userinfo": list(t.userinfo_claims)},
            grant_id=t.grant_id,
        )
        if t.kind is Kind.OC:
            out["redirect_uri"] = t.redirect_uri
            if t.nonce is not None:
                out["nonce"] = t.nonce
            if t.code_challenge is not None:
                out["code_challenge"] = t.code_challenge
    if t.session_id is not None:
        assert t.session_ends_at is not None
        out.update(session_id=t.session_id, session_ends_at=rfc3339(t.session_ends_at))
    return out


def key_file(directory: Path, keyring: dict[str, Any]) -> Path:
    """The vector's keyring in a key file created with mode 0600."""
    path = directory / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keyring, f)
    return path


def test_there_are_vectors_of_every_class() -> None:
    assert len(FILES) >= 25
    expects = {json.loads(f.read_text())["expect"] for f in FILES}
    assert expects >= {"ok", *CLASSES.values()}


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_vector(path: Path, tmp_path: Path) -> None:
    v = json.loads(path.read_text())
    codec = Codec.load(key_file(tmp_path, v["keyring"]))
    now = datetime.fromisoformat(v["now"].replace("Z", "+00:00"))
    try:
        ticket = codec.decode(
            v["ticket"],
            v.get("service"),
            now=now,
            kind=v.get("kind"),
            leeway=v.get("leeway_seconds", 0),
        )
        error = None
    except Exception as e:  # noqa: BLE001 - the class is what is checked
        ticket, error = None, e
    got = "ok" if error is None else CLASSES.get(type(error), f"other: {error!r}")
    assert got == v["expect"], error
    assert (v["expect"] == "malformed") == ("detail" in v)
    if isinstance(error, MalformedTicket):
        assert error.detail == v["detail"]
        assert 10 <= error.code <= 19
    if isinstance(error, (TicketExpired, NotYetValid)):
        assert error.now == now
    if ticket is not None:
        assert claims_json(ticket) == v["claims"]
        assert ticket.key_id == v["keyring"]["primary"]
    if "service_url" in v:
        st = codec.encode(Kind.ST, "jdoe@example.edu", service=v["service_url"], issued_at=now)
        back = codec.decode(st, v["service_url"], now=now, kind=Kind.ST)
        assert back.service == v["claims"]["service"]


def test_service_url_battery(codec: Codec) -> None:
    cases = json.loads((VECTORS / "urls" / "services.json").read_text())["cases"]
    assert len(cases) >= 40
    for case in cases:
        url, stored = case["url"], case["stored"]
        if stored is None:
            with pytest.raises(InvalidClaims) as e:
                codec.encode(Kind.ST, "jdoe@example.edu", service=url, issued_at=NOW)
            assert e.value.reason == "service", url
            continue
        st = codec.encode(Kind.ST, "jdoe@example.edu", service=url, issued_at=NOW)
        assert codec.decode(st, url, now=NOW).service == stored, url
        assert codec.decode(st, case["normalized"], now=NOW).service == stored, url
