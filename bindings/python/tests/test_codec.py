"""The Python API: every kind round trip, one test per exception class, argument
handling, immutability, and threads sharing one codec with the GIL released."""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import cas_ticket_codec
from cas_ticket_codec import (
    AuthenticationFailed,
    Codec,
    InvalidClaims,
    KeyringError,
    Kind,
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
)

from conftest import NOW, SERVICE


def typical_st(codec: Codec, **kw: object) -> str:
    args: dict[str, object] = dict(
        service=SERVICE,
        methods=["Password"],
        authenticated_at=NOW - timedelta(minutes=5),
        issued_at=NOW,
        lifetime=10,
    )
    args.update(kw)
    return codec.encode(Kind.ST, "jdoe@example.edu", **args)  # type: ignore[arg-type]


def test_typical_st(codec: Codec) -> None:
    st = typical_st(codec)
    assert st.startswith("ST-") and len(st) == 102
    t = codec.decode(st, SERVICE, now=NOW + timedelta(seconds=9), kind=Kind.ST)
    assert t.kind is Kind.ST and t.kind == "ST"
    assert t.principal == "jdoe@example.edu"
    assert t.methods == ("Password",)
    assert t.authenticated_at == NOW - timedelta(minutes=5)
    assert t.issued_at == NOW
    assert t.expires_at == NOW + timedelta(seconds=10)
    assert t.expires_at.tzinfo is timezone.utc
    assert t.service == SERVICE and not t.fresh_login and not t.remember_me
    assert t.proxies == () and t.pgt_url is None and t.upstream == ()
    assert t.session_id is None and t.session_ends_at is None
    assert len(t.key_id) == 4 and t.alg == "aes256gcm"
    assert "principal='jdoe@example.edu'" in repr(t)


def test_every_kind(codec: Codec) -> None:
    tgt = codec.encode(
        "TGT", "jdoe@example.edu", methods=["Password", "MFA"], remember_me=True,
        authenticated_at=NOW, issued_at=NOW, session_id="new",
    )
    session = codec.decode(tgt, now=NOW, kind="TGT")
    assert session.kind is Kind.TGT and session.remember_me
    assert session.expires_at == NOW + timedelta(hours=8)
    assert session.session_id is not None and len(session.session_id) == 16
    assert session.session_ends_at == session.expires_at
    st = typical_st(
        codec, fresh_login=True, session_id=session.session_id,
        session_ends_at=session.session_ends_at,
    )
    assert len(st) == 119
    t = codec.decode(st, "HTTPS://APP.EXAMPLE.EDU:443/login?target=%2Fhome", now=NOW)
    assert t.fresh_login and t.session_id == session.session_id
    pgt = codec.encode(
        Kind.PGT, "jdoe@example.edu",
        pgt_url="https://mail-gateway.example.edu:8443/pgtCallback",
        upstream=["https://portal.example.edu/cas/proxyCallback"], issued_at=NOW,
    )
    p = codec.decode(pgt, now=NOW, kind=Kind.PGT)
    assert p.pgt_url == "https://mail-gateway.example.edu:8443/pgtCallback"
    assert p.upstream == ("https://portal.example.edu/cas/proxyCallback",)
    assert p.expires_at == NOW + timedelta(hours=2)
    chain = [p.pgt_url, *p.upstream]
    pt = codec.encode(
        Kind.PT, "jdoe@example.edu", service="https://imap.example.edu/webmail/inbox?folder=INBOX",
        proxies=chain, issued_at=NOW,
    )
    x = codec.decode(pt, "https://imap.example.edu/webmail/inbox?folder=INBOX", now=NOW)
    assert x.kind is Kind.PT and list(x.proxies) == chain
    # The current clock by default.
    assert codec.decode(codec.encode(Kind.ST, "jdoe", service=SERVICE), SERVICE).principal == "jdoe"


