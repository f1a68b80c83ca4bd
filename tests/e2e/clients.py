"""Real CAS clients against a pool of three cas_node processes, deployed as an
operator would deploy them: HAProxy terminates TLS (a certificate from a
throwaway test CA, trustme) and balances round robin over the nodes, which
speak plain HTTP on loopback; Apache httpd runs mod_auth_cas 1.2 and phpCAS
1.6 over TLS (same CA); a browser (requests, trusting the test CA, following
redirects by hand) goes through all of it.

Everything listens on 127.0.0.1 on ports found free at run time, is started
by the `site` fixture and stopped by its pid when the module ends; every wait
is bounded. The Debian packages come from tests/install-packages.
"""

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import http.server
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit
from xml.sax.saxutils import escape, quoteattr

import pytest
import requests
import trustme

from conftest import CAS_NODE, PASSWORD, USER, Pool, default_services, service

CLIENTS = Path(__file__).resolve().parent / "clients"
INSTALL_HINT = (
    "run `bash tests/install-packages` as root: it installs haproxy, apache2, "
    "libapache2-mod-auth-cas, libapache2-mod-auth-openidc, libapache2-mod-php, php-cas, "
    "php-curl and php-xml"
)
# mod_auth_openidc's client of the pool's OpenID provider.
OIDC_CLIENT_ID = "apache-oidc"
OIDC_CLIENT_SECRET = "mod_auth_openidc's secret: 4f9Q-22kd-Lm0x"
APACHE_BIN = Path("/usr/sbin/apache2")
HAPROXY_BIN = Path("/usr/sbin/haproxy")
APACHE_MODULES = Path("/usr/lib/apache2/modules")
PHPCAS = Path("/usr/share/php/CAS/source/CAS.php")

START_SECONDS = 15
STOP_SECONDS = 10
TIMEOUT = 10
CALLBACK_PATH = "/php/callback.php"
CAS_NS = {"cas": "http://www.yale.edu/tp/cas"}


# --- the tools ---------------------------------------------------------------


def php_module():
    """mod_php's shared object (libphp8.2.so on bookworm), or None."""
    found = sorted(APACHE_MODULES.glob("libphp*.so"))
    return found[-1] if found else None


def missing_tools():
    php_ini = Path("/etc/php")
    wanted = {
        "haproxy": HAPROXY_BIN.exists(),
        "apache2": APACHE_BIN.exists(),
        "mod_auth_cas": (APACHE_MODULES / "mod_auth_cas.so").exists(),
        "mod_auth_openidc": (APACHE_MODULES / "mod_auth_openidc.so").exists(),
        "mod_ssl": (APACHE_MODULES / "mod_ssl.so").exists(),
        "mod_php": php_module() is not None,
        "phpCAS": PHPCAS.exists(),
        "php curl": any(php_ini.glob("*/apache2/conf.d/*-curl.ini")),
        "php dom": any(php_ini.glob("*/apache2/conf.d/*-dom.ini")),
    }
    return [name for name, present in wanted.items() if not present]


def require_tools():
    """Fails (never skips) the tests when a tool is missing."""
    missing = missing_tools()
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: {INSTALL_HINT}", pytrace=False)


