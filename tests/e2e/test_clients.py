"""Real CAS clients against a pool of three cas_node processes deployed as an
operator would: HAProxy terminating TLS and balancing round robin without
stickiness, Apache httpd with mod_auth_cas 1.2 (CAS 2.0, CAS 3.0 attributes,
SAML 1.1) and phpCAS 1.6 (a CAS 3.0 client, a proxy with an https
pgtUrl, and a client that honours single logout from a pool with a store),
python-cas, and a browser going through all of it over https.

The site (clients.py) is started once for the module and stopped by pid.
Needs the Debian packages of tests/install-packages; without them every
test fails and says so.
"""

import contextlib
import json
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote, urljoin

import pytest
import requests
from cas import CASClientV3, CASClientWithSAMLV1

from clients import (  # noqa: F401 (site is a fixture)
    CAS_NS,
    NODE_RP_CLIENT_ID,
    OIDC_CLIENT_SECRET,
    OPENID_CLIENT,
    SAML_PROTOCOL,
    Apache,
    Authority,
    Browser,
    HAProxy,
    TlsPool,
    auth_cas_vhost,
    free_ports,
    hidden_fields,
    login_form,
    openid_client_ready,
    phpcas_vhost,
    require_tools,
    site,
    trusting_session,
)
from conftest import PASSWORD, USER, default_services, service

APP = "https://app.example.edu/login?target=%2Fhome"
BACKEND = "https://backend.example.edu/api"
TIMEOUT = 10
TICKET = re.compile(r"\b(?:ST|TGT|PT|PGT|PGTIOU)-[0-9A-Za-z]{20,}")
# The users file's attributes of USER (conftest.ATTRIBUTES), as mod_auth_cas
# passes them: one CAS-<name> header each, several values joined with ",".
USER_HEADERS = {
    "CAS-mail": "jdoe@example.edu",
    "CAS-displayName": "Jane <Doe> & Co",
    "CAS-memberOf": "staff,faculty",
}
# What mod_auth_cas 1.2 POSTs to CASValidateURL with CASValidateSAML On
# (getResponseFromServer), with %s the ticket: no RequestID, no IssueInstant.
MOD_AUTH_CAS_SAML_REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?><SOAP-ENV:Envelope '
    'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/>'
    '<SOAP-ENV:Body><samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol"  '
    'MajorVersion="1" MinorVersion="1"><samlp:AssertionArtifact>%s</samlp:AssertionArtifact>'
    "</samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


def visit(site, browser, url, apache=None):
    """`browser.visit(url)`; a dropped connection (an Apache child that
    died) fails with the parent's error-log lines that say so."""
    apache = apache or site.apache
    try:
        return browser.visit(url)
    except requests.ConnectionError as e:
        died = apache.deaths(wait=2.0)
        raise AssertionError(
            f"connection dropped ({e}); Apache children that died: {died}\n"
            f"{browser.history()}\nerror log:\n{apache.error_log()[-3000:]}"
        ) from None


def whoami(site, browser, app):
    """Logs in to a mod_auth_cas location and returns what the app saw."""
    page = visit(site, browser, site.apps[app])
    assert page.status_code == 200, f"{page.status_code}\n{browser.history()}\n{page.text[:2000]}"
    return page.json()


def cas_validation(site, endpoint, **params):
    answer = requests.get(site.cas + endpoint, params=params, verify=str(site.authority.pem), timeout=TIMEOUT)
    assert answer.status_code == 200, answer.text
    return ElementTree.fromstring(answer.content)


# --- HAProxy, python-cas and the browser -------------------------------------


