//! The HTTP front: no request goes without a body in its answer.
//!
//! hyper answers a request it cannot parse (a NUL or a raw non-ASCII byte in
//! the request line, a 100 kB URI, too many headers) with an empty-bodied
//! 400, 414 or 431 before any handler runs, and Apache mod_auth_cas 1.2 reads
//! an empty body through a null pointer: its child process dies. So every
//! connection's request head is read and checked here first, with hyper's
//! own parser (`httparse`) and stricter limits than hyper's, and refused with
//! a page when it would not pass; what passes is handed to hyper unchanged.
//!
//! **Every request is screened, on kept-alive connections too.** The
//! connection hyper reads ([`Checked`]) hands it one whole, checked request
//! (head and body) at a time: after the first, the next request is read and
//! checked in the same way before hyper sees a byte of it, within
//! [`REQUEST_TIMEOUT`] of its first byte, and a connection may sit idle
//! between requests for [`KEEP_ALIVE_IDLE`]. A later request that fails the
//! check or its deadline is never given to hyper: in its place hyper reads
//! a request of the front's own for [`REFUSED_PATH`], closing the
//! connection, which [`refused`] answers with the refusal page. Answers
//! stay in order (hyper may still be answering an earlier request), and the
//! client gets the same page as on a first request.
//!
//! Inside the router, [`answer_everything`] gives a body to whatever would
//! leave without one (unknown paths, wrong methods), in the endpoint's
//! language, and a panic becomes a 500 page.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    HeaderValue, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::Node;
use crate::page;

/// Longest request line accepted (method, target, version).
const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Longest request head accepted (request line and headers).
const MAX_HEAD: usize = 32 * 1024;
/// Most headers accepted (hyper's limit is 100).
const MAX_HEADERS: usize = 64;
/// How long a client may take to send its whole request, head and body: a
/// client that sends a head and then trickles (or withholds) its body gets
/// a 408 and its connection back, rather than holding a file descriptor.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may wait for its next request. Longer
/// than any answer takes (a pgtUrl callback has 5 s, the directory 3 s), so
/// that it never cuts an answer short.
const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(15);
/// Where the front sends, in place of a later request it refused, a request
/// of its own for the refusal page: `REFUSED_PATH` then the status.
pub const REFUSED_PATH: &str = "/.cas-node/refused/";
/// Largest body read (a login form, a SAML request); a longer one is
/// refused with 413 before it is read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A listener whose connections have a request head that hyper will parse.
pub struct Front {
    checked: mpsc::Receiver<(Checked, SocketAddr)>,
    local: SocketAddr,
}

impl Front {
    /// Listens on `addr`; connections are screened in tasks of their own, so
    /// a slow client never holds up the others.
    pub async fn bind(addr: SocketAddr) -> io::Result<Front> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (sender, checked) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        let sender = sender.clone();
                        tokio::spawn(async move {
                            if let Some(io) = screen(stream).await {
                                let _ = sender.send((io, peer)).await;
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        });
        Ok(Front { checked, local })
    }
}

