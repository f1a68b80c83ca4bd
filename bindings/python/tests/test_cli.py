"""Cross-checks with ``ticketctl``, both ways: tickets minted by ``ticketctl encode``
decode in Python to the same claims, and tickets encoded in Python decode with
``ticketctl decode`` to the same JSON (the library's claims view) and are
rejected with the same reasons. Tickets go through stdin, never argv."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cas_ticket_codec import Codec, Kind, ServiceMismatch, TicketExpired

from conftest import NOW, SERVICE
from test_vectors import claims_json, rfc3339

AT = rfc3339(NOW)


def run(ticketctl: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ticketctl, *args], input=stdin, capture_output=True, text=True)


def mint(ticketctl: str, keys: Path, *args: str) -> str:
    out = run(ticketctl, "encode", "--keys", str(keys), "--at", AT, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def ctl_decode(ticketctl: str, keys: Path, ticket: str, *args: str) -> dict[str, Any]:
    out = run(ticketctl, "decode", "--keys", str(keys), *args, "-", stdin=ticket)
    assert out.returncode == 0, out.stderr
    decoded: dict[str, Any] = json.loads(out.stdout)
    return decoded


MINTED = [
    ("st", ["--kind", "st", "--service", SERVICE, "--method", "Password"]),
    ("st renew remember-me", ["--kind", "st", "--service", SERVICE, "--renew", "--remember-me",
                              "--method", "Password", "--method", "MFA", "--ttl", "30s"]),
    ("st in a session", ["--kind", "st", "--service", SERVICE, "--session", "5e551000cafef00d",
                         "--session-end", rfc3339(NOW + timedelta(hours=8))]),
    ("tgt", ["--kind", "tgt", "--session", "new", "--method", "Password"]),
    ("pt", ["--kind", "pt", "--service", "https://imap.example.edu/webmail/inbox?folder=INBOX",
            "--proxy", "https://mail-gateway.example.edu:8443/pgtCallback",
            "--proxy", "https://portal.example.edu/cas/proxyCallback"]),
    ("pgt", ["--kind", "pgt", "--pgt-url", "https://mail-gateway.example.edu:8443/pgtCallback",
             "--upstream", "https://portal.example.edu/cas/proxyCallback"]),
    ("oc", ["--kind", "oc", "--client", "moodle", "--scope", "profile openid urn:x:read",
            "--grant", "6772616e742d6964", "--id-token-claim", "name", "--userinfo-claim", "email",
            "--redirect-uri", "https://moodle.example.edu/auth/oidc/", "--nonce", "n-0S6_WzA2Mj",
            "--code-challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"]),
    ("oc minimal", ["--kind", "oc", "--client", "moodle", "--redirect-uri", "http://127.0.0.1:8400/cb"]),
    ("at", ["--kind", "at", "--client", "moodle", "--scope", "openid"]),
    ("rt in a session", ["--kind", "rt", "--client", "moodle", "--scope", "offline_access",
                         "--session", "5e551000cafef00d",
                         "--session-end", rfc3339(NOW + timedelta(hours=8))]),
]


@pytest.mark.parametrize("args", [a for _, a in MINTED], ids=[n for n, _ in MINTED])
def test_ticketctl_mints_python_decodes(ticketctl: str, keys: Path, codec: Codec, args: list[str]) -> None:
    ticket = mint(ticketctl, keys, "--principal", "jdoe@example.edu", *args)
    expected = ctl_decode(ticketctl, keys, ticket, "--at", AT)
    t = codec.decode(ticket, now=NOW)
    assert claims_json(t) == {
        k: v for k, v in expected.items() if k not in ("key_id", "alg", "validated_at")
    }
    assert (t.key_id, t.alg) == (expected["key_id"], expected["alg"])
    assert t.kind is Kind(expected["kind"])


ENCODED: list[tuple[str, dict[str, Any]]] = [
    ("st", dict(kind=Kind.ST, service=SERVICE, methods=["Password"])),
    ("st fresh login", dict(kind=Kind.ST, service=SERVICE, fresh_login=True, remember_me=True,
                            methods=["Password", "MFA"], lifetime=timedelta(seconds=30))),
    ("st long service", dict(kind=Kind.ST, service="https://App.Example.edu:443/portal/apps/"
                             "reporting/dashboard?view=monthly&region=emea#top")),
    ("tgt session", dict(kind=Kind.TGT, session_id="new", methods=["Password"])),
    ("pt", dict(kind=Kind.PT, service="https://imap.example.edu/webmail/inbox?folder=INBOX",
                proxies=["https://mail-gateway.example.edu:8443/pgtCallback"])),
    ("pgt session", dict(kind=Kind.PGT, pgt_url="https://gateway.example.edu:8443/pgt",
                         session_id="5e551000cafef00d", session_ends_at=NOW + timedelta(hours=8))),
    ("oc", dict(kind=Kind.OC, client_id="moodle", scope="openid profile urn:x:read",
                redirect_uri="https://moodle.example.edu/auth/oidc/", nonce="n-0S6_WzA2Mj",
                code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                id_token_claims=["name"], userinfo_claims=["email", "picture"])),
    ("oc minimal", dict(kind=Kind.OC, client_id="moodle", redirect_uri="http://127.0.0.1:8400/cb")),
    ("at", dict(kind=Kind.AT, client_id="moodle", scope="openid", grant_id="6772616e742d6964",
                session_id="5e551000cafef00d", session_ends_at=NOW + timedelta(hours=8))),
    ("rt", dict(kind=Kind.RT, client_id="moodle", scope="offline_access openid")),
]


@pytest.mark.parametrize("kw", [k for _, k in ENCODED], ids=[n for n, _ in ENCODED])
def test_python_encodes_ticketctl_decodes(ticketctl: str, keys: Path, codec: Codec, kw: dict[str, Any]) -> None:
    kw = dict(kw)
    kind = kw.pop("kind")
    ticket = codec.encode(kind, "jdoe@example.edu", authenticated_at=NOW - timedelta(minutes=5),
                          issued_at=NOW, **kw)
    decoded = ctl_decode(ticketctl, keys, ticket, "--at", rfc3339(NOW + timedelta(seconds=1)))
    t = codec.decode(ticket, now=NOW)
    assert {k: v for k, v in decoded.items() if k not in ("key_id", "alg", "validated_at")} == claims_json(t)
    assert decoded["key_id"] == t.key_id


def test_rejections_agree(ticketctl: str, keys: Path, codec: Codec) -> None:
    st = codec.encode(Kind.ST, "jdoe@example.edu", service=SERVICE, issued_at=NOW)
    later = NOW + timedelta(seconds=10)
    # Expired: exit 3 for ticketctl, TicketExpired for Python, both at the same instant.
    out = run(ticketctl, "decode", "--keys", str(keys), "--at", rfc3339(later), "-", stdin=st)
    assert out.returncode == 3 and "expired at " + rfc3339(later) in out.stderr
    with pytest.raises(TicketExpired) as e:
        codec.decode(st, now=later)
    assert "ticket " + str(e.value) in out.stderr
    # Leeway: both accept 2 s past expiry with 5 s of leeway.
    assert run(ticketctl, "decode", "--keys", str(keys), "--at", rfc3339(later + timedelta(seconds=2)),
               "--leeway", "5s", "-", stdin=st).returncode == 0
    codec.decode(st, now=later + timedelta(seconds=2), leeway=5)
    # Wrong service: exit 4, ServiceMismatch.
    other = "https://app.example.edu/login?target=%2Fother"
    out = run(ticketctl, "decode", "--keys", str(keys), "--at", AT, "--service", other, "-", stdin=st)
    assert out.returncode == 4
    with pytest.raises(ServiceMismatch):
        codec.decode(st, other, now=NOW)
    # Tampered: exit 1, the same message.
    i = next(i for i in range(40, len(st)) if st[i] != "0")
    bad = st[:i] + "0" + st[i + 1 :]
    out = run(ticketctl, "decode", "--keys", str(keys), "--at", AT, "-", stdin=bad)
    assert out.returncode == 1 and "ticket authentication failed" in out.stderr


def test_inspect_sees_what_python_wrote(ticketctl: str, codec: Codec) -> None:
    st = codec.encode(Kind.ST, "jdoe@example.edu", service=SERVICE, issued_at=NOW)
    out = run(ticketctl, "inspect", "-", stdin=st)
    header = json.loads(out.stdout)
    assert header["kind"] == "ST" and header["length"] == len(st) == 102
    assert header["key_id"] == codec.decode(st, now=NOW).key_id