def test_haproxy_balances_round_robin_over_tls_without_stickiness(site):
    browser = site.browser()
    st = browser.cas_login(site.cas, APP)
    form_node, post_node = (hop.node for hop in browser.hops[:2])
    assert form_node and post_node and form_node != post_node, (
        "the form and its POST go to different nodes (no stickiness):\n" + browser.history()
    )

    cookie = next(c for c in browser.session.cookies if c.name == "CASTGC")
    assert cookie.secure, "behind TLS the nodes set a Secure cookie"
    assert cookie.path == "/cas"

    # python-cas validates through HAProxy, trusting the test CA.
    client = CASClientV3(server_url=site.cas, service_url=APP, verify_ssl_certificate=str(site.authority.pem))
    user, attributes, _ = client.verify_ticket(st)
    assert user == USER
    assert attributes["memberOf"] == ["staff", "faculty"]
    assert attributes["isFromNewLogin"] == "true"

    # Single sign-on: each request lands on the next node, and the ST one
    # node mints is validated by whichever node comes next.
    for _ in range(4):
        answer = browser.request("GET", site.cas + "login", params={"service": APP})
        assert answer.status_code == 302, browser.history()
        # HAProxy is the nodes' --trusted-proxy and says the client came over TLS.
        assert answer.headers["Strict-Transport-Security"].startswith("max-age="), answer.headers
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        st = answer.headers["Location"].split("ticket=")[1]
        user, attributes, _ = client.verify_ticket(st)
        assert (user, attributes["isFromNewLogin"]) == (USER, "false")
    nodes = [hop.node for hop in browser.hops]
    assert set(nodes) == {node.name for node in site.pool.nodes}, browser.history()


def test_the_login_form_carries_an_execution_field(site):
    """The CSRF `execution` hidden input (as Apereo CAS has); the browser
    posts it back, so the login works whichever node checks it."""
    browser = site.browser()
    browser.cas_login(site.cas, APP)
    fields = hidden_fields(browser.forms[0])
    assert fields.get("execution"), f"no hidden execution input; hidden inputs: {fields}"

    # The same fields posted from a browser without the form's cookies, or
    # with another form's execution value, log nobody in.
    credentials = {**fields, "username": USER, "password": PASSWORD}
    stranger = site.browser()
    answer = stranger.request("POST", site.cas + "login", data=credentials)
    assert answer.status_code != 302 and "CASTGC" not in stranger.session.cookies, stranger.history()
    other = site.browser()
    other.request("GET", site.cas + "login", params={"service": APP})
    answer = other.request("POST", site.cas + "login", data=credentials)
    assert answer.status_code != 302 and "CASTGC" not in other.session.cookies, other.history()


# --- mod_auth_cas -------------------------------------------------------------


def test_mod_auth_cas_validates_through_service_validate(site):
    mark = site.apache.mark()
    # Headers a browser forges are scrubbed (CASScrubRequestHeaders).
    browser = site.browser(**{"CAS-User": "mallory", "CAS-mail": "mallory@evil.test"})
    seen = whoami(site, browser, "cas2")
    assert seen["remote_user"] == USER
    # CAS 2.0 /serviceValidate releases the protocol's attributes only (so
    # that remember-me is signalled), none of the user's.
    headers = seen["headers"]
    assert headers["CAS-User"] == USER
    assert headers["CAS-longTermAuthenticationRequestTokenUsed"] == "false"
    assert headers["CAS-isFromNewLogin"] == "true"
    assert not set(USER_HEADERS) & set(headers), headers

    # app -> CAS login form -> POST -> app?ticket= -> app without the ticket.
    statuses = [hop.status for hop in browser.hops]
    assert statuses == [302, 200, 302, 302, 200], browser.history()
    assert "ticket=" in browser.hops[3].url and "ticket=" not in browser.hops[4].url
    session = next(c for c in browser.session.cookies if c.name == "MOD_AUTH_CAS_S")
    assert session.secure and session.path == "/cas2/"

    # mod_auth_cas's own session: the next request does not go to CAS.
    before = len(browser.hops)
    again = visit(site, browser, site.apps["cas2"])
    assert again.status_code == 200 and len(browser.hops) == before + 1
    site.apache.assert_no_child_died(since=mark)


def test_mod_auth_cas_passes_cas3_attributes_as_headers(site):
    """CASVersion 2 parses <cas:attributes> too (mod_auth_cas 1.2), so a
    CASValidateURL on /p3/serviceValidate releases the users-file attributes."""
    mark = site.apache.mark()
    seen = whoami(site, site.browser(), "p3")
    assert seen["remote_user"] == USER
    headers = seen["headers"]
    assert headers["CAS-User"] == USER
    for name, value in USER_HEADERS.items():
        assert headers.get(name) == value, headers
    assert headers["CAS-isFromNewLogin"] == "true"
    assert headers["CAS-authenticationMethod"] == "Password"
    assert headers["CAS-longTermAuthenticationRequestTokenUsed"] == "false"
    site.apache.assert_no_child_died(since=mark)


