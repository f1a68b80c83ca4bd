"""A pool of three cas_node processes, checked by python-cas (the client
django-cas-ng uses): log in on one node, validate on another, single sign-on
across nodes, the protocol's failures, key rotation, and a proxy round trip.

Run by `tests/e2e/run`, which builds the binaries and installs the client.
"""

import json
import os
import re
import socket
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from datetime import datetime, timezone
from html import unescape
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from cas import CASClientV1, CASClientV2, CASClientV3, CASClientWithSAMLV1

import pytest
import redis

from conftest import (
    APP, BACKEND, CAS_NODE, DATABASE, OTHER_APP, PASSWORD, USER, LogoutListener, Node,
    default_services, service, ticketctl, write_services, write_users,
)

NS = {"cas": "http://www.yale.edu/tp/cas"}
TIMEOUT = 10


def browser():
    return requests.Session()


def login(node, service, session=None, remember_me=False):
    """A browser logs in on `node` for `service`: GET the form, POST it, and
    return (session, ST from the redirect)."""
    session = session or browser()
    # A browser with a live session sees the form only with renew=true.
    params = {"service": service, **({"renew": "true"} if "CASTGC" in session.cookies else {})}
    form = session.get(urljoin(node.url, "login"), params=params, allow_redirects=False, timeout=TIMEOUT)
    assert form.status_code == 200 and 'name="password"' in form.text
    fields = {**hidden_fields(form.text), "username": USER, "password": PASSWORD}
    if remember_me:
        fields["rememberMe"] = "true"
    answer = session.post(
        urljoin(node.url, "login"), data=fields, allow_redirects=False, timeout=TIMEOUT
    )
    assert answer.status_code == 302, answer.text
    assert "CASTGC" in session.cookies
    return session, ticket_from(answer, service)


def hidden_fields(html):
    """The hidden inputs of a page's form, as a browser would post them."""
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    }