impl axum::serve::Listener for Front {
    type Io = Checked;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Checked, SocketAddr) {
        match self.checked.recv().await {
            Some(connection) => connection,
            // The accept loop never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// The address a connection came from, for `ConnectInfo`.
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Front>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, Front>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// A connection whose requests are handed to hyper one whole, checked
/// request at a time (see the module docs).
pub struct Checked {
    stream: TcpStream,
    /// Bytes read from the stream and not yet handed to hyper: the checked
    /// request first, then what came after it.
    buffer: Vec<u8>,
    /// How much of `buffer` hyper has been given.
    replayed: usize,
    /// How much of `buffer` is checked and may be given.
    cleared: usize,
    /// The check of the request after the cleared one.
    scan: HeadScan,
    /// When the request being read must be whole (or, before its first
    /// byte, when the idle connection ends), once set for it.
    due: Option<tokio::time::Instant>,
    /// A wake-up at or before `due`, moved only when it would come after
    /// it or has come early ([`Checked::wait_until`]).
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// The client closed, or the idle deadline passed: hyper reads the end.
    ended: bool,
    /// Hyper was given the front's request for a refusal page, which closes
    /// the connection once answered: it reads nothing more.
    refused: bool,
    /// Where the stream is read into: the connection's own, zeroed once
    /// rather than at every read.
    chunk: Box<[u8]>,
}

impl Checked {
    /// A connection whose first `first` bytes of `buffer` are a checked
    /// request.
    fn new(stream: TcpStream, buffer: Vec<u8>, first: usize) -> Checked {
        Checked {
            stream,
            buffer,
            replayed: 0,
            cleared: first,
            scan: HeadScan::default(),
            due: None,
            deadline: Box::pin(tokio::time::sleep(KEEP_ALIVE_IDLE)),
            ended: false,
            refused: false,
            chunk: vec![0_u8; 8192].into_boxed_slice(),
        }
    }

    /// Clears the next request once it is whole and passes; ends the
    /// connection when it fails. `true` when there is something to give.
    fn clear_next(&mut self) -> bool {
        match self.scan.check(&self.buffer) {
            Some(Ok(body)) if self.buffer.len() >= self.scan.end + body => {
                self.cleared = self.scan.end + body;
                self.scan = HeadScan::default();
                self.due = None;
                true
            }
            Some(Err(status)) => {
                self.refuse(status);
                true
            }
            Some(Ok(_)) | None => false,
        }
    }

    /// In place of the request being read, hyper gets one for the refusal
    /// page, and then the end of the connection.
    fn refuse(&mut self, status: StatusCode) {
        self.buffer = format!(
            "GET {REFUSED_PATH}{} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n",
            status.as_u16()
        )
        .into_bytes();
        self.cleared = self.buffer.len();
        self.refused = true;
        self.due = None;
    }

    /// Ready once the deadline `wait` from when this wait began has
    /// passed; else pending, with a wake-up registered at or before it.
    /// The timer is moved only when it would come after the deadline or
    /// came early, so that the requests of a busy kept-alive connection
    /// touch no timer (each move takes the timer driver's lock): a wake-up
    /// left from an earlier wait comes early, and is moved then.
    fn wait_until(&mut self, cx: &mut Context<'_>, wait: Duration) -> Poll<()> {
        let due = *self
            .due
            .get_or_insert_with(|| tokio::time::Instant::now() + wait);
        loop {
            if self.deadline.deadline() > due {
                self.deadline.as_mut().reset(due);
            }
            match self.deadline.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) if self.deadline.deadline() >= due => return Poll::Ready(()),
                Poll::Ready(()) => self.deadline.as_mut().reset(due),
            }
        }
    }
}