def test_mod_auth_openidc_logs_in_through_the_pool_with_claims_as_headers(site):
    """Apache mod_auth_openidc, a confidential client: discovery and the
    token, userinfo and JWKS calls go through HAProxy (TLS checked), the
    browser logs in on the pool's CAS form, and the application sees the
    user and their claims; a forged claim header is dropped."""
    mark = site.apache.mark()
    browser = site.browser(**{"OIDC-CLAIM-email": "mallory@evil.test"})
    seen = whoami(site, browser, "oidc")
    assert seen["remote_user"] == USER, f"{seen}\n{browser.history()}"
    headers = seen["headers"]
    assert headers["OIDC-CLAIM-sub"] == USER
    assert headers["OIDC-CLAIM-email"] == "jdoe@example.edu", headers
    assert headers["OIDC-CLAIM-name"] == "Jane <Doe> & Co"
    assert headers["OIDC-CLAIM-memberOf"] == "staff,faculty"
    assert headers["OIDC-CLAIM-amr"] == "pwd"
    assert headers["OIDC-CLAIM-iss"] == site.cas + "oidc"
    # app -> authorize -> CAS login form -> POST -> authorize?ticket= ->
    # redirect_uri?code= -> app.
    assert [hop.status for hop in browser.hops] == [302, 302, 200, 302, 302, 302, 200], \
        browser.history()
    code_hop = browser.hops[5]
    assert "code=OC-" in code_hop.url and "iss=" in code_hop.url, code_hop.url
    # The same browser's CAS session serves a CAS application at once.
    before = len(browser.hops)
    cas2 = whoami(site, browser, "cas2")
    assert cas2["remote_user"] == USER
    assert [hop.status for hop in browser.hops[before:]] == [302, 302, 302, 200], browser.history()
    site.apache.assert_no_child_died(since=mark)


def test_openid_client_runs_the_code_flow_refresh_introspection_and_revocation(site):
    """openid-client (npm) through HAProxy: its own checks of the ID token
    (signature from the JWKS, iss, aud, nonce, state, PKCE), then
    userinfo, a refresh and introspection. This pool is stateless, and
    says so: revocation answers unsupported_token_type, and a rotated
    refresh token is still accepted (test_oidc.py checks both with the
    store)."""
    openid_client_ready()
    redirect = f"https://127.0.0.1:{site.ports['node_rp']}/callback"
    rp = subprocess.Popen(
        ["node", str(OPENID_CLIENT / "rp.mjs")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=OPENID_CLIENT,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(site.authority.pem),
             "ISSUER": site.cas + "oidc", "CLIENT_ID": NODE_RP_CLIENT_ID,
             "CLIENT_SECRET": OIDC_CLIENT_SECRET, "REDIRECT_URI": redirect},
    )
    try:
        first = rp.stdout.readline()
        assert first, rp.stderr.read()
        browser = site.browser()
        answer = browser.request("GET", json.loads(first)["authorize"])
        for _ in range(8):
            form = login_form(answer)
            if form is not None:
                answer = browser.submit_login(answer, form)
                continue
            assert answer.is_redirect, f"{answer.status_code}\n{browser.history()}"
            location = urljoin(answer.url, answer.headers["Location"])
            if location.startswith(redirect):
                break
            answer = browser.request("GET", location)
        out, err = rp.communicate(location + "\n", timeout=60)
    finally:
        if rp.poll() is None:
            rp.kill()
    assert rp.returncode == 0, err
    got = json.loads(out)
    assert got["claims"]["sub"] == USER and got["claims"]["aud"] == NODE_RP_CLIENT_ID
    assert got["claims"]["iss"] == site.cas + "oidc"
    assert got["userinfo"] == {"sub": USER, "email": "jdoe@example.edu",
                               "name": "Jane <Doe> & Co", "memberOf": ["staff", "faculty"]}
    assert got["sizes"]["access_token"] <= 160 and got["sizes"]["refresh_token"] <= 180
    assert got["scope"] == "openid profile email"
    assert got["refreshed_claims"]["auth_time"] == got["claims"]["auth_time"]
    assert got["introspected"]["active"] is True and got["introspected"]["client_id"] == NODE_RP_CLIENT_ID
    assert got["revocation"] == "unsupported_token_type"
    assert got["after_revocation"]["active"] is True
    assert got["reuse"] == "accepted"