def test_tampered_and_relabelled(codec: Codec) -> None:
    st = typical_st(codec)
    i = next(i for i in range(40, len(st)) if st[i] != "0")
    with pytest.raises(AuthenticationFailed) as e:
        codec.decode(st[:i] + "0" + st[i + 1 :], now=NOW)
    assert e.value.code == 4
    with pytest.raises(AuthenticationFailed):
        codec.decode("P" + st[1:], now=NOW)


def test_expired_and_leeway(codec: Codec) -> None:
    st = typical_st(codec)
    with pytest.raises(TicketExpired) as e:
        codec.decode(st, SERVICE, now=NOW + timedelta(seconds=10))
    assert e.value.expired_at == NOW + timedelta(seconds=10)
    assert e.value.now == NOW + timedelta(seconds=10)
    assert str(e.value).startswith("expired at 2026-11-22T10:00:10Z")
    codec.decode(st, SERVICE, now=NOW + timedelta(seconds=12), leeway=5)
    codec.decode(st, SERVICE, now=NOW + timedelta(seconds=12), leeway=timedelta(seconds=5))
    with pytest.raises(TicketExpired) as e:
        codec.decode(st, SERVICE, now=NOW + timedelta(seconds=15), leeway=5)
    assert e.value.now == NOW + timedelta(seconds=15)
    with pytest.raises(TicketExpired):
        codec.decode(st, SERVICE, now=NOW + timedelta(seconds=10), leeway=-5)
    with pytest.raises(TicketExpired):
        codec.decode(st, SERVICE)  # the current clock: long after 2026-11-22T10:00:10Z


def test_not_yet_valid_and_leeway(codec: Codec) -> None:
    st = typical_st(codec)
    with pytest.raises(NotYetValid) as e:
        codec.decode(st, SERVICE, now=NOW - timedelta(seconds=5))
    assert e.value.code == 8
    assert e.value.issued_at == NOW
    assert e.value.now == NOW - timedelta(seconds=5)
    assert str(e.value).startswith("not valid yet")
    codec.decode(st, SERVICE, now=NOW - timedelta(seconds=1))
    codec.decode(st, SERVICE, now=NOW - timedelta(seconds=5), leeway=4)
    with pytest.raises(NotYetValid):
        codec.decode(st, SERVICE, now=NOW - timedelta(seconds=6), leeway=4)


def test_service_mismatch(codec: Codec) -> None:
    st = typical_st(codec)
    with pytest.raises(ServiceMismatch) as e:
        codec.decode(st, "https://app.example.edu/login?target=%2Fother", now=NOW)
    assert e.value.code == 7
    tgt = codec.encode(Kind.TGT, "jdoe")
    with pytest.raises(ServiceMismatch):
        codec.decode(tgt, SERVICE)


def test_wrong_kind(codec: Codec) -> None:
    with pytest.raises(WrongKind) as e:
        codec.decode(typical_st(codec), now=NOW, kind=Kind.PT)
    assert e.value.expected is Kind.PT and e.value.found is Kind.ST


def test_unknown_key(codec: Codec, key_files: tuple[Path, Path]) -> None:
    other = Codec.load(key_files[1])
    st = typical_st(other)
    with pytest.raises(UnknownKey) as e:
        codec.decode(st, now=NOW)
    assert e.value.key_id == other.decode(st, now=NOW).key_id


@pytest.mark.parametrize(
    "text, detail",
    [
        ("", "empty"),
        ("XT-abc", "prefix"),
        ("st-abc", "prefix"),
        ("ST-abc_def", "alphabet"),
        ("ST-abc\u00e9", "alphabet"),
        ("\0", "prefix"),
        ("ST-0AqwdJ9Npzs" + "0" * 38, "truncated"),
    ],
)
def test_malformed(codec: Codec, text: str, detail: str) -> None:
    with pytest.raises(MalformedTicket) as e:
        codec.decode(text, now=NOW)
    assert e.value.detail == detail


