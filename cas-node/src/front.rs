//! The HTTP front: no request goes without a body in its answer.
//!
//! hyper answers a request it cannot parse (a NUL or a raw non-ASCII byte in
//! the request line, a 100 kB URI, too many headers) with an empty-bodied
//! 400, 414 or 431 before any handler runs, and Apache mod_auth_cas 1.2 reads
//! an empty body through a null pointer: its child process dies. So every
//! connection's request head is read and checked here first, with hyper's
//! own parser (`httparse`) and stricter limits than hyper's, and refused with
//! a page when it would not pass; what passes is handed to hyper unchanged.
//! Every response says `Connection: close`, so each request arrives on a
//! connection of its own and is checked.
//!
//! Inside the router, [`answer_everything`] gives a body to whatever would
//! leave without one (unknown paths, wrong methods), in the endpoint's
//! language, and a panic becomes a 500 page.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::http::header::{CONNECTION, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::page;

/// Longest request line accepted (method, target, version).
const MAX_REQUEST_LINE: usize = 8 * 1024;
/// Longest request head accepted (request line and headers).
const MAX_HEAD: usize = 32 * 1024;
/// Most headers accepted (hyper's limit is 100).
const MAX_HEADERS: usize = 64;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

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
                        eprintln!("cas_node: accept failed: {e}");
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

/// A connection whose request head was read and checked: the bytes already
/// read are replayed before the rest of the stream.
pub struct Checked {
    read: Vec<u8>,
    replayed: usize,
    stream: TcpStream,
}

impl AsyncRead for Checked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.read.get(this.replayed..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(rest.get(..n).unwrap_or_default());
            this.replayed += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
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

/// Reads the request head; a connection that closes first is dropped, one
/// that fails the check gets a page and is closed.
async fn screen(mut stream: TcpStream) -> Option<Checked> {
    let mut read = Vec::with_capacity(1024);
    let verdict = tokio::time::timeout(HEAD_TIMEOUT, async {
        let mut chunk = [0_u8; 4096];
        loop {
            if let Some(verdict) = check_head(&read) {
                return Some(verdict);
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
        Ok(()) => Some(Checked {
            read,
            replayed: 0,
            stream,
        }),
        Err(status) => {
            let _ = stream.write_all(&refusal(status)).await;
            let _ = stream.shutdown().await;
            None
        }
    }
}

/// `None` while the head is incomplete and within bounds; then `Ok` for a
/// head hyper will parse, or the status to refuse it with.
fn check_head(read: &[u8]) -> Option<Result<(), StatusCode>> {
    let line_end = read.windows(2).position(|w| w == b"\r\n");
    if line_end.unwrap_or(read.len()) > MAX_REQUEST_LINE {
        return Some(Err(StatusCode::URI_TOO_LONG));
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(read) {
        Ok(httparse::Status::Partial) if read.len() > MAX_HEAD => {
            Some(Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))
        }
        Ok(httparse::Status::Partial) => None,
        Err(httparse::Error::TooManyHeaders) => {
            Some(Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))
        }
        Err(_) => Some(Err(StatusCode::BAD_REQUEST)),
        Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
            Some(Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE))
        }
        Ok(httparse::Status::Complete(_)) => Some(check_parsed(&request)),
    }
}

/// What hyper checks after httparse: the target is a URI, and the body's
/// framing is unambiguous.
fn check_parsed(request: &httparse::Request<'_, '_>) -> Result<(), StatusCode> {
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
    Ok(())
}

/// A complete HTTP/1.1 answer with an HTML page, for a request refused
/// before hyper saw it.
fn refusal(status: StatusCode) -> Vec<u8> {
    let title = status.canonical_reason().unwrap_or("Bad request");
    let body = page::document(
        title,
        "<p>The server cannot read this request. It may be malformed or too large.</p>",
    );
    format!(
        "HTTP/1.1 {} {title}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        status.as_u16(),
        body.len()
    )
    .into_bytes()
}

/// Gives a body to any error answer that has none, in the language of the
/// endpoint asked (CAS XML, CAS 1.0 text, SAML, or HTML), and closes every
/// connection after its answer (see the module docs).
pub async fn answer_everything(request: Request, next: Next) -> Response {
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
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
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
        check_head(head)
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

    #[test]
    fn a_refusal_is_a_whole_answer_with_a_body() {
        let text = String::from_utf8(refusal(StatusCode::URI_TOO_LONG)).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(body.contains("<h1>URI Too Long</h1>"));
    }
}