def test_mod_auth_cas_checks_the_cas_server_certificate(site):
    """CASCertificatePath names another CA: the ticket never validates."""
    mark = site.apache.mark()
    browser = site.browser()
    page = visit(site, browser, site.apps["wrong_ca"])
    assert page.status_code == 401, browser.history()
    assert "ticket=" in browser.hops[-1].url
    log = site.apache.error_log(mark)
    assert "curl_easy_perform() failed" in log and "certificate" in log, log[-3000:]
    site.apache.assert_no_child_died(since=mark)


def test_mod_auth_cas_saml_request_as_captured(site):
    """What mod_auth_cas sends with CASValidateSAML On, recorded by the stub
    (clients.CasStub), which answers as Apereo CAS would after validating the
    artifact on the pool's /p3/serviceValidate."""
    mark = site.apache.mark()
    browser = site.browser()
    recorded = len(site.stub.recorded)
    seen = whoami(site, browser, "bridge")
    assert seen["remote_user"] == USER
    for name, value in USER_HEADERS.items():
        assert seen["headers"].get(name) == value, seen["headers"]
    # mod_auth_cas 1.2 also turns both attributes of the
    # AuthenticationStatement into attributes (its test reads `!= ... ||
    # != ...`, always true).
    assert seen["headers"]["CAS-AuthenticationMethod"] == "urn:oasis:names:tc:SAML:1.0:am:password"
    assert "CAS-AuthenticationInstant" in seen["headers"]

    requests_seen = site.stub.recorded[recorded:]
    assert len(requests_seen) == 1, requests_seen
    request = requests_seen[0]
    ticket_hop = next(hop for hop in browser.hops if "ticket=" in hop.url)
    ticket = ticket_hop.url.split("ticket=")[1]
    service = ticket_hop.url.split("?ticket=")[0]
    assert request.method == "POST" and request.path == "/bridge/samlValidate"
    assert request.query == {"TARGET": [service]}, request.query
    # The service percent-encoded in lower case, the ticket only in the body.
    assert request.target.startswith("/bridge/samlValidate?TARGET=https%3a%2f%2f127.0.0.1%3a"), request.target
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "text/xml"
    assert headers["soapaction"] == "http://www.oasis-open.org/committees/security"
    assert request.body.decode() == MOD_AUTH_CAS_SAML_REQUEST % ticket
    artifact = ElementTree.fromstring(request.body).find(f".//{{{SAML_PROTOCOL}}}AssertionArtifact")
    assert artifact.text == ticket
    (site.work / "mod_auth_cas-samlValidate-request.txt").write_text(
        f"{request.method} {request.target} HTTP/1.1\n"
        + "".join(f"{k}: {v}\n" for k, v in request.headers.items())
        + "\n"
        + request.body.decode(),
        encoding="utf-8",
    )
    site.apache.assert_no_child_died(since=mark)


def test_mod_auth_cas_validates_saml11_through_the_pool(site):
    mark = site.apache.mark()
    seen = whoami(site, site.browser(), "saml")
    assert seen["remote_user"] == USER
    assert seen["headers"]["CAS-User"] == USER
    for name, value in USER_HEADERS.items():
        assert seen["headers"].get(name) == value, seen["headers"]
    site.apache.assert_no_child_died(since=mark)


def test_python_cas_validates_saml11_through_the_pool(site):
    browser = site.browser()
    st = browser.cas_login(site.cas, APP)
    session = trusting_session(site.authority.pem)
    client = CASClientWithSAMLV1(server_url=site.cas, service_url=APP, session=session)
    user, attributes, _ = client.verify_ticket(st)
    assert user == USER
    assert attributes["mail"] == "jdoe@example.edu"
    assert attributes["displayName"] == "Jane <Doe> & Co"
    assert attributes["memberOf"] == ["staff", "faculty"]
    # The same ticket presented for another service is refused.
    other = CASClientWithSAMLV1(server_url=site.cas, service_url=BACKEND, session=session)
    assert other.verify_ticket(st) == (None, {}, None)