def test_malformed_length(codec: Codec) -> None:
    st = typical_st(codec)
    cut = len(st)
    while (cut - 3) % 11 not in (1, 4, 8):  # a body length no byte count has
        cut -= 1
    with pytest.raises(MalformedTicket) as e:
        codec.decode(st[:cut], now=NOW)
    assert e.value.detail == "length" and e.value.code == 13


def test_too_long(codec: Codec) -> None:
    with pytest.raises(TicketTooLong) as e:
        codec.decode("ST-" + "A" * 297, now=NOW)
    assert (e.value.length, e.value.max) == (300, 256)
    upstream = [f"https://proxy{i}.qzxv{i * 7919}jwkq.example.edu/cb{i * 104729}xqzv" for i in range(7)]
    with pytest.raises(TicketTooLong):
        codec.encode(Kind.PGT, "jdoe", pgt_url="https://callback.example.edu/cb", upstream=upstream)


@pytest.mark.parametrize(
    "kw, reason",
    [
        (dict(principal=""), "principal"),
        (dict(principal="jdoe\n"), "principal"),
        (dict(principal="jdoe\0admin"), "principal"),
        (dict(methods=[""]), "method"),
        (dict(methods=list("abcdefghi")), "too_many_methods"),
        (dict(service="javascript://%0aalert(1)"), "service"),
        (dict(service="https://evil.test\\@good.example/"), "service"),
        (dict(kind=Kind.PT, proxies=["ftp://p.example.edu/"]), "url"),
        (dict(kind=Kind.PT), "proxy_chain"),
        (dict(lifetime=0), "validity"),
        (dict(issued_at=datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc), lifetime=3600), "validity"),
        (dict(session_id="xyz", session_ends_at=NOW), "session"),
        (dict(session_id="00112233445566ff", session_ends_at=NOW + timedelta(seconds=5)), "session"),
    ],
)
def test_invalid_claims(codec: Codec, kw: dict[str, object], reason: str) -> None:
    args: dict[str, object] = dict(kind=Kind.ST, principal="jdoe", service=SERVICE, issued_at=NOW)
    args.update(kw)
    kind, principal = args.pop("kind"), args.pop("principal")
    with pytest.raises(InvalidClaims) as e:
        codec.encode(kind, principal, **args)  # type: ignore[arg-type]
    assert e.value.reason == reason, e.value
    assert 20 <= e.value.code <= 29


def test_keyring_errors(keys: Path, tmp_path: Path) -> None:
    with pytest.raises(KeyringError) as e:
        Codec.load(tmp_path / "missing.json")
    assert e.value.reason == "io" and e.value.code == 30
    open_copy = tmp_path / "open.json"
    open_copy.write_bytes(keys.read_bytes())
    open_copy.chmod(0o644)
    with pytest.raises(KeyringError) as e:
        Codec.load(open_copy)
    assert e.value.reason == "insecure_permissions"
    assert "chmod 600" in str(e.value)
    secret = keys.read_text().split('"secret": "')[1].split('"')[0]
    assert secret not in str(e.value)
    broken = tmp_path / "broken.json"
    fd = os.open(broken, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b'{"version":')
    os.close(fd)
    with pytest.raises(KeyringError) as e:
        Codec.load(broken)
    assert e.value.reason == "syntax"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    Codec.load(str(keys))  # str or PathLike


def test_arguments(codec: Codec) -> None:
    with pytest.raises(ValueError, match="service applies to ST and PT only"):
        codec.encode(Kind.TGT, "jdoe", service=SERVICE)
    with pytest.raises(ValueError, match="needs a service"):
        codec.encode(Kind.ST, "jdoe")
    with pytest.raises(ValueError, match="kind"):
        codec.encode("st", "jdoe", service=SERVICE)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        codec.encode(2, "jdoe", service=SERVICE)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        codec.decode(typical_st(codec), now=datetime(2026, 11, 22, 10, 0, 5))
    with pytest.raises(TypeError):
        codec.decode(typical_st(codec), now=1795341605)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        codec.encode(Kind.ST, "jdoe", service=SERVICE, methods="Password")
    # Any timezone names the same instant.
    paris = (NOW + timedelta(seconds=5)).astimezone(ZoneInfo("Europe/Paris"))
    assert codec.decode(typical_st(codec), now=paris).principal == "jdoe@example.edu"
    t = codec.decode(typical_st(codec, issued_at=NOW.astimezone(ZoneInfo("America/New_York"))), now=NOW)
    assert t.issued_at == NOW