def sso(node, service, session, **params):
    """`GET /login` with the session's cookie; the answer, not followed."""
    return session.get(
        urljoin(node.url, "login"),
        params={"service": service, **params},
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def ticket_from(answer, service):
    """The ticket in a redirect to `service`."""
    location = answer.headers["Location"]
    assert location.startswith(service.split("#")[0])
    ticket = parse_qs(urlsplit(location).query)["ticket"][0]
    assert len(ticket) <= 256 and all(c.isalnum() or c == "-" for c in ticket)
    return ticket


def client(version, node, service, **kwargs):
    cls = {1: CASClientV1, 2: CASClientV2, 3: CASClientV3}[version]
    return cls(server_url=node.url, service_url=service, **kwargs)


def raw(node, endpoint, **params):
    """A validation or /proxy answer as parsed XML."""
    answer = requests.get(urljoin(node.url, endpoint), params=params, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(answer.content)


def failure(node, endpoint, element="authenticationFailure", **params):
    """(code, message) of a failed validation or /proxy call."""
    tree = raw(node, endpoint, **params)
    found = tree.find(f"cas:{element}", NS)
    assert found is not None, ElementTree.tostring(tree)
    return found.get("code"), found.text


def tamper(ticket):
    """The ticket with one body character changed (still in the alphabet)."""
    i = len(ticket) // 2
    return ticket[:i] + ("B" if ticket[i] == "A" else "A") + ticket[i + 1:]


# --- log in on one node, validate on another -------------------------------


def test_st_from_node1_validates_on_node2_with_cas3_attributes(pool):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    assert st.startswith("ST-") and len(st) <= 130

    user, attributes, pgtiou = client(3, node2, APP).verify_ticket(st)
    assert user == USER
    assert pgtiou is None
    assert attributes["isFromNewLogin"] == "true"
    assert attributes["longTermAuthenticationRequestTokenUsed"] == "false"
    assert attributes["authenticationMethod"] == "Password"
    authenticated = datetime.fromisoformat(attributes["authenticationDate"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - authenticated).total_seconds()) < 60
    # The user's attributes, read from the users file at validation time.
    assert attributes["mail"] == "jdoe@example.edu"
    assert attributes["displayName"] == "Jane <Doe> & Co"
    assert attributes["memberOf"] == ["staff", "faculty"]

    # The protocol's attributes come first, in the protocol's order.
    tree = raw(node2, "p3/serviceValidate", ticket=st, service=APP)
    names = [e.tag.split("}")[1] for e in tree.find("cas:authenticationSuccess/cas:attributes", NS)]
    assert names[:3] == [
        "authenticationDate",
        "longTermAuthenticationRequestTokenUsed",
        "isFromNewLogin",
    ]


def test_st_validates_with_cas2_and_cas1_clients_on_other_nodes(pool):
    node1, node2, node3 = pool.nodes
    _, st = login(node2, APP)
    user, attributes, pgtiou = client(2, node3, APP).verify_ticket(st)
    assert (user, pgtiou) == (USER, None)
    # CAS 2.0: the protocol's attributes only, so that remember-me is
    # signalled (CAS 3.0 §4.1.3); none of the user's.
    assert attributes["longTermAuthenticationRequestTokenUsed"] == "false"
    assert attributes["isFromNewLogin"] == "true"
    assert "mail" not in attributes and "memberOf" not in attributes
    _, st = login(node3, APP)
    assert client(1, node1, APP).verify_ticket(st) == (USER, None, None)


def test_a_service_ticket_can_be_replayed_until_it_expires(pool):
    """The stateless trade-off the README states: no node knows another
    validated the ticket already."""
    node1, node2, node3 = pool.nodes
    _, st = login(node1, APP)
    for node in (node2, node3, node2):
        assert client(3, node, APP).verify_ticket(st)[0] == USER


# --- single sign-on across nodes -------------------------------------------


def test_cookie_from_node1_gets_an_st_from_node3_without_credentials(pool):
    node1, _, node3 = pool.nodes
    session, _ = login(node1, APP)
    cookie = session.cookies["CASTGC"]
    assert cookie.startswith("TGT-") and len(cookie) <= 130

    # A fresh browser that only has the cookie, on another node.
    elsewhere = browser()
    elsewhere.cookies.set("CASTGC", cookie)
    answer = sso(node3, OTHER_APP, elsewhere)
    assert answer.status_code == 302, "single sign-on must not show the form"
    st = ticket_from(answer, OTHER_APP)

    user, attributes, _ = client(3, node1, OTHER_APP).verify_ticket(st)
    assert user == USER
    assert attributes["isFromNewLogin"] == "false"
    assert client(2, node1, OTHER_APP).verify_ticket(st)[0] == USER


def test_renew_forces_the_form_and_marks_the_st_as_fresh(pool):
    node1, node2, node3 = pool.nodes
    session, _ = login(node1, APP)
    forced = sso(node2, APP, session, renew="true")
    assert forced.status_code == 200 and 'name="password"' in forced.text

    # An ST from single sign-on fails renew=true validation.
    st = ticket_from(sso(node2, APP, session), APP)
    code, message = failure(node3, "p3/serviceValidate", ticket=st, service=APP, renew="true")
    assert code == "INVALID_TICKET_SPEC" and "fresh login" in message
    assert client(1, node3, APP).verify_ticket(st) == (USER, None, None)
    answer = requests.get(
        urljoin(node3.url, "validate"),
        params={"ticket": st, "service": APP, "renew": "true"},
        timeout=TIMEOUT,
    )
    assert answer.text == "no\n\n"

    # An ST from the form passes it.
    _, fresh = login(node2, APP, session)
    tree = raw(node3, "p3/serviceValidate", ticket=fresh, service=APP, renew="true")
    assert tree.findtext("cas:authenticationSuccess/cas:user", namespaces=NS) == USER


def test_gateway_redirects_without_a_ticket_when_not_logged_in(pool):
    node1, node2, _ = pool.nodes
    anonymous = sso(node1, APP, browser(), gateway="true")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == APP

    session, _ = login(node1, APP)
    logged_in = sso(node2, APP, session, gateway="true")
    assert logged_in.status_code == 302
    assert ticket_from(logged_in, APP).startswith("ST-")


def test_remember_me_is_carried_to_validation(pool):
    node1, node2, _ = pool.nodes
    session, st = login(node1, APP, remember_me=True)
    _, attributes, _ = client(3, node2, APP).verify_ticket(st)
    assert attributes["longTermAuthenticationRequestTokenUsed"] == "true"
    cookie = next(c for c in session.cookies if c.name == "CASTGC")
    assert cookie.expires is not None, "a remember-me cookie outlives the browser"


def test_wrong_password_shows_the_form_again(pool):
    node1, node2, _ = pool.nodes
    session = browser()
    form = session.get(urljoin(node1.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    fields = {**hidden_fields(form.text), "username": USER, "password": "wrong"}
    # Posted to another node: the form's token needs no server state.
    answer = session.post(urljoin(node2.url, "login"), data=fields, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 401
    assert "not correct" in answer.text and "CASTGC" not in session.cookies
    assert hidden_fields(answer.text)["execution"] != fields["execution"], "a fresh token"


def test_a_login_post_without_the_forms_token_is_refused(pool):
    """Login CSRF: a page elsewhere posting the attacker's credentials gets
    no session into the victim's browser."""
    node1, node2, _ = pool.nodes
    session = browser()
    form = session.get(urljoin(node1.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    token = hidden_fields(form.text)["execution"]
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    credentials = {"username": USER, "password": PASSWORD, "service": APP}
    for label, poster, fields in [
        ("no token, no cookie (a cross-site form)", browser(), credentials),
        ("the token without its cookie", browser(), {**credentials, "execution": token}),
        ("the cookie without the token", session, credentials),
        ("another token", session, {**credentials, "execution": "0" * 32}),
    ]:
        answer = poster.post(urljoin(node2.url, "login"), data=fields, allow_redirects=False, timeout=TIMEOUT)
        assert answer.status_code == 403, label
        assert "expired or did not come from this server" in answer.text, label
        assert "CASTGC" not in poster.cookies and "Location" not in answer.headers, label
    # Each refusal served a new form with a new token; that one logs in.
    token = hidden_fields(answer.text)["execution"]
    ok = session.post(urljoin(node2.url, "login"), data={**credentials, "execution": token},
                      allow_redirects=False, timeout=TIMEOUT)
    assert ok.status_code == 302 and "CASTGC" in session.cookies
    assert "CASLOGIN" not in session.cookies, "the token is spent"


def test_method_post_delivers_the_ticket_in_a_self_submitting_form(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    answer = sso(node2, APP, session, method="POST")
    assert answer.status_code == 200 and "Location" not in answer.headers
    assert f'<form method="post" action="{APP}">' in unescape(answer.text)
    st = hidden_fields(answer.text)["ticket"]
    assert st.startswith("ST-") and st not in answer.headers.get("Location", "")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy
    assert client(3, node1, APP).verify_ticket(st)[0] == USER
    # Through the form: the method survives the login.
    fresh = browser()
    form = fresh.get(urljoin(node1.url, "login"), params={"service": APP, "method": "POST"}, timeout=TIMEOUT)
    fields = {**hidden_fields(form.text), "username": USER, "password": PASSWORD}
    assert fields["method"] == "POST"
    posted = fresh.post(urljoin(node2.url, "login"), data=fields, allow_redirects=False, timeout=TIMEOUT)
    assert posted.status_code == 200 and hidden_fields(posted.text)["ticket"].startswith("ST-")
    bad = sso(node2, APP, session, method="HEADER")
    assert bad.status_code == 400 and "GET or POST" in bad.text


def test_logout_clears_the_cookie_but_cannot_revoke_the_tgt(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    copy = session.cookies["CASTGC"]
    page = session.get(urljoin(node1.url, "logout"), timeout=TIMEOUT)
    assert page.status_code == 200 and "cannot be revoked" in page.text
    assert "CASTGC" not in session.cookies
    assert sso(node2, APP, session).status_code == 200  # the form again

    redirected = browser().get(
        urljoin(node1.url, "logout"), params={"service": APP}, allow_redirects=False, timeout=TIMEOUT
    )
    assert redirected.status_code == 302 and redirected.headers["Location"] == APP

    # Stateless: a copy of the cookie still opens a session until it expires.
    thief = browser()
    thief.cookies.set("CASTGC", copy)
    assert sso(node2, APP, thief).status_code == 302


# URLs a browser reads differently from a naive parser, userinfo, and schemes
# that are not the web's. Sent raw (requests would re-encode some of them).
HOSTILE_SERVICES = [
    "https://EVIL.TEST\\@APP.EXAMPLE.EDU:443/X",
    "https://evil.test\\.app.example.edu/",
    "https://app.example.edu@evil.test/",
    "https://@app.example.edu/",
    "javascript://%0aalert(1)",
    "javascript:alert(1)",
    "data://text/html;base64,PHNjcmlwdD4=",
    "file://localhost/etc/passwd",
    "myapp://callback",
    "https:evil.test/",
    "https:///evil.test/",
    "https://app.example.edu:99999/",
    "https://[zz]/",
    "https://a..b/",
]


def raw_get(node, path, session, **params):
    """GET with the query written as given, percent-encoded only where a URL
    cannot hold the character."""
    from urllib.parse import quote

    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return session.get(f"{node.url}{path}?{query}", allow_redirects=False, timeout=TIMEOUT)


def test_hostile_services_get_no_ticket_and_no_redirect(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    for hostile in HOSTILE_SERVICES:
        for node in (node1, node2):
            sso_answer = raw_get(node, "login", session, service=hostile)
            assert sso_answer.status_code == 400, hostile
            assert "Invalid service" in sso_answer.text and "Location" not in sso_answer.headers
            form = raw_get(node, "login", browser(), service=hostile)
            assert form.status_code == 400 and "Location" not in form.headers, hostile
        for param in ("service", "url"):
            out = raw_get(node2, "logout", browser(), **{param: hostile})
            assert out.status_code == 200 and "Location" not in out.headers, hostile


def test_a_service_is_redirected_to_as_a_browser_reads_it(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    spelled = "HTTPS://App.Example.EDU:443/x/../login?target=%2Fhome#top"
    answer = raw_get(node2, "login", session, service=spelled)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(APP + "&ticket=ST-"), location
    st = ticket_from(answer, APP)
    # Both spellings validate: each normalizes to the ticket's service.
    for service in (APP, spelled):
        tree = raw(node1, "p3/serviceValidate", ticket=st, service=service)
        assert tree.findtext("cas:authenticationSuccess/cas:user", namespaces=NS) == USER


# --- SAML 1.1 and JSON ---------------------------------------------------------

SAMLP = "{urn:oasis:names:tc:SAML:1.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:1.0:assertion}"


def saml_status(answer):
    tree = ElementTree.fromstring(answer.content)
    return tree.find(f".//{SAMLP}StatusCode").get("Value"), tree.findtext(f".//{SAMLP}StatusMessage")


def test_saml_validation_with_python_cas(pool):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    saml = CASClientWithSAMLV1(server_url=node2.url, service_url=APP)
    user, attributes, _ = saml.verify_ticket(st)
    assert user == USER
    assert attributes["memberOf"] == ["staff", "faculty"]
    assert attributes["displayName"] == "Jane <Doe> & Co"
    assert attributes["isFromNewLogin"] == "true"

    answer = saml.fetch_saml_validation(st)
    assert answer.headers["Content-Type"].startswith("text/xml")
    tree = ElementTree.fromstring(answer.content)
    assertion = tree.find(f".//{SAML}Assertion")
    audience = assertion.findtext(f"{SAML}Conditions/{SAML}AudienceRestrictionCondition/{SAML}Audience")
    assert audience == APP
    statement = assertion.find(f"{SAML}AuthenticationStatement")
    assert statement.get("AuthenticationMethod") == "urn:oasis:names:tc:SAML:1.0:am:password"
    assert tree.find(f".//{SAMLP}Response").get("InResponseTo")

    # Failures are SAML failures, with a body.
    assert CASClientWithSAMLV1(server_url=node2.url, service_url=OTHER_APP).verify_ticket(st)[0] is None
    wrong = CASClientWithSAMLV1(server_url=node2.url, service_url=OTHER_APP).fetch_saml_validation(st)
    assert saml_status(wrong)[0] == "samlp:Requester" and "INVALID_SERVICE" in saml_status(wrong)[1]
    assert saml.verify_ticket(tamper(st))[0] is None
    for answer in [
        requests.post(urljoin(node2.url, "samlValidate"), data=saml.get_saml_assertion(st), timeout=TIMEOUT),
        requests.post(urljoin(node2.url, "samlValidate"), params={"TARGET": APP}, data=b"<x/>", timeout=TIMEOUT),
        requests.post(urljoin(node2.url, "samlValidate"), params={"TARGET": APP},
                      data=b"<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>", timeout=TIMEOUT),
    ]:
        assert answer.status_code == 200 and saml_status(answer)[0] == "samlp:Requester", answer.text
    get = requests.get(urljoin(node2.url, "samlValidate"), params={"TARGET": APP}, timeout=TIMEOUT)
    assert get.status_code == 405 and saml_status(get)[0] == "samlp:Requester"


def test_json_format_on_the_validation_endpoints(pool):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    answer = requests.get(
        urljoin(node2.url, "p3/serviceValidate"),
        params={"ticket": st, "service": APP, "format": "JSON"},
        timeout=TIMEOUT,
    )
    assert answer.headers["Content-Type"].startswith("application/json")
    success = answer.json()["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == USER
    assert success["attributes"]["memberOf"] == ["staff", "faculty"]
    assert success["attributes"]["displayName"] == ["Jane <Doe> & Co"]
    failed = requests.get(
        urljoin(node2.url, "serviceValidate"),
        params={"ticket": tamper(st), "service": APP, "format": "json"},
        timeout=TIMEOUT,
    ).json()["serviceResponse"]["authenticationFailure"]
    assert failed["code"] == "INVALID_TICKET" and failed["description"]
    code, _ = failure(node2, "serviceValidate", ticket=st, service=APP, format="YAML")
    assert code == "INVALID_REQUEST"


# --- every answer has a body ---------------------------------------------------


def raw_request(node, data):
    """Sends raw bytes to the node; returns (status, headers text, body)."""
    host, port = urlsplit(node.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as conn:
        conn.sendall(data)
        received = b""
        # The connection stays open after a good request (keep-alive): the
        # answer ends where its Content-Length says, or where the node closes.
        while True:
            head, blank, body = received.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length: *(\d+)\r?$", head) if blank else None
            if length and len(body) >= int(length.group(1)):
                break
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, head.decode("latin-1"), body


def test_a_kept_alive_connection_screens_every_request(pool):
    """Connections stay open between requests, and every request on them is
    screened as the first is: a bad one never reaches hyper (no empty-bodied
    400 for mod_auth_cas to crash on) and gets the refusal page, in order
    after the answers before it, and the connection closes."""
    node = pool.nodes[0]
    path = urlsplit(node.url).path
    host, port = urlsplit(node.url).netloc.split(":")
    good = f"GET {path}validate?ticket=ST-1&service=a HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    bad = f"GET {path}serviceValidate?ticket=\0 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as conn:
        conn.sendall(good + good + bad + good)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    answers = received.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 3, received
    assert all(a.startswith(b"200 OK\r\n") and a.endswith(b"\r\n\r\nno\n\n") for a in answers[:2])
    refused = answers[2].decode("latin-1")
    assert refused.startswith("400 Bad Request\r\n") and "<html" in refused, refused
    assert "x-content-type-options: nosniff" in refused.lower()
    status, _, body = raw_request(node, bad)
    assert status == 400 and b"<html" in body


def test_every_answer_has_a_body(pool):
    """mod_auth_cas 1.2 crashes on an empty body: every answer has one, in
    the endpoint's language, also for what the HTTP layer refuses."""
    node = pool.nodes[0]
    path = urlsplit(node.url).path  # /cas/
    cases = [
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404, b"<html"),
        (f"GET {path}nowhere HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 404, b"<html"),
        (f"POST {path}serviceValidate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode(),
         405, b'<cas:authenticationFailure code="INVALID_REQUEST">'),
        (f"POST {path}validate HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode(), 405, b"no\n\n"),
        (f"DELETE {path}login HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 405, b"<html"),
        (f"GET {path}serviceValidate?ticket=\0 HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 400, b"<html"),
        (f"GET {path}serviceValidate?service=x&ticket=".encode() + b"\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
         400, b"<html"),
        (f"GET {path}serviceValidate?service={'a' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
         414, b"<html"),
        (f"GET {path}login HTTP/1.1\r\n{'X-A: 1' + chr(13) + chr(10)}".encode() * 1 + b"X-B: 2\r\n" * 200 + b"\r\n",
         431, b"<html"),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, b"<html"),
        (f"GET {path}serviceValidate?ticket=%ff&service=%zz HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
         200, b'code="INVALID_TICKET"'),
        (f"GET {path}serviceValidate?ticket=ST-1&service=a&service=b HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
         200, b"given more than once"),
        (f"GET {path}validate?ticket=ST-1&service=a&service=b HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
         200, b"no\n\n"),
        (f"GET {path}login?service=a&service=b HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
         400, b"given more than once"),
    ]
    for request, status, needle in cases:
        got, head, body = raw_request(node, request)
        assert got == status, (request[:80], got, body[:200])
        assert needle in body, (request[:80], body[:300])
        assert "content-length: 0\r" not in head.lower()
    assert node.process.poll() is None


def test_answers_are_never_cached_and_the_form_cannot_be_framed(pool):
    node1, node2, _ = pool.nodes
    form = browser().get(urljoin(node1.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    assert form.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in form.headers["Content-Security-Policy"]
    session, st = login(node1, APP)
    assert sso(node1, APP, session).headers["Cache-Control"] == "no-store"
    answer = requests.get(
        urljoin(node2.url, "serviceValidate"), params={"ticket": st, "service": APP}, timeout=TIMEOUT
    )
    assert answer.headers["Cache-Control"] == "no-store"


def test_tickets_minted_by_ticketctl_work_on_every_node(pool):
    """The operator's tool and the nodes share one format and one keyring."""
    node1, node2, node3 = pool.nodes
    mint = ["encode", "--keys", pool.keys, "--principal", "rroe", "--method", "Password"]
    st = ticketctl(*mint, "--kind", "st", "--service", APP, "--renew")
    _, attributes, _ = client(3, node1, APP).verify_ticket(st)
    assert attributes["isFromNewLogin"] == "true"

    tgt = ticketctl(*mint, "--kind", "tgt")
    session = browser()
    session.cookies.set("CASTGC", tgt)
    st = ticket_from(sso(node2, APP, session), APP)
    assert client(2, node3, APP).verify_ticket(st)[0] == "rroe"

    # A PT with a two-hop chain reports it in order, most recent proxy first.
    chain = ["https://proxy2.example.edu/cb", "https://proxy1.example.edu/cb"]
    pt = ticketctl(*mint, "--kind", "pt", "--service", BACKEND, "--proxy", chain[0], "--proxy", chain[1])
    tree = raw(node3, "p3/proxyValidate", ticket=pt, service=BACKEND)
    proxies = [p.text for p in tree.findall("cas:authenticationSuccess/cas:proxies/cas:proxy", NS)]
    assert proxies == chain


# --- failures through the same client ---------------------------------------


def test_wrong_service_fails(pool):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    assert client(3, node2, OTHER_APP).verify_ticket(st) == (None, {}, None)
    assert client(2, node2, OTHER_APP).verify_ticket(st) == (None, None, None)
    assert client(1, node2, OTHER_APP).verify_ticket(st) == (None, None, None)
    code, _ = failure(node2, "serviceValidate", ticket=st, service=OTHER_APP)
    assert code == "INVALID_SERVICE"
    # Matching is exact after normalization: case in the path matters, host case does not.
    code, _ = failure(node2, "serviceValidate", ticket=st, service=APP.replace("login", "LOGIN"))
    assert code == "INVALID_SERVICE"
    assert client(3, node2, APP.replace("app.", "APP.")).verify_ticket(st)[0] == USER


def test_tampered_ticket_fails(pool):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    bad = tamper(st)
    assert client(3, node2, APP).verify_ticket(bad) == (None, {}, None)
    code, message = failure(node2, "p3/serviceValidate", ticket=bad, service=APP)
    assert code == "INVALID_TICKET" and message.startswith("ticket rejected")
    # Relabelled as a proxy ticket: the prefix is authenticated too.
    code, _ = failure(node2, "proxyValidate", ticket="PT-" + st[3:], service=APP)
    assert code == "INVALID_TICKET"


def test_expired_ticket_fails(pool):
    node1, node2, _ = pool.nodes
    _, st = login(node1, APP)
    decoded = json.loads(ticketctl("decode", "--keys", pool.keys, st))
    expires_at = datetime.fromisoformat(decoded["expires_at"].replace("Z", "+00:00"))
    # Wait just past the instant the node was started to enforce (--st-ttl 3s).
    time.sleep(max(0.0, (expires_at - datetime.now(timezone.utc)).total_seconds()) + 0.05)
    assert client(3, node2, APP).verify_ticket(st) == (None, {}, None)
    code, message = failure(node2, "p3/serviceValidate", ticket=st, service=APP)
    assert code == "INVALID_TICKET" and "expired" in message


def test_other_kinds_and_missing_parameters_fail(pool):
    node1, node2, _ = pool.nodes
    session, _ = login(node1, APP)
    tgt = session.cookies["CASTGC"]
    code, _ = failure(node2, "serviceValidate", ticket=tgt, service=APP)
    assert code == "INVALID_TICKET"
    code, _ = failure(node2, "serviceValidate", service=APP)
    assert code == "INVALID_REQUEST"
    code, _ = failure(node2, "p3/proxyValidate", ticket="ST-")
    assert code == "INVALID_REQUEST"
    for garbage in ["ST-", "ST-not_a_ticket", "x" * 300, "PGTIOU-abc"]:
        code, _ = failure(node2, "serviceValidate", ticket=garbage, service=APP)
        assert code == "INVALID_TICKET", garbage


def test_a_tgt_minted_under_a_retired_key_is_refused(own_pool):
    pool = own_pool()
    node1, node2, node3 = pool.nodes
    old_key = pool.key_id
    session, _ = login(node1, APP)

    # Rotation, each step reaching every node before the next (README).
    new_key = ticketctl("keys", "add", pool.keys)
    pool.reload_keys()
    ticketctl("keys", "promote", pool.keys, new_key)
    pool.reload_keys()
    # The old cookie still opens a session; the new ST is sealed under the new key.
    st = ticket_from(sso(node2, APP, session), APP)
    assert json.loads(ticketctl("inspect", st))["key_id"] == new_key
    assert client(3, node3, APP).verify_ticket(st)[0] == USER

    ticketctl("keys", "retire", pool.keys, old_key)
    pool.reload_keys()
    refused = sso(node2, APP, session)
    assert refused.status_code == 200 and 'name="password"' in refused.text
    assert "CASTGC=;" in refused.headers["Set-Cookie"]  # the dead cookie is cleared
    # A new login works across the pool with the new key.
    _, st = login(node3, APP, browser())
    assert client(2, node1, APP).verify_ticket(st)[0] == USER


def test_unreadable_attribute_store_is_an_internal_error(own_pool):
    pool = own_pool(size=2)
    node1, node2 = pool.nodes
    _, st = login(node1, APP)
    pool.users.unlink()
    code, _ = failure(node2, "p3/serviceValidate", ticket=st, service=APP)
    assert code == "INTERNAL_ERROR"
    # CAS 2.0 releases no attributes, so it does not need the file.
    assert client(2, node2, APP).verify_ticket(st)[0] == USER


# --- proxy round trip --------------------------------------------------------


def test_proxy_round_trip_across_nodes(pool, callbacks):
    node1, node2, node3 = pool.nodes
    pgt_url = callbacks.base + "ok"
    _, st = login(node1, APP)

    # The proxying application validates its ST on node 2 and gets a PGT.
    proxying = client(2, node2, APP, proxy_callback=pgt_url)
    user, _, pgtiou = proxying.verify_ticket(st)
    assert user == USER
    assert pgtiou.startswith("PGTIOU-")
    pgt = callbacks.pgts[pgtiou]
    assert pgt.startswith("PGT-") and pgtiou[7:] not in pgt

    # It asks node 3 for a PT for the back end.
    pt = client(2, node3, BACKEND).get_proxy_ticket(pgt)
    assert pt.startswith("PT-")

    # The back end validates the PT on node 1 and sees the proxy chain.
    backend = client(3, node1, BACKEND)
    backend.url_suffix = "p3/proxyValidate"
    user, attributes, _ = backend.verify_ticket(pt)
    assert user == USER and attributes["isFromNewLogin"] == "false"
    tree = raw(node1, "proxyValidate", ticket=pt, service=BACKEND)
    proxies = [p.text for p in tree.findall("cas:authenticationSuccess/cas:proxies/cas:proxy", NS)]
    assert proxies == [pgt_url]

    # n-tier (CAS 3.0 §2.6): the back end validates its PT with a pgtUrl of
    # its own and gets a PGT that carries the chain before it; a PT minted
    # from that PGT reports the whole chain, most recent proxy first.
    tier2_url = callbacks.base + "ok?tier=2"
    tree = raw(node2, "proxyValidate", ticket=pt, service=BACKEND, pgtUrl=tier2_url)
    tier2_iou = tree.find("cas:authenticationSuccess/cas:proxyGrantingTicket", NS).text
    tier2_pgt = callbacks.pgts[tier2_iou]
    decoded = json.loads(ticketctl("decode", "--keys", pool.keys, tier2_pgt))
    assert decoded["pgt_url"] == tier2_url and decoded["upstream"] == [pgt_url]
    database = DATABASE
    pt2 = client(2, node3, database).get_proxy_ticket(tier2_pgt)
    tree = raw(node1, "p3/proxyValidate", ticket=pt2, service=database)
    proxies = [p.text for p in tree.findall("cas:authenticationSuccess/cas:proxies/cas:proxy", NS)]
    assert proxies == [tier2_url, pgt_url]

    # A PT is not a service ticket, and it is bound to its target service.
    code, _ = failure(node1, "serviceValidate", ticket=pt, service=BACKEND)
    assert code == "INVALID_TICKET_SPEC"
    assert client(1, node1, BACKEND).verify_ticket(pt) == (None, None, None)
    code, _ = failure(node1, "proxyValidate", ticket=pt, service=APP)
    assert code == "INVALID_SERVICE"


def test_proxy_failures(pool, callbacks, untrusted_callbacks):
    node1, node2, node3 = pool.nodes
    _, st = login(node1, APP)

    # A callback that does not answer 200 gets no PGT, and the validation
    # fails: the service asked for a PGT (CAS 3.0 §2.5.4).
    code, message = failure(node2, "serviceValidate", ticket=st, service=APP,
                            pgtUrl=callbacks.base + "refuse")
    assert code == "INVALID_PROXY_CALLBACK" and "404" in message

    # An https callback whose certificate no node trusts gets no PGT either:
    # the node checks the proxy's certificate.
    code, _ = failure(node2, "serviceValidate", ticket=st, service=APP,
                      pgtUrl=untrusted_callbacks.base + "ok")
    assert code == "INVALID_PROXY_CALLBACK"
    assert not untrusted_callbacks.pgts
    assert "failed (io: invalid peer certificate" in node2.log()

    code, _ = failure(node2, "serviceValidate", ticket=st, service=APP, pgtUrl="https://evil.example.net/cb")
    assert code == "UNAUTHORIZED_SERVICE_PROXY"
    code, _ = failure(node2, "serviceValidate", ticket=st, service=APP, pgtUrl="not a url")
    assert code == "INVALID_PROXY_CALLBACK"

    code, _ = failure(node3, "proxy", element="proxyFailure", pgt="PGT-abc", targetService=BACKEND)
    assert code == "INVALID_TICKET"
    code, _ = failure(node3, "proxy", element="proxyFailure", targetService=BACKEND)
    assert code == "INVALID_REQUEST"
    code, _ = failure(node3, "proxy", element="proxyFailure", pgt=st, targetService=BACKEND)
    assert code == "INVALID_TICKET"  # an ST is not a PGT

    # A PGT for a callback the pool does not allow (minted by the operator's
    # tool, or left from before the policy changed) gets no PT.
    foreign = ticketctl(
        "encode", "--keys", pool.keys, "--kind", "pgt", "--principal", USER,
        "--pgt-url", "https://retired-proxy.example.net/cb",
    )
    code, _ = failure(node3, "proxy", element="proxyFailure", pgt=foreign, targetService=BACKEND)
    assert code == "UNAUTHORIZED_SERVICE"


def test_the_proxy_allowlist_cannot_be_walked_around(own_pool, callbacks):
    """proxy_callbacks = […/cb]: none of these reaches a PGT outside /cb (the
    listener records PGTs delivered to /ok)."""
    pool = own_pool(size=1, services=default_services([callbacks.base + "cb"]))
    node = pool.nodes[0]
    base = callbacks.base.rstrip("/")
    before = dict(callbacks.pgts)
    for hostile in [
        f"{base}/cb/../ok", f"{base}/cb/%2e%2e/ok", f"{base}/cb%2F..%2Fok", f"{base}/cb/..%2fok",
        f"{base}/cb/..;/ok", f"{base}/cb/..\\ok", f"{base}/cbok", f"{base}/cb-other",
        f"{base}/cb;x", f"{base}/cb@127.0.0.1/ok", base.replace("127.0.0.1", "127.0.0.1@127.0.0.1") + "/cb",
        base.replace("https://", "http://") + "/cb",
    ]:
        _, st = login(node, APP)
        code, message = failure(node, "serviceValidate", ticket=st, service=APP, pgtUrl=hostile)
        assert code in ("UNAUTHORIZED_SERVICE_PROXY", "INVALID_PROXY_CALLBACK"), (hostile, code, message)
    assert callbacks.pgts == before


def test_a_private_ca_given_to_the_node_is_trusted_for_callbacks(own_pool, untrusted_callbacks):
    """A campus pgtUrl with a certificate from its own CA gets its PGT once
    the node is told the CA: with --proxy-ca, or through the system trust
    store's SSL_CERT_FILE."""
    for extra_args, env in [
        (["--proxy-ca", str(untrusted_callbacks.ca_pem)], None),
        ([], {"SSL_CERT_FILE": str(untrusted_callbacks.ca_pem)}),
    ]:
        pool = own_pool(size=2, extra_args=extra_args, env=env,
                        services=default_services([untrusted_callbacks.base]))
        node1, node2 = pool.nodes
        _, st = login(node1, APP)
        pgt_url = untrusted_callbacks.base + "ok"
        user, _, iou = client(2, node2, APP, proxy_callback=pgt_url).verify_ticket(st)
        assert user == USER and iou and iou.startswith("PGTIOU-"), node2.log()
        assert untrusted_callbacks.pgts[iou].startswith("PGT-")
        pool.stop()
    for missing in ["/nonexistent.pem", str(pool.users)]:
        node = subprocess_node_failure(pool, ["--proxy-ca", missing])
        assert "--proxy-ca" in node


def subprocess_node_failure(pool, extra_args):
    """Starts a node that must refuse to start; returns what it said."""
    done = subprocess.run(
        [str(CAS_NODE), "--listen", "127.0.0.1:0", "--keys", str(pool.keys),
         "--users", str(pool.users), "--services", str(pool.services), *extra_args],
        capture_output=True, text=True, timeout=10, check=False,
    )
    assert done.returncode != 0
    return done.stderr


def test_a_chain_too_long_for_a_ticket_gets_a_protocol_error(pool, callbacks):
    """A PGT that would not fit in 256 characters is refused, never cut."""
    node1, _, _ = pool.nodes
    chain = ["https://proxy2.example.edu/cas/pgtCallback", "https://proxy1.example.edu/cas/pgtCallback"]
    pt = ticketctl(
        "encode", "--keys", pool.keys, "--principal", USER, "--kind", "pt",
        "--service", BACKEND, "--proxy", chain[0], "--proxy", chain[1],
    )
    long_url = callbacks.base + "ok?state=" + "q7x" * 40
    delivered = dict(callbacks.pgts)
    code, message = failure(node1, "proxyValidate", ticket=pt, service=BACKEND, pgtUrl=long_url)
    assert code == "INVALID_PROXY_CALLBACK" and "too long" in message
    assert callbacks.pgts == delivered, "no PGT was sent"


def test_tickets_of_a_session_end_with_it(own_pool, callbacks):
    """Every ticket minted from a TGT carries its session; a PGT dies with
    the TGT it came from, however long its own lifetime."""
    pool = own_pool(size=2, extra_args=["--tgt-ttl", "3s", "--pgt-ttl", "1h"])
    node1, node2 = pool.nodes
    session, st = login(node1, APP)
    tgt = json.loads(ticketctl("decode", "--keys", pool.keys, session.cookies["CASTGC"]))
    st_claims = json.loads(ticketctl("decode", "--keys", pool.keys, st))
    assert len(tgt["session_id"]) == 16
    assert st_claims["session_id"] == tgt["session_id"]
    assert st_claims["session_ends_at"] == tgt["expires_at"] == tgt["session_ends_at"]

    tree = raw(node2, "serviceValidate", ticket=st, service=APP, pgtUrl=callbacks.base + "ok")
    iou = tree.find("cas:authenticationSuccess/cas:proxyGrantingTicket", NS).text
    pgt = callbacks.pgts[iou]
    pgt_claims = json.loads(ticketctl("decode", "--keys", pool.keys, pgt))
    assert pgt_claims["session_id"] == tgt["session_id"]
    assert pgt_claims["expires_at"] == tgt["expires_at"], "the PGT ends with its session"
    assert client(2, node1, BACKEND).get_proxy_ticket(pgt).startswith("PT-")

    ends = datetime.fromisoformat(tgt["expires_at"].replace("Z", "+00:00"))
    time.sleep(max(0.0, (ends - datetime.now(timezone.utc)).total_seconds()) + 0.05)
    code, message = failure(node1, "proxy", element="proxyFailure", pgt=pgt, targetService=BACKEND)
    assert code == "INVALID_TICKET" and "expired" in message


def test_a_node_refuses_a_key_file_another_user_owns(tmp_path):
    """Whoever owns the key file can swap the pool's keys: refused, as ssh does."""
    keys = tmp_path / "keys.json"
    ticketctl("keygen", "--out", keys)
    if os.geteuid() == 0:
        os.chown(keys, 65534, 65534)
        owner = 65534
    else:
        keys, owner = "/etc/passwd", 0
    users = tmp_path / "users.txt"
    write_users(users)
    services = tmp_path / "services.toml"
    write_services(services, default_services())
    with pytest.raises(AssertionError, match=f"owned by uid {owner}"):
        Node("node", tmp_path, keys, users, services, [])


def test_node_logs_never_carry_tickets(pool):
    """Runs last in this file, after every flow above has written its log."""
    ticket = re.compile(r"\b(?:ST|TGT|PT|PGT|PGTIOU)-[0-9A-Za-z]{20,}")
    for node in pool.nodes:
        log = node.log()
        assert "keyring loaded" in log
        assert not ticket.search(log), f"{node.name} logged a ticket"


# --- with a store: one validation per ticket, logout on every node ---------------


def test_with_a_store_a_ticket_validates_once_pool_wide(own_pool, redis_server):
    node1, node2, node3 = own_pool(extra_args=["--store", redis_server.url]).nodes
    _, st = login(node1, APP)
    assert client(3, node2, APP).verify_ticket(st)[0] == USER
    for node in (node3, node2):
        code, message = failure(node, "serviceValidate", ticket=st, service=APP)
        assert code == "INVALID_TICKET" and "validated before" in message
    assert client(1, node3, APP).verify_ticket(st) == (None, None, None)
    assert CASClientWithSAMLV1(server_url=node1.url, service_url=APP).verify_ticket(st)[0] is None
    # Each new ST validates once, on whichever node.
    session, _ = login(node1, APP)
    for node in (node1, node2, node3):
        st = ticket_from(sso(node, APP, session), APP)
        assert client(2, node, APP).verify_ticket(st)[0] == USER
    # Only spent marks and no tickets are in Redis.
    keys = redis_server.cli("KEYS", "*").split()
    assert keys and all(k.startswith("cas:{") for k in keys) and not any("ST-" in k for k in keys)


def with_logout_services(callbacks_base, *told, untold=()):
    """The default registry, and the listeners' URLs: those in `told` with
    single logout (and PGTs at `callbacks_base`), those in `untold` without."""
    return [
        *default_services([callbacks_base]),
        *(service(f"Told {i}", url, attributes=["*"], proxy_callbacks=[callbacks_base], single_logout=True)
          for i, url in enumerate(told)),
        *(service(f"Untold {i}", url) for i, url in enumerate(untold)),
    ]


def test_with_a_store_logout_ends_the_session_on_every_node(own_pool, redis_server, logout_listener, callbacks):
    pool = own_pool(extra_args=["--store", redis_server.url],
                    services=with_logout_services(callbacks.base, logout_listener.url))
    node1, node2, node3 = pool.nodes
    app = logout_listener.url
    session, st = login(node1, app)
    copy = session.cookies["CASTGC"]
    # The service validates its ST (and gets a PGT); another ST waits unvalidated.
    pgt_url = callbacks.base + "ok"
    user, _, iou = client(2, node2, app, proxy_callback=pgt_url).verify_ticket(st)
    assert user == USER and iou
    pgt = callbacks.pgts[iou]
    waiting = ticket_from(sso(node3, APP, session), APP)

    page = session.get(urljoin(node2.url, "logout"), timeout=TIMEOUT)
    assert page.status_code == 200 and "ended on every node" in page.text

    # A copy of the cookie opens nothing, on any node.
    thief = browser()
    thief.cookies.set("CASTGC", copy)
    for node in (node1, node2, node3):
        assert sso(node, APP, thief).status_code == 200, "the form, not single sign-on"
    # Nor do the session's other tickets.
    code, message = failure(node1, "serviceValidate", ticket=waiting, service=APP)
    assert code == "INVALID_TICKET" and "session has ended" in message
    code, message = failure(node3, "proxy", element="proxyFailure", pgt=pgt, targetService=BACKEND)
    assert code == "INVALID_TICKET" and "session has ended" in message

    # Single logout: the service that validated an ST is told, by name.
    deadline = time.monotonic() + TIMEOUT
    while not logout_listener.requests:
        assert time.monotonic() < deadline, node2.log()
        time.sleep(0.05)
    [request] = logout_listener.requests
    tree = ElementTree.fromstring(request)
    assert tree.tag == "{urn:oasis:names:tc:SAML:2.0:protocol}LogoutRequest"
    assert tree.findtext("{urn:oasis:names:tc:SAML:2.0:protocol}SessionIndex") == st


def test_without_single_logout_services_the_store_keeps_only_spent_tickets_and_ended_sessions(
        own_pool, redis_server, logout_listener, callbacks):
    node1, node2 = own_pool(size=2, extra_args=["--store", redis_server.url],
                            services=with_logout_services(callbacks.base, untold=[logout_listener.url])).nodes
    app = logout_listener.url
    session, st = login(node1, app)
    assert client(2, node2, app).verify_ticket(st)[0] == USER
    code, _ = failure(node1, "serviceValidate", ticket=st, service=app)
    assert code == "INVALID_TICKET"
    # The login's throttle counters (three, each for its window), and the
    # spent mark: no record.
    every = redis_server.cli("KEYS", "*").split()
    counters = [k for k in every if k.startswith("cas:{attempts}:")]
    assert len(counters) == 3, every
    assert all(0 < int(redis_server.cli("PTTL", k)) <= 600_000 for k in counters)
    keys = [k for k in every if k not in counters]
    assert len(keys) == 1 and re.fullmatch(r"cas:\{[0-9a-f]{2}\}:spent:[0-9a-f]{32}", keys[0]), keys
    copy = session.cookies["CASTGC"]
    page = session.get(urljoin(node2.url, "logout"), timeout=TIMEOUT)
    assert page.status_code == 200 and "ended on every node" in page.text
    thief = browser()
    thief.cookies.set("CASTGC", copy)
    assert sso(node1, APP, thief).status_code == 200, "the form, not single sign-on"
    [ended] = [k for k in redis_server.cli("KEYS", "*").split() if k != keys[0] and k not in counters]
    assert re.fullmatch(r"cas:\{[0-9a-f]{2}\}:ended:[0-9a-f]{16}", ended), ended
    # No service was recorded, so none is told.
    time.sleep(1)
    assert logout_listener.requests == []


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TAIL_BYTES = {2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7}


def ticket_bytes(ticket):
    """The bytes a ticket's body spells (FORMAT.md §3)."""
    body = ticket.split("-", 1)[1]

    def number(digits):
        n = 0
        for c in digits:
            n = n * 62 + B62.index(c)
        return n

    whole = len(body) - len(body) % 11
    out = b"".join(number(body[i:i + 11]).to_bytes(8, "big") for i in range(0, whole, 11))
    if whole < len(body):
        out += number(body[whole:]).to_bytes(TAIL_BYTES[len(body) - whole], "big")
    return out


def plain_record(ticket):
    """A single-logout record in the clear (FORMAT.md §13), as the store held
    it before records were sealed: what a writer without the keys can make."""
    raw = ticket_bytes(ticket)
    return bytes([{"ST": 1, "PT": 2}[ticket.split("-")[0]], len(raw)]) + raw


def sealed_records(field):
    """The sealed records of a store's field: each its length (2 bytes),
    then that many bytes."""
    out = []
    while field:
        length = 2 + int.from_bytes(field[:2], "big")
        out.append(field[:length])
        field = field[length:]
    return out


def records_of(pool, session):
    """(key, field) of the session's single-logout records (FORMAT.md §13),
    and its TGT's claims."""
    tgt = json.loads(ticketctl("decode", "--keys", pool.keys, session.cookies["CASTGC"]))
    ends = datetime.fromisoformat(tgt["session_ends_at"].replace("Z", "+00:00"))
    sid = tgt["session_id"]
    return f"cas:{{{sid[:2]}}}:slo:{int(ends.timestamp()) // 600}", sid, tgt


def test_single_logout_posts_to_listed_services_only(own_pool, redis_server, logout_listener, callbacks):
    """Only services registered with single_logout are told: a logout must
    never make the node POST wherever a user or a registered application
    chose (a blind SSRF into the node's network)."""
    internal = LogoutListener()
    try:
        pool = own_pool(size=2, extra_args=["--store", redis_server.url], services=with_logout_services(
            callbacks.base, logout_listener.url, untold=[internal.url]))
        node1, node2 = pool.nodes
        session, listed_st = login(node1, logout_listener.url)
        assert client(2, node2, logout_listener.url).verify_ticket(listed_st)[0] == USER
        # The same user: an ST for a registered service not told of logouts.
        internal_st = ticket_from(sso(node1, internal.url, session), internal.url)
        assert client(2, node2, internal.url).verify_ticket(internal_st)[0] == USER
        # The store holds the listed ST, sealed, and nothing of it a reader
        # could rebuild it from: one hash per window of session ends, one
        # field per session.
        key, field, _ = records_of(pool, session)
        held = redis.Redis.from_url(redis_server.url).hgetall(key)
        assert list(held) == [field.encode()]
        [record] = sealed_records(held[field.encode()])
        raw_st = ticket_bytes(listed_st)
        assert not any(raw_st[i:i + 16] in record for i in range(len(raw_st) - 15))
        assert [k for k in redis_server.cli("KEYS", "*").split() if ":slo:" in k] == [key]
        page = session.get(urljoin(node2.url, "logout"), timeout=TIMEOUT)
        assert "ended on every node" in page.text
        deadline = time.monotonic() + TIMEOUT
        while not logout_listener.requests:
            assert time.monotonic() < deadline, node2.log()
            time.sleep(0.05)
        time.sleep(1)
        assert internal.requests == []
        [request] = logout_listener.requests
        assert ElementTree.fromstring(request).findtext(
            "{urn:oasis:names:tc:SAML:2.0:protocol}SessionIndex") == listed_st
    finally:
        internal.stop()


def test_single_logout_trusts_no_record_it_reads(own_pool, redis_server, logout_listener, callbacks):
    """Records another node wrote under its own, wider registry, or that
    anyone who can write to Redis planted, moved, altered or repeated: each
    is opened with the pool's keys and checked before anything is sent, and
    one record repeated is sent once."""
    internal = LogoutListener()
    try:
        pool = own_pool(size=1, extra_args=["--store", redis_server.url],
                        services=with_logout_services(callbacks.base, logout_listener.url, internal.url))
        [node] = pool.nodes
        store = redis.Redis.from_url(redis_server.url)
        # Another session's record, to move into this one.
        other, other_st = login(node, logout_listener.url)
        assert client(2, node, logout_listener.url).verify_ticket(other_st)[0] == USER
        other_key, other_field, _ = records_of(pool, other)
        [moved] = sealed_records(store.hget(other_key, other_field))

        session, listed_st = login(node, logout_listener.url)
        assert client(2, node, logout_listener.url).verify_ticket(listed_st)[0] == USER
        internal_st = ticket_from(sso(node, internal.url, session), internal.url)
        assert client(2, node, internal.url).verify_ticket(internal_st)[0] == USER
        key, field, _ = records_of(pool, session)
        listed, told_then = sealed_records(store.hget(key, field))
        altered = listed[:-1] + bytes([listed[-1] ^ 1])
        store.hset(key, field, b"".join([
            listed, told_then, *[listed] * 500, moved, altered,
            # Last: read as one record too long for what is left, so the end.
            plain_record(listed_st),
        ]))
        # The registry changes: the internal service is no longer told (as
        # if another node, with a wider registry, had recorded it).
        pool.registered = with_logout_services(callbacks.base, logout_listener.url, untold=[internal.url])
        pool.register()
        page = session.get(urljoin(node.url, "logout"), timeout=TIMEOUT)
        assert "ended on every node" in page.text
        deadline = time.monotonic() + TIMEOUT
        while not logout_listener.requests or node.log().count("no single logout") < 3:
            assert time.monotonic() < deadline, node.log()
            time.sleep(0.05)
        time.sleep(0.5)
        log = node.log()
        assert log.count("no single logout") == 3, log
        assert "is not registered for single logout" in log
        assert log.count("a single-logout record does not open (ticket authentication failed)") == 2, log
        assert internal.requests == []
        [request] = logout_listener.requests
        assert ElementTree.fromstring(request).findtext(
            "{urn:oasis:names:tc:SAML:2.0:protocol}SessionIndex") == listed_st
    finally:
        internal.stop()


def test_the_registry_baseline_keeps_the_same_promises_by_storing_every_ticket(own_pool, redis_server):
    """The yardstick benches/load measures the store against does what a
    registry does: one validation per ticket and a TGT that logout deletes on
    every node, from stored tickets."""
    pool = own_pool(size=2, extra_args=["--registry-baseline", redis_server.url])
    node1, node2 = pool.nodes
    session, st = login(node1, APP)
    tgt = session.cookies["CASTGC"]
    assert sorted(redis_server.cli("KEYS", "*").split()) == sorted([tgt, st])
    assert json.loads(redis_server.cli("GET", st))["principal"] == USER
    assert client(2, node2, APP).verify_ticket(st)[0] == USER
    code, message = failure(node1, "serviceValidate", ticket=st, service=APP)
    assert code == "INVALID_TICKET" and "not in the registry" in message
    assert redis_server.cli("KEYS", "*").split() == [tgt]
    page = session.get(urljoin(node2.url, "logout"), timeout=TIMEOUT)
    assert page.status_code == 200 and "ended on every node" in page.text
    thief = browser()
    thief.cookies.set("CASTGC", tgt)
    assert sso(node1, APP, thief).status_code == 200, "the form, not single sign-on"
    # A ticket the registry never saw (minted with the pool's keys) is refused.
    forged = ticketctl("encode", "--keys", pool.keys, "--kind", "st", "--principal", USER, "--method", "Password",
                       "--service", APP)
    code, message = failure(node1, "serviceValidate", ticket=forged, service=APP)
    assert code == "INVALID_TICKET" and "not in the registry" in message


def test_a_lost_store_fails_closed_and_the_node_recovers(own_pool, redis_server):
    node1, node2 = own_pool(size=2, extra_args=["--store", redis_server.url, "--store-timeout", "300ms"]).nodes
    session, st = login(node1, APP)
    redis_server.stop()
    code, message = failure(node2, "serviceValidate", ticket=st, service=APP)
    assert code == "INTERNAL_ERROR" and "store is unavailable" in message
    assert client(1, node2, APP).verify_ticket(st) == (None, None, None)
    assert node2.process.poll() is None
    # Redis returns, empty; the nodes find it again without a restart. The ST
    # refused while it was away was never accepted, so it validates now, once.
    redis_server.start()
    deadline = time.monotonic() + TIMEOUT
    while True:
        tree = raw(node2, "serviceValidate", ticket=st, service=APP)
        if tree.find("cas:authenticationSuccess", NS) is not None:
            break
        assert time.monotonic() < deadline, ElementTree.tostring(tree)
        time.sleep(0.1)
    # Node 1 used its connection before the loss (the login's throttle
    # counters): its first call finds it broken and fails closed; then it
    # has reconnected, and the ST, spent on node 2, is refused.
    deadline = time.monotonic() + TIMEOUT
    while (code := failure(node1, "serviceValidate", ticket=st, service=APP)[0]) == "INTERNAL_ERROR":
        assert time.monotonic() < deadline, node1.log()
        time.sleep(0.1)
    assert code == "INVALID_TICKET"


def test_a_lost_store_fails_open_when_told(own_pool, redis_server):
    node1, node2 = own_pool(size=2, extra_args=[
        "--store", redis_server.url, "--store-timeout", "300ms", "--store-failure", "open"]).nodes
    _, st = login(node1, APP)
    redis_server.stop()
    assert client(2, node2, APP).verify_ticket(st)[0] == USER
    assert "answering as a stateless node" in node2.log()