# --- phpCAS ---------------------------------------------------------------------


def test_phpcas_logs_in_through_the_pool_with_cas3(site):
    mark = site.apache.mark()
    browser = site.browser()
    page = visit(site, browser, site.php + "client.php")
    assert page.status_code == 200, f"{browser.history()}\n{page.text[:3000]}\n{site.web.log('php-errors.log')}"
    seen = page.json()
    assert seen["user"] == USER
    attributes = seen["attributes"]
    assert attributes["mail"] == "jdoe@example.edu"
    assert attributes["displayName"] == "Jane <Doe> & Co"
    assert attributes["memberOf"] == ["staff", "faculty"]
    assert attributes["isFromNewLogin"] == "true"
    site.apache.assert_no_child_died(since=mark)


def test_phpcas_proxy_gets_a_pt_the_pool_validates(site):
    """phpCAS as a proxy: its pgtUrl is an https page of this Apache (test CA
    certificate, which the nodes trust with --proxy-ca); it asks the pool for
    a PT for the back end, and the back end validates it on the pool."""
    assert site.proxy_ca, (
        "cas_node has no --proxy-ca flag yet: the nodes cannot trust the phpCAS "
        "callback's certificate (test CA), so phpCAS never gets a PGT"
    )
    mark = site.apache.mark()
    browser = site.browser()
    page = visit(site, browser, site.php + "proxy.php?target=" + quote(BACKEND, safe=""))
    details = (
        f"{browser.history()}\n{page.text[:3000]}\nphp errors:\n{site.web.log('php-errors.log')[-2000:]}\n"
        + "".join(f"{node.name}:\n{node.log()[-1500:]}\n" for node in site.pool.nodes)
    )
    assert page.status_code == 200 and "json" in page.headers.get("Content-Type", ""), details
    seen = page.json()
    assert seen["user"] == USER
    assert seen["callback"] == site.callback
    pt = seen["pt"]
    assert pt and pt.startswith("PT-"), seen

    tree = cas_validation(site, "p3/proxyValidate", ticket=pt, service=BACKEND)
    success = tree.find("cas:authenticationSuccess", CAS_NS)
    assert success is not None, ElementTree.tostring(tree)
    assert success.findtext("cas:user", namespaces=CAS_NS) == USER
    proxies = [p.text for p in success.findall("cas:proxies/cas:proxy", CAS_NS)]
    assert proxies == [site.callback]
    site.apache.assert_no_child_died(since=mark)


@contextlib.contextmanager
def single_logout_site(site, tmp_path, redis_server, vhost):
    """Three nodes with a store behind their own HAProxy, the registry telling
    https://127.0.0.1:PORT/ of logouts, and an Apache serving
    `vhost(port, cas_url, cas_port, cert, key)` there. Yields
    (pool, cas URL, Apache, https://127.0.0.1:PORT/)."""
    port, proxy_port = free_ports(2)
    base = f"https://127.0.0.1:{port}/"
    (tmp_path / "pool").mkdir()
    pool = TlsPool(tmp_path / "pool", ["--store", redis_server.url, "--proxy-ca", site.authority.pem],
                   services=[*default_services(), service("Told of logouts", base, single_logout=True)])
    proxy = apache = None
    try:
        _, _, pem = site.authority.issue(tmp_path, "haproxy")
        proxy = HAProxy(tmp_path, proxy_port, pem, pool.nodes, site.authority.pem)
        cert, key, _ = site.authority.issue(tmp_path, "apache-slo")
        (tmp_path / "apache").mkdir()
        apache = Apache(tmp_path / "apache", site.web, [vhost(port, proxy.url, proxy_port, cert, key)],
                        base + "ping.txt", site.authority.pem)
        yield pool, proxy.url, apache, base
    finally:
        for daemon in (apache, proxy, pool):
            if daemon:
                daemon.stop()


