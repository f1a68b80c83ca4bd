//! A redis-server on a free loopback port, for the store's tests and
//! benches: Debian's redis-server and redis-cli (tests/install-packages
//! installs them), no persistence, stopped by pid when dropped.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A redis-server process, stopped (SIGKILL, by pid) when dropped.
pub struct Server {
    pub port: u16,
    dir: PathBuf,
    extra: Vec<String>,
    /// For a TLS-only server: the CA that redis-cli trusts.
    tls_ca: Option<PathBuf>,
    child: Option<Child>,
}

impl Server {
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_on(free_port(), None, dir, extra)
    }

    pub fn start_on(port: u16, tls_ca: Option<PathBuf>, dir: &Path, extra: &[&str]) -> Server {
        let mut server = Server {
            port,
            dir: dir.to_owned(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            tls_ca,
            child: None,
        };
        server.restart();
        server
    }

    pub fn restart(&mut self) {
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--dir", self.dir.to_str().unwrap()])
            .args(&self.extra);
        if self.tls_ca.is_none() {
            cmd.args(["--port", &self.port.to_string()]);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server: install Debian's redis-server (.ci/run does)");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + StdDuration::from_secs(10);
        while self.cli(&["PING"]) != "PONG" {
            assert!(
                Instant::now() < deadline,
                "redis-server on {} did not start",
                self.port
            );
            std::thread::sleep(StdDuration::from_millis(20));
        }
    }

    pub fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("redis-cli");
        cmd.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some(ca) = &self.tls_ca {
            cmd.arg("--tls").arg("--cacert").arg(ca);
        }
        let out = cmd
            .args(args)
            .output()
            .expect("redis-cli: install Debian's redis-tools (.ci/run does)");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
