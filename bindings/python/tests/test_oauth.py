"""OAuth 2.0 codes and tokens (OC, AT, RT): a round trip of each kind with every
field, a token request's checks (PKCE, the exact redirect URI), the fields
refused on kinds they do not apply to, each ``InvalidClaims`` reason of the
OAuth fields with its code, and the caps each ``TicketTooLong`` names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cas_ticket_codec import (
    AuthenticationFailed,
    Codec,
    InvalidClaims,
    Kind,
    ServiceMismatch,
    TicketTooLong,
    UnsupportedVersion,
    WrongKind,
)

from conftest import NOW, SERVICE

REDIRECT = "https://moodle.example.edu/auth/oidc/"
GRANT = "6772616e742d6964"
SESSION = "5e551000cafef00d"
# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def typical_code(codec: Codec, **kw: object) -> str:
    args: dict[str, object] = dict(
        methods=["Password"],
        authenticated_at=NOW - timedelta(minutes=5),
        issued_at=NOW,
        session_id=SESSION,
        session_ends_at=NOW + timedelta(hours=8),
        client_id="moodle",
        scope="email openid urn:x:read email",
        grant_id=GRANT,
        id_token_claims=["name", "email_verified", "name"],
        userinfo_claims=["picture"],
        redirect_uri=REDIRECT,
        nonce="n-0S6_WzA2Mj",
        code_challenge=CHALLENGE,
    )
    args.update(kw)
    return codec.encode(Kind.OC, "jdoe@example.edu", **args)  # type: ignore[arg-type]


def test_code_round_trip(codec: Codec) -> None:
    code = typical_code(codec)
    assert code.startswith("OC-") and len(code) <= 384
    t = codec.decode(code, now=NOW + timedelta(seconds=5), kind=Kind.OC)
    assert t.kind is Kind.OC and t.kind == "OC"
    assert t.principal == "jdoe@example.edu" and t.methods == ("Password",)
    assert t.expires_at == NOW + timedelta(seconds=30)  # a code's default lifetime
    assert t.client_id == "moodle"
    assert t.scope == "openid email urn:x:read"  # the scope parameter's one spelling
    assert t.grant_id == GRANT
    assert t.id_token_claims == ("email_verified", "name")  # a set, in byte order
    assert t.userinfo_claims == ("picture",)
    assert t.redirect_uri == REDIRECT
    assert t.nonce == "n-0S6_WzA2Mj"
    assert t.code_challenge == CHALLENGE
    assert t.session_id == SESSION and t.session_ends_at == NOW + timedelta(hours=8)
    assert t.service is None and t.proxies == () and t.pgt_url is None
    assert codec.open_expired(code) == t
    assert len(codec.replay_id(t)) == 16
    # A code is no ST; nor is it an AT, relabelled or asked for.
    with pytest.raises(ServiceMismatch):
        codec.decode(code, REDIRECT, now=NOW)
    with pytest.raises(WrongKind) as e:
        codec.decode(code, now=NOW, kind=Kind.AT)
    assert e.value.expected is Kind.AT and e.value.found is Kind.OC
    with pytest.raises(AuthenticationFailed):
        codec.decode("AT" + code[2:], now=NOW)


def test_the_token_request_checks(codec: Codec) -> None:
    t = codec.decode(typical_code(codec), now=NOW)
    assert t.verify_pkce(VERIFIER)
    assert not t.verify_pkce("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj")
    assert not t.verify_pkce("short")
    assert not t.verify_pkce(VERIFIER + "\0")
    assert t.redirect_uri_is_exactly(REDIRECT)
    # Identical, not equivalent: nothing is normalized.
    assert not t.redirect_uri_is_exactly("https://Moodle.example.edu/auth/oidc/")
    assert not t.redirect_uri_is_exactly("https://moodle.example.edu:443/auth/oidc/")
    assert not t.redirect_uri_is_exactly("https://moodle.example.edu/auth/oidc")
    # A long redirect URI is stored shortened, and still matched exactly.
    long = REDIRECT + "callback/with/a/long/path?state=a8f2e1c7d94b3a6f&tenant=engineering"
    t = codec.decode(typical_code(codec, redirect_uri=long), now=NOW)
    assert t.redirect_uri is not None and "#" in t.redirect_uri and len(t.redirect_uri) <= 64
    assert t.redirect_uri_is_exactly(long) and not t.redirect_uri_is_exactly(long + "x")
    # Without a challenge, no verifier is accepted.
    minimal = codec.encode(
        Kind.OC, "jdoe@example.edu", client_id="moodle", redirect_uri="http://127.0.0.1:8400/cb",
        issued_at=NOW,
    )
    m = codec.decode(minimal, now=NOW)
    assert m.code_challenge is None and m.nonce is None and not m.verify_pkce(VERIFIER)
    assert m.scope == "" and m.id_token_claims == () and m.userinfo_claims == ()
    assert m.grant_id is not None and len(m.grant_id) == 16 and m.grant_id != GRANT
    assert m.session_id is None
    # Another kind is no code.
    st = codec.decode(codec.encode(Kind.ST, "jdoe", service=SERVICE, issued_at=NOW), now=NOW)
    assert not st.verify_pkce(VERIFIER) and not st.redirect_uri_is_exactly(SERVICE)
    assert st.client_id is None and st.scope is None and st.grant_id is None
    assert st.id_token_claims == () and st.redirect_uri is None


@pytest.mark.parametrize("kind, lifetime", [(Kind.AT, timedelta(hours=1)), (Kind.RT, timedelta(hours=8))])
def test_token_round_trip(codec: Codec, kind: Kind, lifetime: timedelta) -> None:
    code = codec.decode(typical_code(codec), now=NOW)
    assert code.grant_id is not None and code.session_ends_at is not None
    token = codec.encode(
        kind, "jdoe@example.edu", client_id="moodle", scope="openid profile email",
        grant_id=code.grant_id, issued_at=NOW, session_id=code.session_id,
        session_ends_at=code.session_ends_at,
    )
    assert token.startswith(f"{kind.value}-") and len(token) <= 256
    t = codec.decode(token, now=NOW, kind=kind)
    assert t.kind is kind and t.expires_at - t.issued_at == lifetime
    assert t.client_id == "moodle" and t.scope == "openid profile email"
    assert t.grant_id == GRANT and t.session_id == SESSION
    assert t.redirect_uri is None and t.nonce is None and t.code_challenge is None
    assert not t.verify_pkce(VERIFIER) and not t.redirect_uri_is_exactly(REDIRECT)


@pytest.mark.parametrize(
    "kind, kw, message",
    [
        (Kind.AT, dict(redirect_uri=REDIRECT), "redirect_uri applies to an OC only"),
        (Kind.RT, dict(nonce="n"), "nonce applies to an OC only"),
        (Kind.AT, dict(code_challenge=CHALLENGE), "code_challenge applies to an OC only"),
        (Kind.ST, dict(service=SERVICE, client_id="moodle"), "client_id applies to OC, AT and RT only"),
        (Kind.TGT, dict(scope="openid"), "scope applies to OC, AT and RT only"),
        (Kind.ST, dict(service=SERVICE, grant_id=GRANT), "grant_id applies to OC, AT and RT only"),
        (Kind.PGT, dict(pgt_url="https://p.example.edu/cb", id_token_claims=["name"]),
         "id_token_claims applies to OC, AT and RT only"),
        (Kind.TGT, dict(userinfo_claims=["name"]), "userinfo_claims applies to OC, AT and RT only"),
        (Kind.ST, dict(service=SERVICE, redirect_uri=REDIRECT), "redirect_uri applies to an OC only"),
        (Kind.OC, dict(client_id="moodle", redirect_uri=REDIRECT, service=SERVICE),
         "service applies to ST and PT only"),
        (Kind.AT, dict(client_id="moodle", fresh_login=True), "fresh_login applies to an ST only"),
        (Kind.AT, dict(), "needs a client_id"),
        (Kind.OC, dict(client_id="moodle"), "an OC needs a redirect_uri"),
    ],
)
def test_misplaced_and_missing_fields(codec: Codec, kind: Kind, kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as e:
        codec.encode(kind, "jdoe", issued_at=NOW, **kw)  # type: ignore[arg-type]
    assert message in str(e.value)


@pytest.mark.parametrize(
    "kw, reason, code",
    [
        (dict(scope="openid  email"), "scope", 61),
        (dict(scope=" openid"), "scope", 61),
        (dict(scope="openid "), "scope", 61),
        (dict(scope='open"id'), "scope", 61),
        (dict(scope="\u00e9"), "scope", 61),
        (dict(scope=" ".join(f"s{i}" for i in range(17))), "scope", 61),
        (dict(client_id=""), "client", 60),
        (dict(client_id="mood\nle"), "client", 60),
        (dict(client_id="c" * 65), "client", 60),
        (dict(userinfo_claims=[""]), "claim_names", 62),
        (dict(id_token_claims=[f"c{i}" for i in range(17)]), "claim_names", 62),
        (dict(nonce=""), "nonce", 63),
        (dict(nonce="n\x01"), "nonce", 63),
        (dict(nonce="n" * 129), "nonce", 63),
        (dict(code_challenge=CHALLENGE + "="), "code_challenge", 64),
        (dict(code_challenge=CHALLENGE[:-1]), "code_challenge", 64),
        (dict(grant_id="0123"), "grant", 65),
        (dict(grant_id="0123456789abcdeg"), "grant", 65),
        (dict(redirect_uri="javascript://%0aalert(1)"), "service", 23),
    ],
)
def test_invalid_oauth_claims(codec: Codec, kw: dict[str, object], reason: str, code: int) -> None:
    with pytest.raises(InvalidClaims) as e:
        typical_code(codec, **kw)
    assert e.value.reason == reason, e.value
    assert e.value.code == code


def test_an_invalid_scope_says_so_exactly(codec: Codec) -> None:
    with pytest.raises(InvalidClaims) as e:
        codec.encode(Kind.AT, "jdoe", client_id="moodle", scope="openid  email")
    assert (e.value.reason, e.value.code) == ("scope", 61)
    assert str(e.value) == (
        "invalid claims: scope is not an RFC 6749 scope token, or over 16 are not standard"
    )


def many_scopes() -> str:
    """16 scopes of 40 characters that no phrase shortens: over every cap."""
    alphabet, x, scopes = "abcdefghijklmnopqrstuvwxyz0123456789:._-", 12345, []
    for _ in range(16):
        token = ""
        for _ in range(40):
            x = (x * 1103515245 + 12345) & 0xFFFFFFFF
            token += alphabet[(x >> 16) % 40]
        scopes.append(token)
    return " ".join(scopes)


def test_caps_as_the_library_reports_them(codec: Codec) -> None:
    with pytest.raises(TicketTooLong) as e:
        typical_code(codec, scope=many_scopes())
    assert e.value.max == 384 and e.value.length > 384 and e.value.code == 1
    with pytest.raises(TicketTooLong) as e:
        codec.encode(Kind.AT, "jdoe", client_id="moodle", scope=many_scopes())
    assert e.value.max == 256 and e.value.length > 256
    with pytest.raises(TicketTooLong) as e:
        codec.decode("OC-" + "0" * 382, now=NOW)
    assert (e.value.length, e.value.max) == (385, 384)
    with pytest.raises(UnsupportedVersion):
        codec.decode("OC-" + "0" * 381, now=NOW)  # at its cap: read
    with pytest.raises(TicketTooLong) as e:
        codec.decode("RT-" + "0" * 254, now=NOW)
    assert (e.value.length, e.value.max) == (257, 256)
    with pytest.raises(TicketTooLong) as e:
        codec.decode("_" * 385, now=NOW)
    assert (e.value.length, e.value.max) == (385, 384)