def node_supports(flag):
    """Whether the cas_node binary (as built now) knows a command-line flag."""
    done = subprocess.run(
        [str(CAS_NODE), "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    return re.search(rf"(?m)^\s+{re.escape(flag)}\b", done.stdout) is not None


def free_ports(count):
    """`count` distinct ports free on 127.0.0.1 right now."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def fill(template, **values):
    """A template of tests/e2e/clients with its placeholders (@@NAME@@) filled."""
    text = (CLIENTS / template).read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", str(value))
    left = sorted(set(re.findall(r"@@[A-Z_]+@@", text)))
    assert not left, f"{template}: unfilled {left}"
    return text


# --- the test CA ---------------------------------------------------------------


class Authority:
    """A throwaway CA (trustme). Its certificate is world-readable in `directory`:
    Apache's children (www-data) read it for mod_auth_cas and phpCAS."""

    def __init__(self, directory):
        self.ca = trustme.CA()
        self.pem = directory / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.pem))
        os.chmod(self.pem, 0o644)

    def issue(self, directory, name):
        """A server certificate for 127.0.0.1 and localhost: (chain file, key
        file, key-and-chain file), all readable by root only."""
        # The common name too: mod_ssl matches a ServerName that is an IP
        # address against DNS names and the CN only (else warning AH01909).
        leaf = self.ca.issue_cert("127.0.0.1", "localhost", common_name="127.0.0.1")
        chain = directory / f"{name}.crt"
        key = directory / f"{name}.key"
        both = directory / f"{name}.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        leaf.private_key_pem.write_to_path(str(key))
        leaf.private_key_and_cert_chain_pem.write_to_path(str(both))
        for path in (chain, key, both):
            os.chmod(path, 0o600)
        return chain, key, both

    def server_context(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context


# --- processes -------------------------------------------------------------------


class Daemon:
    """A process in the foreground of its own session, output to `log_path`,
    stopped by its pid (SIGTERM, then SIGKILL to its process group if it does
    not end within STOP_SECONDS)."""

    def __init__(self, name, argv, log_path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def diagnostics(self):
        return f"{self.name} output:\n{self.output()[-4000:]}"

    def wait_until(self, ready, what):
        """Polls `ready()` (exceptions count as not ready) for START_SECONDS."""
        deadline = time.monotonic() + START_SECONDS
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise AssertionError(
                    f"{self.name} exited ({self.process.returncode}) before {what}\n{self.diagnostics()}"
                )
            try:
                if ready():
                    return
            except Exception as e:  # not up yet
                last = e
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{self.name}: no {what} in {START_SECONDS}s ({last!r})\n{self.diagnostics()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_SECONDS)
        self._log.close()


class TlsPool(Pool):
    """Three nodes on one keyring and the conftest users file, `/cas` context,
    behind TLS: without --insecure-cookie, so the browser, which talks https
    to HAProxy, gets a Secure CASTGC cookie, as in a deployment; HAProxy is
    their --trusted-proxy."""

    def __init__(self, workdir, extra_args, size=3, services=None):
        # HAProxy, on loopback, says who the client is and that it came over TLS.
        super().__init__(workdir, size, ["--trusted-proxy", "127.0.0.1", *extra_args],
                         secure_cookie=True, services=services)


class HAProxy(Daemon):
    """HAProxy terminating TLS on `port` in front of the pool (haproxy.cfg.in)."""

    def __init__(self, workdir, port, pem, nodes, ca_pem):
        servers = "\n".join(
            f"    server {node.name} {urlsplit(node.url).netloc} check inter 2s" for node in nodes
        )
        self.config = workdir / "haproxy.cfg"
        self.config.write_text(fill("haproxy.cfg.in", PORT=port, PEM=pem, SERVERS=servers), encoding="utf-8")
        check = subprocess.run(
            [str(HAPROXY_BIN), "-c", "-q", "-f", str(self.config)],
            capture_output=True, text=True, timeout=30, check=False,
        )
        assert check.returncode == 0, f"haproxy refuses {self.config}: {check.stdout}{check.stderr}"
        super().__init__("haproxy", [HAPROXY_BIN, "-db", "-f", self.config], workdir / "haproxy.log")
        self.url = f"https://127.0.0.1:{port}/cas/"
        self.wait_until(
            lambda: requests.get(self.url + "login", verify=str(ca_pem), timeout=2).status_code == 200,
            "login form through HAProxy",
        )


class WebRoot:
    """What Apache's children (www-data) read and write: the pages, the CA
    certificates, mod_auth_cas's session files, PHP sessions, phpCAS's PGT
    files and logs. In a directory of its own under /tmp, since pytest's tmp
    directories are private to root; `cleanup` copies its logs to `keep` and
    removes it."""

    def __init__(self, keep):
        self.keep = keep
        self.path = Path(tempfile.mkdtemp(prefix="cas-e2e-web-"))
        os.chmod(self.path, 0o755)
        shutil.copytree(CLIENTS / "htdocs", self.path / "htdocs")
        for root, dirs, files in os.walk(self.path / "htdocs"):
            for d in dirs:
                os.chmod(Path(root) / d, 0o755)
            for f in files:
                os.chmod(Path(root) / f, 0o644)
        self.www = pwd.getpwnam("www-data")
        for name in ("log", "sessions", "pgt"):
            self.private_dir(name)

    def private_dir(self, name):
        """A directory only www-data may use."""
        path = self.path / name
        path.mkdir(exist_ok=True)
        os.chown(path, self.www.pw_uid, self.www.pw_gid)
        os.chmod(path, 0o700)
        return path

    def log(self, name):
        path = self.path / "log" / name
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def cleanup(self):
        logs = self.path / "log"
        if logs.exists():
            shutil.copytree(logs, self.keep / "web-logs", dirs_exist_ok=True)
        shutil.rmtree(self.path, ignore_errors=True)


def auth_cas_vhost(web, name, port, cert, key, cas, validate_url, cas_ca, location, saml=False, title=""):
    """A virtual host whose `location` mod_auth_cas protects (vhost-auth-cas.conf.in)."""
    return fill(
        "vhost-auth-cas.conf.in",
        TITLE=title or name,
        PORT=port,
        CERT=cert,
        KEY=key,
        CAS=cas,
        VALIDATE_URL=validate_url,
        SAML="On" if saml else "Off",
        CAS_CA=cas_ca,
        COOKIES=web.private_dir(f"cookies-{name}"),
        LOCATION=location,
        WEB=web.path,
    )


def auth_openidc_vhost(web, port, cert, key, issuer, cas_ca, location):
    """A virtual host whose `location` mod_auth_openidc protects, a client of
    the pool's OpenID provider (vhost-auth-openidc.conf.in)."""
    return fill(
        "vhost-auth-openidc.conf.in",
        PORT=port, CERT=cert, KEY=key, ISSUER=issuer, CAS_CA=cas_ca,
        CLIENT_ID=OIDC_CLIENT_ID, CLIENT_SECRET=OIDC_CLIENT_SECRET,
        REDIRECT_URI=f"https://127.0.0.1:{port}{location}redirect_uri",
        PASSPHRASE=os.urandom(16).hex(), LOCATION=location, WEB=web.path,
    )


def oidc_client(client_id, redirect_uri):
    """The registry's [[client]] for a relying party (its secret is
    OIDC_CLIENT_SECRET)."""
    done = subprocess.run([str(CAS_NODE), "hash-password"], input=OIDC_CLIENT_SECRET + "\n",
                          capture_output=True, text=True, timeout=30, check=True)
    return {
        "name": f"Relying party {client_id}", "client_id": client_id,
        "secret_hash": done.stdout.strip(), "redirect_uris": [redirect_uri],
        "scopes": ["openid", "profile", "email"], "claims": ["email", "name", "memberOf"],
    }


OPENID_CLIENT = CLIENTS / "openid-client"
# openid-client's redirect URI: nothing listens there; the test's browser
# stops at the redirect and hands its URL to the relying party.
NODE_RP_CLIENT_ID = "node-openid-client"


def openid_client_ready():
    """Installs openid-client (npm ci, from the committed lock file) once."""
    if (OPENID_CLIENT / "node_modules" / "openid-client").exists():
        return
    assert shutil.which("npm"), "npm is missing: run `bash tests/install-packages` as root"
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OPENID_CLIENT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"


def phpcas_vhost(web, port, cert, key, cas_port, cas_ca):
    return fill(
        "vhost-phpcas.conf.in",
        PORT=port, CERT=cert, KEY=key, CAS_PORT=cas_port, CAS_CA=cas_ca, WEB=web.path,
    )


# The parent's line when a child dies of a signal (AH00052), and the signal.
DEATH = re.compile(r"exit signal|Segmentation fault")


class Apache(Daemon):
    """Apache httpd from apache.conf.in and `vhosts`, run and logs in
    `workdir`, `apache2 -DFOREGROUND -f CONF` as root with www-data children.
    `ping` is an https URL it serves once it is up."""

    def __init__(self, workdir, web, vhosts, ping, ca_pem):
        self.run_dir = workdir / "run"
        self.logs = workdir / "logs"
        self.run_dir.mkdir()
        self.logs.mkdir()
        self.config = workdir / "apache2.conf"
        self.config.write_text(
            fill(
                "apache.conf.in",
                PHP_MODULE=php_module(),
                RUN=self.run_dir,
                LOGS=self.logs,
                WEB=web.path,
                VHOSTS="\n".join(vhosts),
            ),
            encoding="utf-8",
        )
        self.error_log_path = self.logs / "error.log"
        check = subprocess.run(
            [str(APACHE_BIN), "-t", "-f", str(self.config)],
            capture_output=True, text=True, timeout=30, check=False,
        )
        assert check.returncode == 0, f"apache2 refuses {self.config}: {check.stdout}{check.stderr}"
        super().__init__("apache2", [APACHE_BIN, "-DFOREGROUND", "-f", self.config], self.logs / "stdout.log")
        self.wait_until(
            lambda: requests.get(ping, verify=str(ca_pem), timeout=2).status_code == 200,
            f"answer on {ping}",
        )

    def error_log(self, since=0):
        if not self.error_log_path.exists():
            return ""
        with open(self.error_log_path, "rb") as f:
            f.seek(since)
            return f.read().decode("utf-8", errors="replace")

    def mark(self):
        """Where the error log ends now (for `deaths(since=...)`)."""
        return self.error_log_path.stat().st_size if self.error_log_path.exists() else 0

    def deaths(self, since=0, wait=0.0):
        """Error-log lines saying a child died of a signal, written after
        `since`. The parent notices a dead child within about a second: with
        `wait`, keep looking that long (bounded) before saying there are none."""
        deadline = time.monotonic() + wait
        while True:
            found = [line for line in self.error_log(since).splitlines() if DEATH.search(line)]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)

    def assert_no_child_died(self, since=0, wait=0.0):
        died = self.deaths(since, wait)
        assert not died, "an Apache child died:\n" + "\n".join(died) + "\n" + self.error_log(since)[-3000:]

    def diagnostics(self):
        return super().diagnostics() + f"\nerror log:\n{self.error_log()[-4000:]}"


# --- a CAS server stub for mod_auth_cas's SAML requests ------------------------


SAML_PROTOCOL = "urn:oasis:names:tc:SAML:1.0:protocol"


def saml11_response(service, user=None, attributes=(), authenticated_at=None, method=None):
    """A samlValidate answer as Apereo CAS writes it (SOAP 1.1 envelope, SAML
    1.1 Response): Success with an AuthenticationStatement and an
    AttributeStatement, or RequestDenied without an assertion."""
    now = datetime.now(timezone.utc)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"  # noqa: E731
    target = quoteattr(service)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        "<SOAP-ENV:Header/><SOAP-ENV:Body>"
        f'<saml1p:Response xmlns:saml1p="{SAML_PROTOCOL}" IssueInstant="{stamp(now)}" '
        f'MajorVersion="1" MinorVersion="1" Recipient={target} ResponseID="_r{os.urandom(16).hex()}">'
    )
    tail = "</saml1p:Response></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    if user is None:
        return head + '<saml1p:Status><saml1p:StatusCode Value="saml1p:RequestDenied"/></saml1p:Status>' + tail
    subject = (
        f"<saml1:Subject><saml1:NameIdentifier>{escape(user)}</saml1:NameIdentifier>"
        "<saml1:SubjectConfirmation><saml1:ConfirmationMethod>"
        "urn:oasis:names:tc:SAML:1.0:cm:artifact</saml1:ConfirmationMethod>"
        "</saml1:SubjectConfirmation></saml1:Subject>"
    )
    grouped = {}
    for name, value in attributes:
        grouped.setdefault(name, []).append(value)
    statements = "".join(
        f'<saml1:Attribute AttributeName={quoteattr(name)} AttributeNamespace="http://www.ja-sig.org/products/cas/">'
        + "".join(
            f'<saml1:AttributeValue xsi:type="xs:string">{escape(v)}</saml1:AttributeValue>' for v in values
        )
        + "</saml1:Attribute>"
        for name, values in grouped.items()
    )
    return (
        head
        + '<saml1p:Status><saml1p:StatusCode Value="saml1p:Success"/></saml1p:Status>'
        + '<saml1:Assertion xmlns:saml1="urn:oasis:names:tc:SAML:1.0:assertion" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'AssertionID="_a{os.urandom(16).hex()}" IssueInstant="{stamp(now)}" Issuer="127.0.0.1" '
        'MajorVersion="1" MinorVersion="1">'
        f'<saml1:Conditions NotBefore="{stamp(now)}" NotOnOrAfter="{stamp(now + timedelta(seconds=30))}">'
        f"<saml1:AudienceRestrictionCondition><saml1:Audience>{escape(service)}</saml1:Audience>"
        "</saml1:AudienceRestrictionCondition></saml1:Conditions>"
        f'<saml1:AuthenticationStatement AuthenticationInstant="{authenticated_at or stamp(now)}" '
        f'AuthenticationMethod="{method or "urn:oasis:names:tc:SAML:1.0:am:password"}">'
        + subject
        + "</saml1:AuthenticationStatement><saml1:AttributeStatement>"
        + subject
        + statements
        + "</saml1:AttributeStatement></saml1:Assertion>"
        + tail
    )