impl AsyncRead for Checked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if let Some(rest) = this
                .buffer
                .get(this.replayed..this.cleared)
                .filter(|r| !r.is_empty())
            {
                let n = rest.len().min(buf.remaining());
                buf.put_slice(rest.get(..n).unwrap_or_default());
                this.replayed += n;
                return Poll::Ready(Ok(()));
            }
            // Hyper has the whole cleared request: what follows is the next
            // one, checked before hyper sees it.
            this.buffer.drain(..this.cleared);
            this.replayed = 0;
            this.cleared = 0;
            if this.ended {
                return Poll::Ready(Ok(()));
            }
            if this.refused {
                // Hyper ends the connection once it answers the refusal: an
                // end read before that would make it drop the answer. It has
                // KEEP_ALIVE_IDLE to do so.
                return this.wait_until(cx, KEEP_ALIVE_IDLE).map(Ok);
            }
            if this.clear_next() {
                continue;
            }
            let wait = if this.buffer.is_empty() {
                KEEP_ALIVE_IDLE
            } else {
                REQUEST_TIMEOUT
            };
            // Idle, or the first bytes of a request came: its clock starts.
            if this.wait_until(cx, wait).is_ready() {
                if this.buffer.is_empty() {
                    // Idle too long: the connection ends, as keep-alive ones do.
                    this.ended = true;
                    return Poll::Ready(Ok(()));
                }
                this.refuse(StatusCode::REQUEST_TIMEOUT);
                continue;
            }
            let mut read = ReadBuf::new(&mut this.chunk);
            match Pin::new(&mut this.stream).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => {
                    // The client closed: a partial request is dropped.
                    this.ended = true;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => {
                    let was_idle = this.buffer.is_empty();
                    this.buffer.extend_from_slice(read.filled());
                    if was_idle {
                        // The request's first bytes: it has REQUEST_TIMEOUT
                        // from now to be whole.
                        this.due = None;
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl AsyncWrite for Checked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Reads the whole request, head then body, within [`REQUEST_TIMEOUT`]; a
/// connection that closes first is dropped, one that fails the check or the
/// deadline gets a page and is closed.
async fn screen(mut stream: TcpStream) -> Option<Checked> {
    let mut read = Vec::with_capacity(1024);
    let verdict = tokio::time::timeout(REQUEST_TIMEOUT, async {
        let mut chunk = [0_u8; 4096];
        let mut head = HeadScan::default();
        loop {
            match head.check(&read) {
                Some(Ok(body_len)) if read.len() >= head.end + body_len => {
                    return Some(Ok(head.end + body_len));
                }
                Some(Ok(_)) => {}
                Some(Err(status)) => return Some(Err(status)),
                None => {}
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => read.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        }
    })
    .await
    .unwrap_or(Some(Err(StatusCode::REQUEST_TIMEOUT)));
    match verdict? {
        Ok(first) => Some(Checked::new(stream, read, first)),
        Err(status) => {
            let _ = stream.write_all(&refusal(status)).await;
            let _ = stream.shutdown().await;
            None
        }
    }
}

/// Where the request head ends, found in one pass over the bytes however
/// they arrive (a head sent a byte at a time is scanned once, not once per
/// byte), and the head's verdict once it is whole.
#[derive(Default)]
struct HeadScan {
    /// Bytes already searched for the end of the request line and head.
    scanned: usize,
    line_end: Option<usize>,
    /// Length of the head, once found; 0 before.
    end: usize,
    /// The verdict on the whole head: the body's length, or a refusal.
    verdict: Option<Result<usize, StatusCode>>,
    /// Bytes looked at so far, all calls together (linear: a test holds it).
    visited: usize,
}

impl HeadScan {
    /// `None` while the head is incomplete and within bounds; then the
    /// body's length for a head hyper will parse, or the status to refuse
    /// it with.
    fn check(&mut self, read: &[u8]) -> Option<Result<usize, StatusCode>> {
        if self.verdict.is_some() {
            return self.verdict;
        }
        // Resume two bytes back: the end marker may straddle two reads.
        let from = self.scanned.saturating_sub(2);
        let new = read.get(from..).unwrap_or_default();
        self.visited += new.len();
        for (offset, &byte) in new.iter().enumerate() {
            if byte != b'\n' {
                continue;
            }
            let at = from + offset;
            self.line_end.get_or_insert(at);
            // A head ends at an empty line: `\n\n` or `\n\r\n`.
            let rest = read.get(at + 1..).unwrap_or_default();
            let blank = if rest.starts_with(b"\n") {
                Some(at + 2)
            } else if rest.starts_with(b"\r\n") {
                Some(at + 3)
            } else {
                None
            };
            if let Some(end) = blank {
                self.end = end;
                break;
            }
        }
        self.scanned = read.len();
        if self.line_end.unwrap_or(read.len()) > MAX_REQUEST_LINE {
            return Some(Err(StatusCode::URI_TOO_LONG));
        }
        if self.end == 0 {
            return (read.len() > MAX_HEAD)
                .then_some(Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
        }
        self.verdict = Some(check_head(read.get(..self.end).unwrap_or_default()));
        self.verdict
    }
}

/// The verdict on a whole request head: the body's length for a head hyper
/// will parse, or the status to refuse it with.
fn check_head(head: &[u8]) -> Result<usize, StatusCode> {
    if head.len() > MAX_HEAD {
        return Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => check_parsed(&request),
        Err(httparse::Error::TooManyHeaders) => Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        Ok(httparse::Status::Partial) | Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

/// What hyper checks after httparse: the target is a URI, and the body's
/// framing is unambiguous. The body's length, at most [`MAX_BODY_BYTES`].
fn check_parsed(request: &httparse::Request<'_, '_>) -> Result<usize, StatusCode> {
    let bad = Err(StatusCode::BAD_REQUEST);
    let target_ok = request.path.is_some_and(|p| p.parse::<Uri>().is_ok());
    let method_ok = request
        .method
        .is_some_and(|m| Method::from_bytes(m.as_bytes()).is_ok());
    if !target_ok || !method_ok {
        return bad;
    }
    let mut length = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // No client of a CAS server sends a chunked or encoded body.
            return bad;
        }
        if header.name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok());
            match (value, length) {
                (None, _) => return bad,
                (Some(v), Some(previous)) if v != previous => return bad,
                (Some(v), _) => length = Some(v),
            }
        }
    }
    match usize::try_from(length.unwrap_or(0)) {
        Ok(len) if len <= MAX_BODY_BYTES => Ok(len),
        _ => Err(StatusCode::PAYLOAD_TOO_LARGE),
    }
}

/// A complete HTTP/1.1 answer with an HTML page, for a request refused
/// before hyper saw it.
fn refusal(status: StatusCode) -> Vec<u8> {
    let title = status.canonical_reason().unwrap_or("Bad request");
    let body = page::document(title, REFUSAL);
    format!(
        "HTTP/1.1 {} {title}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\
         X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n\
         X-Frame-Options: DENY\r\n\r\n{body}",
        status.as_u16(),
        body.len()
    )
    .into_bytes()
}

/// `GET REFUSED_PATH{status}`: the refusal page of a later request the
/// front refused on a kept-alive connection (see the module docs). A client
/// asking for it directly gets a page and nothing else.
pub async fn refused(axum::extract::Path(status): axum::extract::Path<u16>) -> Response {
    let status = match StatusCode::from_u16(status) {
        Ok(
            status @ (StatusCode::BAD_REQUEST
            | StatusCode::REQUEST_TIMEOUT
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::URI_TOO_LONG
            | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
        ) => status,
        _ => StatusCode::BAD_REQUEST,
    };
    let title = status.canonical_reason().unwrap_or("Bad request");
    page::html(status, title, REFUSAL, HeaderMap::new())
}

/// What a refusal page says.
const REFUSAL: &str =
    "<p>The server cannot read this request. It may be malformed or too large.</p>";

/// Gives a body to any error answer that has none, in the language of the
/// endpoint asked (CAS XML, CAS 1.0 text, SAML, or HTML), and puts the
/// security headers on every answer.
pub async fn answer_everything(
    State(node): State<Arc<Node>>,
    request: Request,
    next: Next,
) -> Response {
    let over_tls = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .is_some_and(|ConnectInfo(Peer(peer))| node.trusted.over_tls(peer.ip(), request.headers()));
    let endpoint = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let empty = axum::body::HttpBody::size_hint(response.body()).exact() == Some(0);
    let mut response = if empty && (status.is_client_error() || status.is_server_error()) {
        let message = match status {
            StatusCode::NOT_FOUND => "no such endpoint".to_owned(),
            StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed here".to_owned(),
            _ => format!(
                "the request failed: {}",
                status.canonical_reason().unwrap_or("error")
            ),
        };
        page::error_in_language(&endpoint, status, &message)
    } else {
        response
    };
    let headers = response.headers_mut();
    security_headers(headers);
    if over_tls {
        // Behind TLS, browsers must never come back over plain HTTP: a
        // CASTGC cookie or a ticket in a URL would travel in the clear.
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// The headers every answer carries, the front's own refusals included: no
/// content sniffing, and no `Referer` (tickets travel in URLs: a page
/// linking elsewhere must not hand one over).
pub fn security_headers(headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// The answer to a panic in a handler: a 500 page, never a dropped connection.
pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    page::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        "<p>The server failed to answer this request.</p>",
        HeaderMap::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(head: &[u8]) -> Option<Result<(), StatusCode>> {
        HeadScan::default().check(head).map(|v| v.map(drop))
    }

    /// A head sent a byte at a time is looked at a bounded number of times
    /// per byte, and parsed once.
    #[test]
    fn a_head_is_scanned_in_one_pass() {
        let head = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "X-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(60)
        );
        let mut scan = HeadScan::default();
        let mut verdicts = 0;
        for end in 1..=head.len() {
            if scan.check(&head.as_bytes()[..end]).is_some() {
                verdicts += 1;
            }
        }
        assert_eq!(verdicts, 1, "the verdict comes once the head is whole");
        assert_eq!(scan.check(head.as_bytes()), Some(Ok(0)));
        assert!(
            scan.visited <= 3 * head.len(),
            "{} for {}",
            scan.visited,
            head.len()
        );
    }

    #[test]
    fn the_body_length_is_known_and_bounded() {
        let scan = |head: &str| HeadScan::default().check(head.as_bytes());
        assert_eq!(
            scan("POST /cas/login HTTP/1.1\r\nContent-Length: 12\r\n\r\n"),
            Some(Ok(12))
        );
        assert_eq!(scan("GET / HTTP/1.1\nHost: a\n\n"), Some(Ok(0)), "bare LF");
        assert_eq!(
            scan(&format!(
                "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                MAX_BODY_BYTES + 1
            )),
            Some(Err(StatusCode::PAYLOAD_TOO_LARGE))
        );
        assert_eq!(
            scan("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            Some(Err(StatusCode::BAD_REQUEST))
        );
    }

    #[test]
    fn heads_hyper_would_refuse_get_a_status() {
        let ok = b"GET /cas/validate?ticket=ST-1&service=x HTTP/1.1\r\nHost: a\r\n\r\n";
        assert_eq!(verdict(ok), Some(Ok(())));
        assert_eq!(verdict(&ok[..20]), None, "incomplete: read on");
        for (head, status) in [
            (
                &b"GET /cas/\0 HTTP/1.1\r\n\r\n"[..],
                StatusCode::BAD_REQUEST,
            ),
            (b"GET /cas/\xff HTTP/1.1\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET /a b HTTP/1.1\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"GET / HTTP/2.0\r\n\r\n", StatusCode::BAD_REQUEST),
            (b"G\x01T / HTTP/1.1\r\n\r\n", StatusCode::BAD_REQUEST),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                StatusCode::BAD_REQUEST,
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                StatusCode::BAD_REQUEST,
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                StatusCode::BAD_REQUEST,
            ),
        ] {
            assert_eq!(verdict(head), Some(Err(status)), "{head:?}");
        }
        let long = format!("GET /?q={} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
        assert_eq!(
            verdict(long.as_bytes()),
            Some(Err(StatusCode::URI_TOO_LONG))
        );
        let unfinished = format!("GET /?q={}", "a".repeat(MAX_REQUEST_LINE + 1));
        assert_eq!(
            verdict(unfinished.as_bytes()),
            Some(Err(StatusCode::URI_TOO_LONG))
        );
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "X-A: 1\r\n".repeat(MAX_HEADERS + 1)
        );
        assert_eq!(
            verdict(many.as_bytes()),
            Some(Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))
        );
        let big = format!("GET / HTTP/1.1\r\nX-A: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(
            verdict(big.as_bytes()),
            Some(Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))
        );
    }

    /// Sends `request` to a fresh front and returns what comes back before
    /// the connection closes (time runs paused, so the deadline passes at
    /// once).
    async fn exchange(request: &'static [u8]) -> String {
        let front = Front::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = front.local;
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        drop(front);
        String::from_utf8(answer).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_does_not_come_gets_408() {
        let answer =
            exchange(b"POST /cas/login HTTP/1.1\r\nHost: a\r\nContent-Length: 60000\r\n\r\nabc")
                .await;
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{answer}"
        );
        let answer = exchange(b"GET /cas/login HTTP/1.1\r\nHost: a\r\n").await;
        assert!(
            answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{answer}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_too_large_is_refused_before_it_is_read() {
        let answer =
            exchange(b"POST /cas/login HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n").await;
        assert!(
            answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
            "{answer}"
        );
    }

    /// What hyper reads through a [`Checked`] connection on which the
    /// client sent `sent` and then kept the connection open (time runs
    /// paused: a deadline passes as soon as nothing else can happen).
    async fn hyper_reads(sent: &[u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        client.write_all(sent).await.unwrap();
        let mut checked = Checked::new(stream, Vec::new(), 0);
        let mut read = Vec::new();
        checked.read_to_end(&mut read).await.unwrap();
        drop(client);
        String::from_utf8(read).unwrap()
    }

    const FIRST: &str = "GET /cas/login HTTP/1.1\r\nHost: a\r\n\r\n";
    const SECOND: &str = "POST /cas/login HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\na=b&c";

    /// The request hyper reads in place of one the front refused.
    fn refused_request(status: u16) -> String {
        format!("GET {REFUSED_PATH}{status} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n")
    }

    /// On a kept-alive connection every request is screened: hyper gets the
    /// good ones whole, then, in place of the first that fails, the front's
    /// request for the refusal page and the end of the connection: never a
    /// byte of the bad request or of what follows.
    #[tokio::test(start_paused = true)]
    async fn every_request_on_a_connection_is_screened() {
        let good = format!("{FIRST}{SECOND}");
        assert_eq!(hyper_reads(good.as_bytes()).await, good);
        for (bad, status) in [
            ("GET /cas/\0 HTTP/1.1\r\n\r\n", 400),
            (
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                400,
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                400,
            ),
            ("POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n", 413),
        ] {
            let sent = format!("{FIRST}{SECOND}{bad}{FIRST}");
            assert_eq!(
                hyper_reads(sent.as_bytes()).await,
                format!("{good}{}", refused_request(status)),
                "{bad:?}"
            );
        }
        let long = format!(
            "{FIRST}GET /?q={} HTTP/1.1\r\n\r\n",
            "a".repeat(MAX_REQUEST_LINE)
        );
        assert_eq!(
            hyper_reads(long.as_bytes()).await,
            format!("{FIRST}{}", refused_request(414))
        );
    }

    /// A later request whose body does not come gets 408 at its deadline
    /// (hyper gets the front's request for the page, never the partial
    /// one); an idle connection ends at its own.
    #[tokio::test(start_paused = true)]
    async fn a_later_request_that_does_not_come_whole_gets_408_and_idle_ends() {
        let started = tokio::time::Instant::now();
        let partial =
            format!("{FIRST}POST /cas/login HTTP/1.1\r\nContent-Length: 60000\r\n\r\nabc");
        assert_eq!(
            hyper_reads(partial.as_bytes()).await,
            format!("{FIRST}{}", refused_request(408))
        );
        // The 408's request at REQUEST_TIMEOUT; with no hyper here to answer
        // it and close, the connection ends KEEP_ALIVE_IDLE later.
        let ended = REQUEST_TIMEOUT + KEEP_ALIVE_IDLE;
        assert!(
            started.elapsed() >= ended && started.elapsed() < ended + Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        let started = tokio::time::Instant::now();
        assert_eq!(hyper_reads(FIRST.as_bytes()).await, FIRST);
        assert!(
            started.elapsed() >= KEEP_ALIVE_IDLE,
            "{:?}",
            started.elapsed()
        );
    }

    /// The wake-up a connection keeps is moved only when it comes early,
    /// and every deadline still holds as if it were set at each request:
    /// a request that starts 12 s after the last one (past the first
    /// request's deadline) and takes 9.5 s to arrive is read whole, the
    /// idle connection ends 15 s after it, and a request trickled in over
    /// more than 10 s, a byte at a time, gets 408.
    #[tokio::test(start_paused = true)]
    async fn deadlines_hold_for_each_request_of_a_kept_alive_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let started = tokio::time::Instant::now();
        let writer = tokio::spawn(async move {
            client.write_all(FIRST.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_secs(12)).await;
            let (head, rest) = SECOND.split_at(20);
            client.write_all(head.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(9_500)).await;
            client.write_all(rest.as_bytes()).await.unwrap();
            client
        });
        let mut checked = Checked::new(stream, Vec::new(), 0);
        let mut read = Vec::new();
        checked.read_to_end(&mut read).await.unwrap();
        assert_eq!(String::from_utf8(read).unwrap(), format!("{FIRST}{SECOND}"));
        let ended = Duration::from_millis(21_500) + KEEP_ALIVE_IDLE;
        assert!(
            started.elapsed() >= ended && started.elapsed() < ended + Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        drop(writer.await.unwrap());

        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let writer = tokio::spawn(async move {
            client.write_all(FIRST.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_secs(3)).await;
            for byte in SECOND.as_bytes() {
                if client.write_all(&[*byte]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            client
        });
        let mut checked = Checked::new(stream, Vec::new(), 0);
        let mut read = Vec::new();
        checked.read_to_end(&mut read).await.unwrap();
        assert_eq!(
            String::from_utf8(read).unwrap(),
            format!("{FIRST}{}", refused_request(408))
        );
        drop(writer.await.unwrap());
    }

    #[test]
    fn a_refusal_is_a_whole_answer_with_a_body() {
        let text = String::from_utf8(refusal(StatusCode::URI_TOO_LONG)).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(body.contains("<h1>URI Too Long</h1>"));
        for header in [
            "X-Content-Type-Options: nosniff\r\n",
            "Referrer-Policy: no-referrer\r\n",
            "X-Frame-Options: DENY\r\n",
        ] {
            assert!(format!("{head}\r\n").contains(header), "{header} in {head}");
        }
    }
}
