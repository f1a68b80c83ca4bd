"""cas-node on an LDAP directory (issue 21): a real OpenLDAP slapd started
here on a free loopback port, reached with StartTLS under a private CA, a
service account searching for users. Users log in with the directory's
passwords, the principal is the directory's spelling, attributes come from
the directory at validation as the registry releases them, and a directory
that is down gives the login page an error it can show: never a login,
never a 500."""

import os
import socket
import subprocess
import time
from urllib.parse import urljoin
from xml.etree import ElementTree

import pytest
import requests
import trustme

from conftest import APP, NODE_START_SECONDS, Node, default_services, ticketctl, write_services
from test_pool import NS, TIMEOUT, hidden_fields, raw, ticket_from

BASE = "dc=example,dc=edu"
ADMIN, ADMIN_PASSWORD = f"cn=admin,{BASE}", "admin secret"
SERVICE, SERVICE_PASSWORD = f"cn=cas,ou=services,{BASE}", "service: secret"
MAIL, PASSWORD = "jdoe@example.edu", "correct horse (battery) staple*"
TREE = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
dc: example
o: Example University

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{BASE}
objectClass: organizationalUnit
ou: services

dn: {SERVICE}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: cas
userPassword: {SERVICE_PASSWORD}

dn: uid=jdoe,ou=people,{BASE}
objectClass: inetOrgPerson
uid: jdoe
cn: Jane Doe
sn: Doe
mail: {MAIL}
userPassword: {PASSWORD}

dn: cn=staff,ou=groups,{BASE}
objectClass: groupOfNames
cn: staff
member: uid=jdoe,ou=people,{BASE}

dn: cn=faculty,ou=groups,{BASE}
objectClass: groupOfNames
cn: faculty
member: uid=jdoe,ou=people,{BASE}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    """slapd on a free port with StartTLS (a throwaway CA) and the tree."""
    work = tmp_path_factory.mktemp("slapd")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(work / "ca.pem"))
    server = ca.issue_cert("127.0.0.1")
    server.cert_chain_pems[0].write_to_path(str(work / "server.pem"))
    server.private_key_pem.write_to_path(str(work / "server.key"))
    (work / "db").mkdir()
    (work / "slapd.conf").write_text(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {work}/slapd.pid
TLSCertificateFile {work}/server.pem
TLSCertificateKeyFile {work}/server.key
database mdb
maxsize 16777216
suffix "{BASE}"
rootdn "{ADMIN}"
rootpw "{ADMIN_PASSWORD}"
directory {work}/db
overlay memberof
access to attrs=userPassword by anonymous auth by self write by * none
access to * by dn.exact="{SERVICE}" read by * none
""", encoding="utf-8")
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    process = subprocess.Popen(
        ["/usr/sbin/slapd", "-f", str(work / "slapd.conf"), "-h", url + "/", "-d", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + NODE_START_SECONDS
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "slapd exited"
                assert time.monotonic() < deadline, "slapd did not listen"
                time.sleep(0.05)
        subprocess.run(["ldapadd", "-x", "-H", url, "-D", ADMIN, "-w", ADMIN_PASSWORD],
                       input=TREE, text=True, capture_output=True, timeout=30, check=True)
        password_file = work / "bind-password"
        password_file.write_text(SERVICE_PASSWORD + "\n", encoding="utf-8")
        os.chmod(password_file, 0o600)
        yield {"url": url, "ca": work / "ca.pem", "password_file": password_file}
    finally:
        process.terminate()
        process.wait(timeout=10)


def directory_node(tmp_path, name, url, ca, password_file):
    keys = tmp_path / "keys.json"
    if not keys.exists():
        ticketctl("keygen", "--out", keys)
    services = tmp_path / "services.toml"
    write_services(services, default_services())
    return Node(name, tmp_path, keys, None, services, [
        "--ldap", url, "--ldap-ca", ca, "--ldap-base", BASE,
        "--ldap-filter", "(|(uid={user})(mail={user}))", "--ldap-principal-attribute", "mail",
        "--ldap-bind-dn", SERVICE, "--ldap-bind-password-file", password_file,
        "--ldap-attributes", "mail,memberOf,cn", "--ldap-timeout", "1s",
    ])


def post_login(node, username, password):
    session = requests.Session()
    form = session.get(urljoin(node.url, "login"), params={"service": APP}, timeout=TIMEOUT)
    assert form.status_code == 200, form.text
    fields = {**hidden_fields(form.text), "username": username, "password": password}
    answer = session.post(urljoin(node.url, "login"), data=fields, allow_redirects=False,
                          timeout=TIMEOUT)
    return session, answer


def test_directory_users_log_in_and_their_attributes_are_read_at_validation(slapd, tmp_path):
    node1 = directory_node(tmp_path, "node1", slapd["url"], slapd["ca"], slapd["password_file"])
    node2 = directory_node(tmp_path, "node2", slapd["url"], slapd["ca"], slapd["password_file"])
    try:
        assert "users from the directory" in node1.log()
        # The uid, in another case: the principal is the directory's mail.
        session, answer = post_login(node1, "JDoe", PASSWORD)
        assert answer.status_code == 302, answer.text
        tree = raw(node2, "p3/serviceValidate", ticket=ticket_from(answer, APP), service=APP)
        success = tree.find("cas:authenticationSuccess", NS)
        assert success is not None, ElementTree.tostring(tree)
        assert success.findtext("cas:user", namespaces=NS) == MAIL
        attributes = success.find("cas:attributes", NS)
        member_of = sorted(e.text for e in attributes.findall("cas:memberOf", NS))
        assert member_of == [f"cn=faculty,ou=groups,{BASE}", f"cn=staff,ou=groups,{BASE}"]
        assert attributes.findtext("cas:mail", namespaces=NS) == MAIL
        assert attributes.findtext("cas:cn", namespaces=NS) == "Jane Doe"

        _, wrong = post_login(node2, MAIL, "not it")
        assert wrong.status_code == 401 and "not correct" in wrong.text
        assert "CASTGC" not in wrong.cookies
        # An LDAP filter in the user name finds no one.
        _, injected = post_login(node2, "*)(uid=*", PASSWORD)
        assert injected.status_code == 401
        for node in (node1, node2):
            assert PASSWORD not in node.log() and SERVICE_PASSWORD not in node.log()
    finally:
        node1.stop()
        node2.stop()


def test_a_directory_that_is_down_gets_a_page_never_a_login(slapd, tmp_path):
    down = f"ldap://127.0.0.1:{free_port()}"
    node = directory_node(tmp_path, "node", down, slapd["ca"], slapd["password_file"])
    try:
        _, answer = post_login(node, "jdoe", PASSWORD)
        assert answer.status_code == 503, answer.text
        assert "directory of users is unavailable" in answer.text
        assert "Try again" in answer.text and 'name="password"' in answer.text
        assert "CASTGC" not in answer.cookies
        log = node.log()
        assert "login not checked" in log and down in log and PASSWORD not in log, log
    finally:
        node.stop()


def test_the_node_refuses_a_readable_bind_password_file(slapd, tmp_path):
    readable = tmp_path / "readable"
    readable.write_text(SERVICE_PASSWORD + "\n", encoding="utf-8")
    os.chmod(readable, 0o644)
    with pytest.raises(AssertionError, match="mode 0644") as refused:
        directory_node(tmp_path, "node", slapd["url"], slapd["ca"], readable)
    assert SERVICE_PASSWORD not in str(refused.value)