def test_every_rejection_is_a_ticket_error() -> None:
    for cls in (TicketTooLong, MalformedTicket, UnsupportedVersion, UnknownKey,
                AuthenticationFailed, TicketExpired, NotYetValid, WrongKind, ServiceMismatch,
                InvalidClaims, KeyringError):
        assert issubclass(cls, TicketError) and cls.__module__ == "cas_ticket_codec"
    assert set(cas_ticket_codec.__all__) >= {"Codec", "Ticket", "Kind", "TicketError"}


def test_tickets_are_frozen_and_hashable(codec: Codec) -> None:
    st = typical_st(codec)
    a, b = codec.decode(st, now=NOW), codec.decode(st, now=NOW)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != codec.decode(typical_st(codec, lifetime=20), now=NOW)
    with pytest.raises(AttributeError):
        a.principal = "root"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Ticket()


def test_threads_share_one_codec(codec: Codec) -> None:
    """8 threads encode and decode with one codec; each sees its own results."""

    def work(n: int) -> int:
        for i in range(500):
            principal = f"user{n}-{i}@example.edu"
            at = NOW + timedelta(seconds=n * 100 + i % 50)
            st = codec.encode(Kind.ST, principal, service=SERVICE, issued_at=at)
            t = codec.decode(st, SERVICE, now=at, kind=Kind.ST)
            assert t.principal == principal and t.expires_at == at + timedelta(seconds=10)
            if i % 10 == 0:
                late = at + timedelta(seconds=30 + n)
                with pytest.raises(TicketExpired) as e:
                    codec.decode(st, SERVICE, now=late)
                assert e.value.now == late
        return n

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(work, range(8))) == list(range(8))


def test_the_gil_is_released(tmp_path: Path) -> None:
    """Another Python thread runs while a call is in the library.

    Loading a keyring of 8,000 keys derives every key's subkeys: tens of
    milliseconds in one call. A counting thread is read just before and just
    after that call: had the call held the GIL, the counter could not have
    moved in between (the call never returns to the interpreter to hand the
    GIL over). Encode and decode release it the same way (``Python::detach``
    around the library call)."""
    path = tmp_path / "many.json"
    ids = [f"{i:04x}" for i in range(1, 8001)]
    keyring = {
        "version": 1,
        "primary": ids[0],
        "keys": [
            {"id": i, "alg": "aes256gcm", "secret": base64.b64encode(secrets.token_bytes(32)).decode()}
            for i in ids
        ],
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(keyring, f)

    stop = threading.Event()
    ticks = [0]

    def spin() -> None:
        while not stop.is_set():
            ticks[0] += 1

    # Hand the GIL over every 50 µs: outside the call the counter can then only
    # move for a few switch intervals, inside it for the whole call if released.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(50e-6)
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        start, before = time.perf_counter(), ticks[0]
        time.sleep(0.05)
        rate = (ticks[0] - before) / (time.perf_counter() - start)  # free-running
        start, before = time.perf_counter(), ticks[0]
        codec = Codec.load(path)
        elapsed, during = time.perf_counter() - start, ticks[0] - before
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(interval)
    share = during / (rate * elapsed)
    print(f"load {elapsed * 1e3:.1f} ms, counter at {share:.0%} of its free rate")
    assert share > 0.15, f"the counting thread ran at {share:.1%} of its rate during the load"
    st = codec.encode(Kind.ST, "jdoe", service=SERVICE, issued_at=NOW)
    assert codec.decode(st, now=NOW).key_id == "0001"
