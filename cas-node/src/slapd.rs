//! A real OpenLDAP `slapd` (Debian's package) for the directory's tests: a
//! private configuration, database and certificates in a temporary
//! directory, `ldap://` (plain and StartTLS) and `ldaps://` on free loopback
//! ports, the test tree added over LDAP (so that the memberOf overlay fills
//! in group memberships as a real directory's would), and the process
//! stopped by its pid when dropped.

use std::collections::HashSet;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, dn_escape};

#[path = "../../tests/common/test_ca.rs"]
mod test_ca;

pub const BASE: &str = "dc=example,dc=edu";
pub const ADMIN: &str = "cn=admin,dc=example,dc=edu";
const ADMIN_PASSWORD: &str = "admin secret";
/// The service account a node may search as.
pub const SERVICE: &str = "cn=cas,ou=services,dc=example,dc=edu";
pub const SERVICE_PASSWORD: &str = "service: secret";
pub const JDOE_PASSWORD: &str = "correct horse (battery) staple*";
/// A user whose DN is full of characters DNs escape.
pub const OBRIEN_CN: &str = "O'Brien, Jr. + \"Q\" <x>; #1 \\ =";
pub const OBRIEN_PASSWORD: &str = "obrien's secret";

pub struct Slapd {
    dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    pub tls_port: u16,
}

impl Slapd {
    /// Starts slapd with the test tree. Panics (failing the test) if slapd
    /// is not installed or does not come up within 10 s.
    pub async fn start() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        test_ca::issue(d);
        std::fs::create_dir(d.join("db")).unwrap();
        let path = |f: &str| d.join(f).display().to_string();
        let config = format!(
            r#"include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
# As Active Directory does: a bind with a DN and no password succeeds, as
# an unauthenticated bind (RFC 4513 5.1.2). The node must not rely on
# servers refusing it.
allow bind_anon_dn
pidfile {pid}
argsfile {args}
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
database mdb
maxsize 16777216
suffix "{BASE}"
rootdn "{ADMIN}"
rootpw "{ADMIN_PASSWORD}"
directory {db}
overlay memberof
access to attrs=userPassword by anonymous auth by self write by * none
access to * by * read
"#,
            pid = path("slapd.pid"),
            args = path("slapd.args"),
            ca = path("ca.pem"),
            cert = path("server.pem"),
            key = path("server.key"),
            db = path("db"),
        );
        std::fs::write(d.join("slapd.conf"), config).unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-h")
            .arg(format!(
                "ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
            ))
            // In the foreground, logging nothing.
            .args(["-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd (Debian's slapd package; tests/install-packages installs it)");
        let slapd = Slapd {
            dir,
            child,
            port,
            tls_port,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "slapd did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        slapd.add_tree().await;
        slapd
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.tls_port)
    }

    /// The test CA that signed the server's certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A file in the test directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The DN of the user with the specials in their name.
    pub fn obrien_dn() -> String {
        format!("cn={},ou=people,{BASE}", dn_escape(OBRIEN_CN))
    }

    /// Deletes an entry, as an administrator removing a user would.
    pub async fn delete(&self, dn: &str) {
        let mut ldap = self.admin().await;
        ldap.delete(dn).await.unwrap().success().unwrap();
        ldap.unbind().await.unwrap();
    }

    async fn admin(&self) -> ldap3::Ldap {
        let (connection, mut ldap) = LdapConnAsync::new(&self.url()).await.unwrap();
        tokio::spawn(async move { connection.drive().await });
        ldap.simple_bind(ADMIN, ADMIN_PASSWORD)
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap
    }

    async fn add_tree(&self) {
        let mut ldap = self.admin().await;
        let obrien = Slapd::obrien_dn();
        let jdoe = format!("uid=jdoe,ou=people,{BASE}");
        let entries: Vec<(String, Entry)> = vec![
            (
                BASE.to_owned(),
                vec![
                    ("objectClass", vec!["dcObject", "organization"]),
                    ("dc", vec!["example"]),
                    ("o", vec!["Example University"]),
                ],
            ),
            (format!("ou=people,{BASE}"), organizational_unit("people")),
            (format!("ou=groups,{BASE}"), organizational_unit("groups")),
            (
                format!("ou=services,{BASE}"),
                organizational_unit("services"),
            ),
            (
                SERVICE.to_owned(),
                vec![
                    (
                        "objectClass",
                        vec!["organizationalRole", "simpleSecurityObject"],
                    ),
                    ("cn", vec!["cas"]),
                    ("userPassword", vec![SERVICE_PASSWORD]),
                ],
            ),
            (
                jdoe.clone(),
                vec![
                    ("objectClass", vec!["inetOrgPerson"]),
                    ("uid", vec!["jdoe"]),
                    ("cn", vec!["Jane Doe"]),
                    ("sn", vec!["Doe"]),
                    ("mail", vec!["jdoe@example.edu"]),
                    ("displayName", vec!["Jane <Doe> & Co"]),
                    ("userPassword", vec![JDOE_PASSWORD]),
                ],
            ),
            (
                obrien.clone(),
                vec![
                    ("objectClass", vec!["inetOrgPerson"]),
                    ("uid", vec!["obrien"]),
                    ("cn", vec![OBRIEN_CN]),
                    ("sn", vec!["O'Brien"]),
                    ("mail", vec!["obrien@example.edu"]),
                    ("userPassword", vec![OBRIEN_PASSWORD]),
                ],
            ),
            // Two entries share this uid: a search finds both.
            (format!("cn=twin one,ou=people,{BASE}"), twin("twin one")),
            (format!("cn=twin two,ou=people,{BASE}"), twin("twin two")),
            (
                format!("cn=staff,ou=groups,{BASE}"),
                vec![
                    ("objectClass", vec!["groupOfNames"]),
                    ("cn", vec!["staff"]),
                    ("member", vec![jdoe.as_str(), obrien.as_str()]),
                ],
            ),
            (
                format!("cn=faculty,ou=groups,{BASE}"),
                vec![
                    ("objectClass", vec!["groupOfNames"]),
                    ("cn", vec!["faculty"]),
                    ("member", vec![jdoe.as_str()]),
                ],
            ),
        ];
        for (dn, attributes) in entries {
            let attributes = attributes
                .into_iter()
                .map(|(name, values)| (name, values.into_iter().collect::<HashSet<_>>()))
                .collect();
            ldap.add(&dn, attributes)
                .await
                .unwrap()
                .success()
                .unwrap_or_else(|e| panic!("adding {dn}: {e}"));
        }
        ldap.unbind().await.unwrap();
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An entry's attributes, each with its values.
type Entry<'a> = Vec<(&'static str, Vec<&'a str>)>;

fn organizational_unit(name: &str) -> Entry<'_> {
    vec![
        ("objectClass", vec!["organizationalUnit"]),
        ("ou", vec![name]),
    ]
}

fn twin(cn: &str) -> Entry<'_> {
    vec![
        ("objectClass", vec!["inetOrgPerson"]),
        ("uid", vec!["twin"]),
        ("cn", vec![cn]),
        ("sn", vec!["Twin"]),
        ("userPassword", vec!["twin password"]),
    ]
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
