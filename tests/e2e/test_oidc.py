"""The pool as an OpenID provider, driven by a real relying party (authlib,
the OAuth client of Flask and Django sites): discovery, the code flow with
PKCE across three nodes, the ID token verified with the published keys, the
userinfo claims from the directory, refresh, one SSO for CAS and OIDC, and
an attacker's replays and substitutions.

The pool's public name is ISSUER's origin (a load balancer's, in
production); the test's browser maps it onto the nodes in turn, so a login
starts on one node, finishes on another, and the tokens come from a third.
"""

import base64
import hashlib
import json
import subprocess
from itertools import cycle
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from conftest import CAS_NODE, PASSWORD, USER, default_services
from test_pool import hidden_fields, login

ISSUER = "https://sso.example.edu/cas/oidc"
ORIGIN = "https://sso.example.edu"
REDIRECT = "https://rp.example.edu/oidc/callback"
PUBLIC_REDIRECT = "http://127.0.0.1:8400/callback"
GOODBYE = "https://rp.example.edu/logged-out"
SECRET = "a client secret: 7Qm2-kd93-Zz01"
TIMEOUT = 10


def cas_node(*args, stdin=None):
    done = subprocess.run([str(CAS_NODE), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def clients():
    """A confidential web client and a public one (a single-page app)."""
    secret_hash = cas_node("hash-password", stdin=SECRET + "\n")
    return [
        {"name": "Moodle", "client_id": "moodle", "secret_hash": secret_hash,
         "redirect_uris": [REDIRECT], "scopes": ["openid", "profile", "email"],
         "claims": ["email", "name", "memberOf"], "post_logout_redirect_uris": [GOODBYE]},
        {"name": "Planner", "client_id": "planner", "public": True,
         "redirect_uris": [PUBLIC_REDIRECT], "scopes": ["openid", "email"], "claims": ["email"]},
        {"name": "Grades API", "client_id": "grades-api", "secret_hash": secret_hash,
         "redirect_uris": ["https://api.example.edu/unused"], "introspect": True},
    ]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """A three-node pool that is an OpenID provider, with a Redis store."""
    from conftest import Pool, RedisServer

    workdir = tmp_path_factory.mktemp("oidc")
    keys = workdir / "signing.json"
    cas_node("signing-keys", "new", "--out", keys, "--alg", "rs256")
    redis_server = RedisServer(workdir)
    pool = Pool(workdir, services=[*default_services(), *clients()], extra_args=[
        "--oidc-issuer", ISSUER, "--oidc-signing-keys", keys, "--store", redis_server.url,
        "--st-ttl", "5s",
    ])
    pool.signing_keys = keys
    yield pool
    pool.stop()
    redis_server.stop()


class Browser:
    """A browser on the pool: URLs at ORIGIN go to the nodes in turn."""

    def __init__(self, pool):
        self.session = requests.Session()
        self.nodes = cycle(pool.nodes)
        self.origins = [ORIGIN, *(node.url.split("/cas/")[0] for node in pool.nodes)]
        self.seen = []

    def on_node(self, url):
        """`url` on the next node, if it is the pool's (its public name or
        any node's address), as a load balancer would send it."""
        origin = next((o for o in self.origins if url.startswith(o + "/")), None)
        if origin is None:
            return url
        node = next(self.nodes)
        self.seen.append(node.name)
        return node.url.split("/cas/")[0] + url[len(origin):]

    def get(self, url):
        return self.session.get(self.on_node(url), allow_redirects=False, timeout=TIMEOUT)

    def authorize(self, url, log_in=True):
        """Follows an authorization request until it leaves the pool: the
        redirect to the client (its Location), or the last answer."""
        answer = self.get(url)
        for _ in range(8):
            if answer.status_code == 200 and 'name="password"' in answer.text and log_in:
                fields = {**hidden_fields(answer.text), "username": USER, "password": PASSWORD}
                answer = self.session.post(answer.url.split("?")[0], data=fields,
                                           allow_redirects=False, timeout=TIMEOUT)
                continue
            if answer.status_code != 302:
                return answer
            location = urljoin(answer.url, answer.headers["Location"])
            if location.startswith((REDIRECT, PUBLIC_REDIRECT)):
                return location
            answer = self.get(location)
        raise AssertionError("too many redirects")


def endpoint(name):
    return f"{ISSUER}/{name}"


def on(node, url):
    return url.replace(ORIGIN, node.url.split("/cas/")[0], 1)


def moodle(**kwargs):
    return OAuth2Session("moodle", SECRET, scope="openid profile email", redirect_uri=REDIRECT,
                         code_challenge_method="S256", **kwargs)


def verify_id_token(pool, id_token, client_id, nonce=None):
    """The ID token's claims, verified as a relying party does: the
    signature with the published keys, then iss, aud, exp, iat and nonce."""
    jwks = requests.get(on(pool.nodes[2], endpoint("jwks")), timeout=TIMEOUT).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    options = {"iss": {"essential": True, "value": ISSUER},
               "aud": {"essential": True, "value": client_id},
               "exp": {"essential": True}, "iat": {"essential": True}}
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    jwt.JWTClaimsRegistry(leeway=5, **options).validate(token.claims)
    return token.claims


def code_flow(pool, client, browser=None, **params):
    """An authorization with PKCE and a nonce: (code redirect, verifier, nonce, state)."""
    browser = browser or Browser(pool)
    verifier = generate_token(64)
    nonce = generate_token(32)
    uri, state = client.create_authorization_url(endpoint("authorize"), code_verifier=verifier,
                                                 nonce=nonce, **params)
    location = browser.authorize(uri)
    assert isinstance(location, str), f"{location.status_code}: {location.text[:300]}"
    return location, verifier, nonce, state


def test_discovery_and_keys_are_served_by_every_node(provider):
    for node in provider.nodes:
        document = requests.get(on(node, endpoint(".well-known/openid-configuration")),
                                timeout=TIMEOUT).json()
        assert document["issuer"] == ISSUER
        assert document["token_endpoint"] == endpoint("token")
        assert document["code_challenge_methods_supported"] == ["S256"]
        assert document["id_token_signing_alg_values_supported"] == ["RS256"]
        keys = requests.get(on(node, document["jwks_uri"]), timeout=TIMEOUT).json()["keys"]
        assert [k["kty"] for k in keys] == ["RSA"] and "d" not in keys[0]


def test_code_flow_with_pkce_across_the_pool(provider):
    """authlib logs in: the request starts on one node, the login form
    is served and posted on others, and the tokens come from yet others."""
    client = moodle()
    browser = Browser(provider)
    location, verifier, nonce, state = code_flow(provider, client, browser)
    assert len(set(browser.seen)) == 3, browser.seen
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state] and query["iss"] == [ISSUER]
    assert query["code"][0].startswith("OC-") and len(query["code"][0]) <= 300

    token_url = on(provider.nodes[1], endpoint("token"))
    token = client.fetch_token(token_url, authorization_response=location, code_verifier=verifier,
                               state=state)
    assert token["token_type"] == "Bearer" and token["scope"] == "openid profile email"
    assert token["access_token"].startswith("AT-") and len(token["access_token"]) <= 160
    assert token["refresh_token"].startswith("RT-") and len(token["refresh_token"]) <= 180
    claims = verify_id_token(provider, token["id_token"], "moodle", nonce)
    assert claims["sub"] == USER and claims["azp"] == "moodle"
    assert claims["amr"] == ["pwd"] and len(claims["sid"]) == 16
    assert abs(claims["auth_time"] - claims["iat"]) < 60

    info = client.get(on(provider.nodes[2], endpoint("userinfo")), timeout=TIMEOUT).json()
    assert info == {"sub": USER, "email": "jdoe@example.edu", "name": "Jane <Doe> & Co",
                    "memberOf": ["staff", "faculty"]}

    refreshed = client.refresh_token(on(provider.nodes[0], endpoint("token")),
                                     refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    again = verify_id_token(provider, refreshed["id_token"], "moodle")
    assert "nonce" not in again and again["auth_time"] == claims["auth_time"]
    assert again["sid"] == claims["sid"]


def test_one_sso_for_cas_and_oidc(provider):
    """A browser logged in through CAS gets a code without a form; one
    logged in through OIDC gets an ST without a form."""
    session, _ = login(provider.nodes[0], "https://app.example.edu/login?target=%2Fhome")
    browser = Browser(provider)
    browser.session = session
    location, _, _, _ = code_flow(provider, moodle(), browser)
    assert "code=OC-" in location
    # prompt=login forces the form even so.
    uri, _ = moodle().create_authorization_url(endpoint("authorize"), code_verifier=generate_token(48),
                                               prompt="login")
    answer = browser.authorize(uri, log_in=False)
    assert answer.status_code == 200 and 'name="password"' in answer.text

    oidc_browser = Browser(provider)
    code_flow(provider, moodle(), oidc_browser)
    sso = oidc_browser.session.get(urljoin(provider.nodes[1].url, "login"),
                                   params={"service": "https://wiki.example.edu/"},
                                   allow_redirects=False, timeout=TIMEOUT)
    assert sso.status_code == 302 and "ticket=ST-" in sso.headers["Location"]


def test_a_public_client_must_use_pkce_and_gets_tokens_without_a_secret(provider):
    planner = OAuth2Session("planner", None, scope="openid email profile", redirect_uri=PUBLIC_REDIRECT,
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    location, verifier, nonce, state = code_flow(provider, planner)
    token = planner.fetch_token(on(provider.nodes[0], endpoint("token")),
                                authorization_response=location, code_verifier=verifier, state=state)
    # `profile` is not one of the scopes the registry gives it.
    assert token["scope"] == "openid email"
    verify_id_token(provider, token["id_token"], "planner", nonce)

    # Without PKCE: refused, back at the client with the error.
    no_pkce = OAuth2Session("planner", None, scope="openid", redirect_uri=PUBLIC_REDIRECT)
    uri, state = no_pkce.create_authorization_url(endpoint("authorize"))
    location = Browser(provider).authorize(uri)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_request"] and query["state"] == [state]
    assert "PKCE" in query["error_description"][0]


def token_request(provider, data, auth=("moodle", SECRET)):
    return requests.post(on(provider.nodes[2], endpoint("token")), data=data, auth=auth,
                         timeout=TIMEOUT)


def test_an_attacker_cannot_replay_or_substitute(provider):
    client = moodle()
    location, verifier, _, _ = code_flow(provider, client)
    code = parse_qs(urlsplit(location).query)["code"][0]
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier}

    def refused(data, error, auth=("moodle", SECRET), status=400):
        answer = token_request(provider, data, auth)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"] == error, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        return answer

    refused({**base, "code_verifier": generate_token(64)}, "invalid_grant")
    refused({**base, "redirect_uri": REDIRECT + "/"}, "invalid_grant")
    refused({**base, "redirect_uri": "https://RP.example.edu/oidc/callback"}, "invalid_grant")
    refused({k: v for k, v in base.items() if k != "code_verifier"}, "invalid_grant")
    answer = refused(base, "invalid_client", auth=("moodle", SECRET + "x"), status=401)
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    refused({**base, "client_id": "planner"}, "invalid_grant", auth=None)
    relabelled = "AT-" + code.split("-", 1)[1]
    refused({**base, "code": relabelled}, "invalid_grant")

    # None of those spent the code: whoever stole it without the verifier
    # cannot burn it. Redeemed once, then refused on another node.
    good = base
    first = token_request(provider, good)
    assert first.status_code == 200, first.text
    second = requests.post(on(provider.nodes[0], endpoint("token")), data=good,
                           auth=("moodle", SECRET), timeout=TIMEOUT)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"

    # A refresh token (of another grant: that one is now revoked) is
    # rotated: the old one is refused after use.
    _, tokens = fresh_tokens(provider)
    old = tokens["refresh_token"]
    # It cannot widen its scopes (refused before it is spent).
    refused({"grant_type": "refresh_token", "refresh_token": old,
             "scope": "openid profile email phone"}, "invalid_scope")
    rotated = token_request(provider, {"grant_type": "refresh_token", "refresh_token": old})
    assert rotated.status_code == 200, rotated.text
    refused({"grant_type": "refresh_token", "refresh_token": old}, "invalid_grant")

    # An ID token is not a bearer of anything at userinfo.
    answer = requests.get(on(provider.nodes[1], endpoint("userinfo")), timeout=TIMEOUT,
                          headers={"Authorization": f"Bearer {tokens['id_token']}"})
    assert answer.status_code == 401 and "invalid_token" in answer.headers["WWW-Authenticate"]


def test_unregistered_clients_and_redirects_get_a_page_never_a_redirect(provider):
    browser = Browser(provider)
    for params in [
        {"client_id": "evil", "redirect_uri": REDIRECT},
        {"client_id": "moodle", "redirect_uri": "https://attacker.example/collect"},
        {"client_id": "moodle", "redirect_uri": REDIRECT + "/../../attacker"},
        {"client_id": "moodle", "redirect_uri": "https://rp.example.edu/oidc/callback?next=x"},
        {"client_id": "moodle"},
    ]:
        answer = browser.session.get(on(provider.nodes[0], endpoint("authorize")),
                                     params={**params, "response_type": "code", "scope": "openid"},
                                     allow_redirects=False, timeout=TIMEOUT)
        assert answer.status_code == 400 and "Location" not in answer.headers, params
    # Registered: errors go back to the client, with its state.
    answer = browser.session.get(on(provider.nodes[0], endpoint("authorize")), params={
        "client_id": "moodle", "redirect_uri": REDIRECT, "response_type": "token",
        "scope": "openid", "state": "s1"}, allow_redirects=False, timeout=TIMEOUT)
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["unsupported_response_type"] and query["state"] == ["s1"]
    # prompt=none without a session.
    uri, _ = moodle().create_authorization_url(endpoint("authorize"), code_verifier=generate_token(48),
                                               prompt="none")
    location = Browser(provider).authorize(uri, log_in=False)
    assert parse_qs(urlsplit(location).query)["error"] == ["login_required"]


def test_a_forged_id_token_does_not_verify(provider):
    location, verifier, nonce, state = code_flow(provider, moodle())
    client = moodle()
    token = client.fetch_token(on(provider.nodes[0], endpoint("token")), authorization_response=location,
                               code_verifier=verifier, state=state)
    header, payload, signature = token["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(JoseError):
        verify_id_token(provider, f"{header}.{forged_payload}.{signature}", "moodle", nonce)
    # The header names the published key by its RFC 7638 thumbprint.
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    jwk = requests.get(on(provider.nodes[0], endpoint("jwks")), timeout=TIMEOUT).json()["keys"][0]
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=")
    assert kid == thumbprint.decode()


def userinfo_status(provider, access_token, node=1):
    answer = requests.get(on(provider.nodes[node], endpoint("userinfo")), timeout=TIMEOUT,
                          headers={"Authorization": f"Bearer {access_token}"})
    return answer.status_code


def fresh_tokens(provider):
    location, verifier, _, _ = code_flow(provider, moodle())
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier}
    answer = token_request(provider, data)
    assert answer.status_code == 200, answer.text
    return data, answer.json()


def test_a_code_used_twice_revokes_what_it_issued(provider):
    """RFC 6749 §4.1.2: the second use is refused, and the tokens the first
    use issued are revoked on every node."""
    data, tokens = fresh_tokens(provider)
    assert userinfo_status(provider, tokens["access_token"]) == 200
    again = requests.post(on(provider.nodes[0], endpoint("token")), data=data,
                          auth=("moodle", SECRET), timeout=TIMEOUT)
    assert again.status_code == 400 and "revoked" in again.json()["error_description"]
    for node in range(3):
        assert userinfo_status(provider, tokens["access_token"], node) == 401
    refreshed = token_request(provider, {"grant_type": "refresh_token",
                                         "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_a_refresh_token_used_again_revokes_its_family(provider):
    """RFC 9700 §4.14.2: an attacker who stole a refresh token and a client
    that rotated it cannot both go on; the first reuse ends the family."""
    _, tokens = fresh_tokens(provider)
    stolen = tokens["refresh_token"]
    rotated = token_request(provider, {"grant_type": "refresh_token", "refresh_token": stolen})
    assert rotated.status_code == 200
    newest = rotated.json()
    assert userinfo_status(provider, newest["access_token"]) == 200
    replay = token_request(provider, {"grant_type": "refresh_token", "refresh_token": stolen})
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert userinfo_status(provider, newest["access_token"]) == 401
    later = token_request(provider, {"grant_type": "refresh_token",
                                     "refresh_token": newest["refresh_token"]})
    assert later.status_code == 400 and later.json()["error"] == "invalid_grant"


def introspect(provider, token, auth=("moodle", SECRET), node=0):
    answer = requests.post(on(provider.nodes[node], endpoint("introspect")), data={"token": token},
                           auth=auth, timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_introspection_and_revocation_reach_every_node(provider):
    _, tokens = fresh_tokens(provider)
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    own = introspect(provider, access)
    assert own["active"] is True and own["client_id"] == "moodle" and own["sub"] == USER
    assert own["scope"] == "openid profile email" and own["token_type"] == "Bearer"
    assert introspect(provider, refresh, node=1)["token_type"] == "refresh_token"
    # A resource server registered to introspect sees it; another client does not.
    assert introspect(provider, access, auth=("grades-api", SECRET))["active"] is True
    public = requests.post(on(provider.nodes[0], endpoint("introspect")),
                           data={"token": access, "client_id": "planner"}, timeout=TIMEOUT)
    assert public.status_code == 401
    assert introspect(provider, "AT-" + "0" * 120)["active"] is False
    assert introspect(provider, tokens["id_token"])["active"] is False

    # Another client cannot revoke it.
    other = requests.post(on(provider.nodes[1], endpoint("revoke")),
                          data={"token": refresh}, auth=("grades-api", SECRET), timeout=TIMEOUT)
    assert other.status_code == 400 and other.json()["error"] == "unauthorized_client"
    assert introspect(provider, access)["active"] is True
    # Its client revokes the refresh token on one node: the grant ends everywhere.
    answer = requests.post(on(provider.nodes[1], endpoint("revoke")),
                           data={"token": refresh, "token_type_hint": "refresh_token"},
                           auth=("moodle", SECRET), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    for node in range(3):
        assert introspect(provider, access, node=node) == {"active": False}
        assert userinfo_status(provider, access, node) == 401
    # Revoking what is not a valid token is not an error (RFC 7009 §2.2).
    answer = requests.post(on(provider.nodes[2], endpoint("revoke")), data={"token": "junk"},
                           auth=("moodle", SECRET), timeout=TIMEOUT)
    assert answer.status_code == 200


def test_logout_ends_the_sessions_codes_and_tokens(provider):
    browser = Browser(provider)
    location, verifier, _, state = code_flow(provider, moodle(), browser)
    client = moodle()
    tokens = client.fetch_token(on(provider.nodes[0], endpoint("token")), authorization_response=location,
                                code_verifier=verifier, state=state)
    assert userinfo_status(provider, tokens["access_token"]) == 200
    answer = browser.session.get(urljoin(provider.nodes[2].url, "logout"), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    assert userinfo_status(provider, tokens["access_token"]) == 401
    assert introspect(provider, tokens["access_token"]) == {"active": False}
    refreshed = token_request(provider, {"grant_type": "refresh_token",
                                         "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_rp_initiated_logout(provider):
    """OpenID Connect RP-Initiated Logout: with an ID token this provider
    signed, the session ends on every node and the browser goes back to the
    registered URI with its state; anything else goes nowhere."""
    def logged_in():
        browser = Browser(provider)
        location, verifier, _, state = code_flow(provider, moodle(), browser)
        client = moodle()
        tokens = client.fetch_token(on(provider.nodes[0], endpoint("token")),
                                    authorization_response=location, code_verifier=verifier,
                                    state=state)
        return browser, tokens

    def end_session(browser, **params):
        return browser.session.get(on(provider.nodes[1], endpoint("logout")), params=params,
                                   allow_redirects=False, timeout=TIMEOUT)

    browser, tokens = logged_in()
    # A forged hint: refused, nobody logged out.
    header, payload, signature = tokens["id_token"].split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    answer = end_session(browser, id_token_hint=forged, post_logout_redirect_uri=GOODBYE)
    assert answer.status_code == 400 and "Location" not in answer.headers
    answer = end_session(browser, id_token_hint=tokens["id_token"], client_id="planner",
                         post_logout_redirect_uri=GOODBYE)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert userinfo_status(provider, tokens["access_token"]) == 200

    answer = end_session(browser, id_token_hint=tokens["id_token"],
                         post_logout_redirect_uri=GOODBYE, state="bye-1")
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == GOODBYE + "?state=bye-1"
    assert userinfo_status(provider, tokens["access_token"], node=2) == 401
    # The browser's session is over: the next authorization shows the form.
    uri, _ = moodle().create_authorization_url(endpoint("authorize"), code_verifier=generate_token(48))
    answer = browser.authorize(uri, log_in=False)
    assert answer.status_code == 200 and 'name="password"' in answer.text

    # An unregistered URI: logged out all the same, and not sent there.
    browser, tokens = logged_in()
    answer = end_session(browser, id_token_hint=tokens["id_token"],
                         post_logout_redirect_uri="https://attacker.example/")
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert "not registered" in answer.text
    assert userinfo_status(provider, tokens["access_token"]) == 401
    document = requests.get(on(provider.nodes[0], endpoint(".well-known/openid-configuration")),
                            timeout=TIMEOUT).json()
    assert document["end_session_endpoint"] == endpoint("logout")