def single_logout_ends_the_application_session(site, pool, cas, apache, app, logged_in, app_log):
    """A browser logs in to `app` through the pool (`logged_in(page)` says
    the page shows USER), comes back without a trip to CAS (the application's own session),
    logs out on CAS, and `app` then sends it back to CAS, whose session ended
    too: the form. Also: a node logged the request it sent, and no node
    logged a ticket. Returns the ST of the login and what to print on a
    failure; `app_log()` is the application's log."""
    browser = site.browser()

    def details():
        return (f"{browser.history()}\napplication log:\n{app_log()[-3000:]}\n"
                + "".join(f"{n.name}:\n{n.log()[-1500:]}\n" for n in pool.nodes))

    for page in (visit(site, browser, app, apache), browser.request("GET", app)):
        assert page.status_code == 200 and logged_in(page), details()

    answer = browser.request("GET", cas + "logout")
    assert answer.status_code == 200 and "ended on every node" in answer.text, details()
    # The LogoutRequest is sent in the background.
    deadline = time.monotonic() + TIMEOUT
    while True:
        page = browser.request("GET", app)
        if page.is_redirect:
            break
        assert time.monotonic() < deadline, "the application kept its session:\n" + details()
        time.sleep(0.1)
    assert page.headers["Location"].startswith(cas + "login?service="), details()
    assert login_form(browser.request("GET", page.headers["Location"])) is not None, details()
    assert any(f"single logout sent to {app} (" in n.log() for n in pool.nodes), details()
    for node in pool.nodes:
        assert not TICKET.search(node.log()), f"{node.name} logged a ticket"
    apache.assert_no_child_died()
    [st] = {m.group(0) for hop in browser.hops for m in [TICKET.search(hop.url)] if m}
    return st, details


def test_phpcas_session_ends_with_a_single_logout_from_the_pool(site, tmp_path, redis_server):
    """A pool with a store, the phpCAS host registered with single_logout: a
    logout on CAS (through HAProxy, any node) POSTs a SAML LogoutRequest to
    phpCAS, which destroys the session it opened for that ST."""

    def vhost(port, cas, cas_port, cert, key):
        text = phpcas_vhost(site.web, port, cert, key, cas_port, site.authority.pem)
        # mod_auth_cas is loaded and checks every server's settings, even
        # where no location uses it.
        unused = (f"CASCookiePath {site.web.private_dir('slo-cookies')}/\n    CASLoginURL {cas}login\n"
                  f"    CASValidateURL {cas}serviceValidate\n    CASCertificatePath {site.authority.pem}")
        return text.replace("SSLEngine on", "SSLEngine on\n    " + unused, 1)

    with single_logout_site(site, tmp_path, redis_server, vhost) as (pool, cas, apache, base):
        app = base + "php/slo.php"
        st, details = single_logout_ends_the_application_session(
            site, pool, cas, apache, app, lambda page: page.json() == {"user": USER},
            lambda: site.web.log("phpcas.log"))
        # phpCAS logged out the session of the very ST it was given.
        assert f"Ticket to logout: {st}" in site.web.log("phpcas.log"), details()
        assert any(f"single logout sent to {app} (200 OK)" in n.log() for n in pool.nodes), details()


def test_mod_auth_cas_session_ends_with_a_single_logout_from_the_pool(site, tmp_path, redis_server):
    """The same with mod_auth_cas 1.2 and `CASSSOEnabled On`: it reads the
    LogoutRequest POSTed to the protected location and deletes the cookie
    cache entry of the ST it names."""

    def vhost(port, cas, cas_port, cert, key):
        text = auth_cas_vhost(site.web, "slo", port, cert, key, cas, cas + "serviceValidate",
                              site.authority.pem, "/slo/", title="CAS 2.0 with single logout")
        return text.replace("CASDebug On", "CASDebug On\n    CASSSOEnabled On", 1)

    with single_logout_site(site, tmp_path, redis_server, vhost) as (pool, cas, apache, base):
        st, details = single_logout_ends_the_application_session(
            site, pool, cas, apache, base + "slo/whoami.php",
            lambda page: page.json()["remote_user"] == USER, apache.error_log)
        assert f"<samlp:SessionIndex>{st}</samlp:SessionIndex>" in apache.error_log(), details()


# --- mod_auth_cas and empty answers -------------------------------------------