@dataclass
class Recorded:
    method: str
    target: str  # the request target as sent: path and raw query
    path: str
    query: dict
    headers: dict
    body: bytes


class CasStub:
    """An https endpoint on loopback (certificate from the test CA) that a
    mod_auth_cas virtual host validates against instead of the pool. It
    records every request it gets, and answers:

    - `POST /bridge/samlValidate?TARGET=...`: the SAML 1.1 answer made of the
      pool's CAS 3.0 validation of the request's `samlp:AssertionArtifact`
      for TARGET (`/cas/p3/serviceValidate` through HAProxy), written as
      Apereo CAS writes samlValidate answers;
    - anything under `/empty/`: 200 with an empty body."""

    def __init__(self, authority, cas_url_getter):
        self.recorded = []
        self.cas_url = cas_url_getter
        self.ca_pem = str(authority.pem)
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self, body, content_type="text/xml; charset=UTF-8"):
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def handle_any(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.recorded.append(
                    Recorded(self.command, self.path, url.path, parse_qs(url.query),
                             dict(self.headers.items()), body)
                )
                if url.path.startswith("/empty/"):
                    return self.answer("")
                if url.path == "/bridge/samlValidate" and self.command == "POST":
                    return self.answer(stub.bridge(parse_qs(url.query), body))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = authority.server_context().wrap_socket(self.server.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bridge(self, query, body):
        service = (query.get("TARGET") or [""])[0]
        try:
            artifact = ElementTree.fromstring(body).find(f".//{{{SAML_PROTOCOL}}}AssertionArtifact")
        except ElementTree.ParseError:
            artifact = None
        ticket = (artifact.text or "").strip() if artifact is not None else ""
        if not ticket or not service:
            return saml11_response(service)
        answer = requests.get(
            self.cas_url() + "p3/serviceValidate",
            params={"ticket": ticket, "service": service},
            verify=self.ca_pem,
            timeout=TIMEOUT,
        )
        success = ElementTree.fromstring(answer.content).find("cas:authenticationSuccess", CAS_NS)
        if success is None:
            return saml11_response(service)
        released = success.find("cas:attributes", CAS_NS)
        attributes = [
            (element.tag.split("}")[1], element.text or "")
            for element in (released if released is not None else [])
        ]
        protocol = {"authenticationDate", "authenticationMethod", "isFromNewLogin",
                    "longTermAuthenticationRequestTokenUsed"}
        return saml11_response(
            service,
            user=success.findtext("cas:user", namespaces=CAS_NS),
            attributes=[(n, v) for n, v in attributes if n not in protocol],
            authenticated_at=dict(attributes).get("authenticationDate"),
        )

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --- the browser -------------------------------------------------------------------


def trusting_session(ca_pem):
    """A requests.Session that trusts the test CA. Without trust_env=False,
    REQUESTS_CA_BUNDLE (set on many machines) would override session.verify
    (requests issue 3829)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_pem)
    return session


class FormParser(HTMLParser):
    """Every <form> of a page with its <input> elements."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"attrs": attributes, "inputs": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append(attributes)


def login_form(response):
    """The CAS login form of a page (the form with a password input), or None."""
    if response.status_code not in (200, 401) or "html" not in response.headers.get("Content-Type", ""):
        return None
    parser = FormParser()
    parser.feed(response.text)
    for form in parser.forms:
        if any(i.get("name") == "password" for i in form["inputs"]):
            return form
    return None


def hidden_fields(form):
    return {i["name"]: i.get("value", "") for i in form["inputs"]
            if i.get("type", "").lower() == "hidden" and i.get("name")}


@dataclass
class Hop:
    method: str
    url: str
    status: int
    node: str

    def __str__(self):
        return f"{self.method} {self.url} -> {self.status}" + (f" [{self.node}]" if self.node else "")


@dataclass
class Browser:
    """A browser: a requests.Session trusting the test CA, redirects followed
    by hand, the CAS login form filled in with the user's credentials and
    posted back with every hidden input it carries and the cookies its page
    set. `hops` is the history; `node` is the pool node that answered a
    request through HAProxy (its X-CAS-Node header)."""

    ca_pem: Path
    username: str
    password: str
    headers: dict = field(default_factory=dict)
    hops: list = field(default_factory=list)
    forms: list = field(default_factory=list)

    def __post_init__(self):
        self.session = trusting_session(self.ca_pem)
        self.session.headers.update(self.headers)

    def request(self, method, url, **kwargs):
        response = self.session.request(method, url, allow_redirects=False, timeout=TIMEOUT, **kwargs)
        self.hops.append(Hop(method, url, response.status_code, response.headers.get("X-CAS-Node", "")))
        return response

    def history(self):
        return "\n".join(map(str, self.hops))

    def submit_login(self, page, form):
        """Posts the login form of `page` back: its hidden inputs (service,
        execution, ...), the credentials."""
        self.forms.append(form)
        fields = hidden_fields(form)
        fields.update(username=self.username, password=self.password)
        action = urljoin(page.url, form["attrs"].get("action") or page.url)
        method = form["attrs"].get("method", "get").upper()
        assert method == "POST", f"the login form is sent with {method}"
        return self.request("POST", action, data=fields)

    def visit(self, url, max_hops=12):
        """GET `url`, following redirects and logging in when CAS shows its
        form; the first answer that is neither."""
        response = self.request("GET", url)
        for _ in range(max_hops):
            if response.is_redirect:
                response = self.request("GET", urljoin(response.url, response.headers["Location"]))
                continue
            form = login_form(response)
            if form is None:
                return response
            assert response.status_code == 200, f"login refused:\n{self.history()}\n{response.text[:2000]}"
            response = self.submit_login(response, form)
        raise AssertionError(f"more than {max_hops} hops:\n{self.history()}")

    def cas_login(self, cas_url, service):
        """Logs in on the CAS server for `service` and returns the ST from the
        redirect, without going to the service."""
        page = self.request("GET", cas_url + "login", params={"service": service})
        form = login_form(page)
        assert form is not None, f"no login form:\n{self.history()}\n{page.text[:2000]}"
        answer = self.submit_login(page, form)
        assert answer.status_code == 302, f"login failed:\n{self.history()}\n{answer.text[:2000]}"
        location = answer.headers["Location"]
        assert location.startswith(service), location
        return parse_qs(urlsplit(location).query)["ticket"][0]


# --- the whole site ----------------------------------------------------------------


@dataclass
class Site:
    """The deployment the client tests share. URLs end in `/` where they are
    bases (`cas`, `php`)."""

    work: Path
    web: WebRoot
    authority: Authority
    other_ca: Path
    pool: TlsPool
    proxy_ca: bool
    haproxy: HAProxy
    stub: CasStub
    apache: Apache
    cas: str
    php: str
    callback: str
    apps: dict  # name -> URL of whoami.php behind mod_auth_cas
    ports: dict

    def browser(self, **headers):
        return Browser(self.authority.pem, USER, PASSWORD, headers=headers)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """CA, pool, HAProxy, the CAS stub and Apache, stopped in reverse order."""
    require_tools()
    work = tmp_path_factory.mktemp("clients")
    with contextlib.ExitStack() as stack:
        web = WebRoot(work)
        stack.callback(web.cleanup)
        authority = Authority(web.path)
        other_ca = web.path / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(other_ca))
        os.chmod(other_ca, 0o644)

        names = ["haproxy", "php", "cas2", "p3", "saml", "bridge", "wrong_ca", "oidc", "node_rp"]
        ports = dict(zip(names, free_ports(len(names))))
        php = f"https://127.0.0.1:{ports['php']}/php/"
        callback = f"https://127.0.0.1:{ports['php']}{CALLBACK_PATH}"

        proxy_ca = node_supports("--proxy-ca")
        extra = ["--proxy-ca", authority.pem] if proxy_ca else []
        # The pool is an OpenID provider at HAProxy's public URL.
        issuer = f"https://127.0.0.1:{ports['haproxy']}/cas/oidc"
        signing_keys = work / "signing.json"
        subprocess.run([str(CAS_NODE), "signing-keys", "new", "--out", str(signing_keys)],
                       capture_output=True, timeout=60, check=True)
        extra += ["--oidc-issuer", issuer, "--oidc-signing-keys", signing_keys]
        # The registry: the phpCAS host (PGTs at its callback) and each
        # mod_auth_cas host, with every attribute; the tests' own services.
        services = [
            *default_services(),
            service("phpCAS", php.replace("/php/", "/"), attributes=["*"], proxy_callbacks=[callback]),
            *(service(name, f"https://127.0.0.1:{ports[name]}/", attributes=["*"])
              for name in ("cas2", "p3", "saml", "bridge", "wrong_ca")),
            oidc_client(OIDC_CLIENT_ID, f"https://127.0.0.1:{ports['oidc']}/oidc/redirect_uri"),
            oidc_client(NODE_RP_CLIENT_ID, f"https://127.0.0.1:{ports['node_rp']}/callback"),
        ]
        (work / "pool").mkdir()
        pool = TlsPool(work / "pool", extra, services=services)
        stack.callback(pool.stop)

        _, _, haproxy_pem = authority.issue(work, "haproxy")
        haproxy = HAProxy(work, ports["haproxy"], haproxy_pem, pool.nodes, authority.pem)
        stack.callback(haproxy.stop)
        cas = haproxy.url

        stub = CasStub(authority, lambda: cas)
        stack.callback(stub.stop)

        cert, key, _ = authority.issue(work, "apache")
        common = dict(cert=cert, key=key, cas=cas, cas_ca=authority.pem)
        vhosts = [
            phpcas_vhost(web, ports["php"], cert, key, ports["haproxy"], authority.pem),
            auth_cas_vhost(web, "cas2", ports["cas2"], validate_url=cas + "serviceValidate",
                           location="/cas2/", title="CAS 2.0 through the pool", **common),
            auth_cas_vhost(web, "p3", ports["p3"], validate_url=cas + "p3/serviceValidate",
                           location="/p3/", title="CAS 3.0 (attributes) through the pool", **common),
            auth_cas_vhost(web, "saml", ports["saml"], validate_url=cas + "samlValidate", saml=True,
                           location="/saml/", title="SAML 1.1 through the pool", **common),
            auth_cas_vhost(web, "bridge", ports["bridge"], validate_url=stub.base + "bridge/samlValidate",
                           saml=True, location="/bridge/",
                           title="SAML 1.1 through the recording stub", **common),
            auth_cas_vhost(web, "wrong_ca", ports["wrong_ca"], validate_url=cas + "serviceValidate",
                           location="/wrong-ca/", title="CAS 2.0, trusting another CA",
                           **{**common, "cas_ca": other_ca}),
            auth_openidc_vhost(web, ports["oidc"], cert, key, issuer, authority.pem, "/oidc/"),
        ]
        (work / "apache").mkdir()
        apache = Apache(work / "apache", web, vhosts, php.replace("/php/", "/ping.txt"), authority.pem)
        stack.callback(apache.stop)

        apps = {
            name: f"https://127.0.0.1:{ports[name]}/{name.replace('_', '-')}/whoami.php"
            for name in ("cas2", "p3", "saml", "bridge", "wrong_ca", "oidc")
        }
        yield Site(
            work=work, web=web, authority=authority, other_ca=other_ca, pool=pool,
            proxy_ca=proxy_ca, haproxy=haproxy, stub=stub, apache=apache, cas=cas,
            php=php, callback=callback, apps=apps, ports=ports,
        )