@pytest.fixture
def crashing_apache(site, tmp_path):
    """A second Apache whose mod_auth_cas validates against the stub's
    /empty/ endpoint: 200 with an empty body."""
    port = free_ports(1)[0]
    cert, key, _ = site.authority.issue(tmp_path, "apache")
    vhost = auth_cas_vhost(
        site.web, "empty", port, cert, key, site.cas, site.stub.base + "empty/serviceValidate",
        site.authority.pem, "/empty/", title="CAS 2.0 against an empty answer",
    )
    # Registered with the site's pool (SIGHUP reloads the registry), so
    # that the login gets as far as the validation.
    site.pool.register(service("Empty answers", f"https://127.0.0.1:{port}/"))
    apache = Apache(tmp_path, site.web, [vhost], f"https://127.0.0.1:{port}/ping.txt", site.authority.pem)
    yield apache, f"https://127.0.0.1:{port}/empty/whoami.php"
    apache.stop()


def test_an_empty_validation_answer_kills_a_mod_auth_cas_child(site, crashing_apache):
    """mod_auth_cas 1.2 takes strlen() of the body it did not get: the child
    dies. Shows that the error-log check of the other tests sees it."""
    apache, url = crashing_apache
    browser = site.browser()
    with pytest.raises(requests.ConnectionError):
        browser.visit(url)
    assert apache.deaths(wait=3.0), apache.error_log()[-3000:]
    assert any(r.path == "/empty/serviceValidate" for r in site.stub.recorded)


# --- after everything -----------------------------------------------------------


def test_no_mod_auth_cas_child_died(site):
    """Runs after the flows above: any child killed by a signal (an empty
    answer from the pool, say) is in the error log."""
    site.apache.assert_no_child_died(wait=1.2)


def test_no_log_of_the_deployment_carries_a_ticket(site):
    """The nodes', HAProxy's and Apache's access logs (query strings left
    out on purpose, see the templates)."""
    logs = {node.name: node.log() for node in site.pool.nodes}
    logs["haproxy"] = site.haproxy.output()
    logs["apache access"] = (site.apache.logs / "access.log").read_text(encoding="utf-8")
    for name, text in logs.items():
        assert text, f"{name}: empty log"
        found = TICKET.search(text)
        assert not found, f"{name} logged a ticket: ...{text[max(0, found.start() - 200):found.end()]}"



def test_a_node_killed_mid_traffic_fails_no_login_beyond_those_in_flight(tmp_path, redis_server):
    """Three nodes with a shared store behind HAProxy; node 2 is killed by
    pid while browsers log in and applications validate, one after another.
    Only a login whose request was on node 2 at that moment may fail."""
    require_tools()
    authority = Authority(tmp_path)
    (tmp_path / "pool").mkdir()
    pool = TlsPool(tmp_path / "pool", ["--store", redis_server.url])
    proxy = None
    try:
        port = free_ports(1)[0]
        _, _, pem = authority.issue(tmp_path, "haproxy")
        proxy = HAProxy(tmp_path, port, pem, pool.nodes, authority.pem)
        client = CASClientV3(server_url=proxy.url, service_url=APP,
                             verify_ssl_certificate=str(authority.pem))
        done, failed, killed_at = 0, [], None
        deadline = time.monotonic() + 60
        while done < 60 and time.monotonic() < deadline:
            if done == 20:
                killed_at = done
                pool.nodes[1].process.kill()
            browser = Browser(authority.pem, USER, PASSWORD)
            try:
                st = browser.cas_login(proxy.url, APP)
                assert client.verify_ticket(st)[0] == USER, "validation failed"
            except (AssertionError, requests.RequestException) as e:
                failed.append((done, str(e)[:300]))
            done += 1
        assert done == 60, f"only {done} logins in 60 s"
        # After the kill, the survivors answered everything.
        assert {hop.node for hop in browser.hops} <= {"node1", "node3"}, browser.history()
        assert killed_at is not None and pool.nodes[1].process.poll() is not None
        # Sequential traffic: at most the one login in flight at the kill.
        assert len(failed) <= 1 and all(i == killed_at for i, _ in failed), failed
    finally:
        if proxy:
            proxy.stop()
        pool.stop()
