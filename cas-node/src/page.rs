//! What the node writes: HTML pages, CAS XML responses, redirects, cookies.
//! Every value that came from a request or a ticket is escaped here.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, SET_COOKIE, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::CallbackUrl;

/// The CAS XML namespace.
const CAS_NS: &str = "http://www.yale.edu/tp/cas";
/// The cookie that carries the TGT.
pub const TGT_COOKIE: &str = "CASTGC";

/// Bytes of a [`random_hex`] value: 128 bits.
pub const RANDOM_BYTES: usize = 16;

/// 128 OS-random bits in lowercase hex (32 digits), for tokens and ids;
/// `None` if the OS has no randomness to give.
pub fn random_hex() -> Option<String> {
    use rand::TryRng as _;
    let mut bytes = [0_u8; RANDOM_BYTES];
    rand::rngs::SysRng.try_fill_bytes(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Escapes text for an XML or HTML element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `url` with `name=value` pairs added to its query, before any fragment,
/// each value form-encoded (tickets and IOUs, in `A-Z a-z 0-9 -`, come out
/// as they are; a URL, a state or an error description is escaped). The
/// names are the protocols' own, which need no escaping.
pub fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let mut out = base.to_owned();
    for (name, value) in pairs {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(name);
        out.push('=');
        out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Every answer carries a ticket, a session or a user's data: no cache may
/// keep it.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A `302 Found` to `location`, with extra headers (cookies).
pub fn redirect(location: &str, mut headers: HeaderMap) -> Response {
    match location.parse() {
        Ok(value) => {
            headers.insert(LOCATION, value);
            no_store(&mut headers);
            (StatusCode::FOUND, headers).into_response()
        }
        Err(_) => html(
            StatusCode::BAD_REQUEST,
            "Invalid service",
            "<p>The service URL cannot be redirected to.</p>",
            HeaderMap::new(),
        ),
    }
}

/// An HTML page.
pub fn html(status: StatusCode, title: &str, body: &str, mut headers: HeaderMap) -> Response {
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    no_store(&mut headers);
    // No scripts, styles or frames: the login form cannot be framed
    // (clickjacking) nor have anything injected run.
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    (status, headers, document(title, body)).into_response()
}

/// An HTML document with a heading; `body` is markup, `title` is text.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} - CAS</title></head>\n<body>\n<h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title),
    )
}

/// An error answer in the language of `endpoint` (the last path segment):
/// a CAS XML failure on the CAS 2.0/3.0 back channel, `no` on CAS 1.0's
/// `/validate`, a SAML failure on `/samlValidate`, else an HTML page. The
/// status is `status`; the body always says why.
pub fn error_in_language(endpoint: &str, status: StatusCode, message: &str) -> Response {
    let mut response = match endpoint {
        "serviceValidate" | "proxyValidate" => {
            failure("authenticationFailure", "INVALID_REQUEST", message)
        }
        "proxy" => failure("proxyFailure", "INVALID_REQUEST", message),
        "validate" => plain("no\n\n".to_owned()),
        "samlValidate" => crate::saml::failure(crate::saml::REQUESTER, message),
        _ => {
            let title = status.canonical_reason().unwrap_or("Error");
            let body = format!("<p>The request failed: {}.</p>", escape(message));
            html(status, title, &body, HeaderMap::new())
        }
    };
    *response.status_mut() = status;
    response
}

/// The `Set-Cookie` headers that store a TGT (or clear it, with `None`).
pub fn tgt_cookie(
    tgt: Option<&str>,
    context: &str,
    secure: bool,
    max_age_seconds: Option<i64>,
) -> HeaderMap {
    let path = if context.is_empty() { "/" } else { context };
    let mut cookie = format!(
        "{TGT_COOKIE}={}; Path={path}; HttpOnly; SameSite=Lax",
        tgt.unwrap_or("")
    );
    if secure {
        cookie.push_str("; Secure");
    }
    match (tgt, max_age_seconds) {
        (None, _) => cookie.push_str("; Max-Age=0"),
        (Some(_), Some(seconds)) => cookie.push_str(&format!("; Max-Age={seconds}")),
        (Some(_), None) => {}
    }
    let mut headers = HeaderMap::new();
    if let Ok(value) = cookie.parse() {
        headers.insert(SET_COOKIE, value);
    }
    headers
}

/// The TGT in the request's `CASTGC` cookie, if any.
pub fn tgt_from(headers: &HeaderMap) -> Option<String> {
    cookie(headers, TGT_COOKIE)
}

/// The first non-empty value of the cookie `wanted`, if any.
pub fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == wanted && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The script that submits an [`auto_post`] form, allowed by its hash alone.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// `method=POST` (Apereo CAS's response type): a page whose form posts
/// `fields` to `url` as soon as it loads, with a button for browsers
/// without scripts. The page's policy allows that one script and nothing
/// else.
pub fn auto_post(url: &str, fields: &[(&str, &str)], headers: HeaderMap) -> Response {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(SUBMIT_SCRIPT.as_bytes()));
    let policy = format!("default-src 'none'; script-src 'sha256-{hash}'; frame-ancestors 'none'");
    let inputs: String = fields
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<form method=\"post\" action=\"{}\">\n{inputs}\
         <noscript><p><button type=\"submit\">Continue</button></p></noscript>\n</form>\n\
         <script>{SUBMIT_SCRIPT}</script>",
        escape(url)
    );
    let mut response = html(StatusCode::OK, "Continue", &body, HeaderMap::new());
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(CONTENT_SECURITY_POLICY, value);
    }
    // A name stands for the values after it that come without one.
    let mut name = None;
    for (next, value) in headers {
        name = next.or(name);
        if let Some(name) = &name {
            response.headers_mut().append(name.clone(), value);
        }
    }
    response
}

/// A CAS 2.0/3.0 XML service response (`cas:serviceResponse`) around `inner`.
pub fn xml(inner: &str) -> Response {
    let body =
        format!("<cas:serviceResponse xmlns:cas=\"{CAS_NS}\">\n{inner}</cas:serviceResponse>\n");
    back_channel("application/xml; charset=utf-8", body)
}

/// A CAS 1.0 plain-text answer.
pub fn plain(body: String) -> Response {
    back_channel("text/plain; charset=utf-8", body)
}

fn back_channel(content_type: &'static str, body: String) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    no_store(&mut headers);
    (StatusCode::OK, headers, body).into_response()
}

/// How a validation endpoint answers: CAS XML, or the JSON of CAS 3.0
/// §2.5 (`format=JSON`, as Apereo CAS writes it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Xml,
    Json,
}

/// A CAS 2.0/3.0 JSON service response.
fn json(value: &serde_json::Value) -> Response {
    back_channel("application/json; charset=utf-8", format!("{value}\n"))
}

/// `<cas:authenticationFailure>` or `<cas:proxyFailure>` with a protocol code.
pub fn failure(element: &str, code: &str, message: &str) -> Response {
    failure_as(Format::Xml, element, code, message)
}

/// A failure in `format`.
pub fn failure_as(format: Format, element: &str, code: &str, message: &str) -> Response {
    match format {
        Format::Xml => xml(&format!(
            "  <cas:{element} code=\"{code}\">{}</cas:{element}>\n",
            escape(message)
        )),
        Format::Json => json(&serde_json::json!({
            "serviceResponse": { element: { "code": code, "description": message } }
        })),
    }
}

/// A successful validation.
pub struct Success<'a> {
    pub user: &'a str,
    /// `(name, value)` pairs for `<cas:attributes>` (CAS 3.0 only).
    pub attributes: Option<Vec<(String, String)>>,
    pub pgt_iou: Option<String>,
    /// The PT's proxy chain, most recent proxy first.
    pub proxies: &'a [CallbackUrl],
}

impl Success<'_> {
    pub fn into_response(self, format: Format) -> Response {
        match format {
            Format::Xml => self.into_xml(),
            Format::Json => self.into_json(),
        }
    }

    fn into_json(self) -> Response {
        let mut success = serde_json::Map::new();
        success.insert("user".into(), self.user.into());
        if let Some(attributes) = self.attributes {
            let mut by_name = serde_json::Map::new();
            for (name, value) in attributes {
                let values = by_name.entry(name).or_insert_with(|| serde_json::json!([]));
                if let Some(values) = values.as_array_mut() {
                    values.push(value.into());
                }
            }
            success.insert("attributes".into(), by_name.into());
        }
        if let Some(iou) = self.pgt_iou {
            success.insert("proxyGrantingTicket".into(), iou.into());
        }
        if !self.proxies.is_empty() {
            let proxies: Vec<&str> = self.proxies.iter().map(CallbackUrl::as_str).collect();
            success.insert("proxies".into(), proxies.into());
        }
        json(&serde_json::json!({
            "serviceResponse": { "authenticationSuccess": success }
        }))
    }

    fn into_xml(self) -> Response {
        let mut inner = format!(
            "  <cas:authenticationSuccess>\n    <cas:user>{}</cas:user>\n",
            escape(self.user)
        );
        if let Some(attributes) = self.attributes {
            inner.push_str("    <cas:attributes>\n");
            for (name, value) in attributes {
                // Names are checked XML names (users.rs) or the protocol's own.
                inner.push_str(&format!(
                    "      <cas:{name}>{}</cas:{name}>\n",
                    escape(&value)
                ));
            }
            inner.push_str("    </cas:attributes>\n");
        }
        if let Some(iou) = self.pgt_iou {
            inner.push_str(&format!(
                "    <cas:proxyGrantingTicket>{iou}</cas:proxyGrantingTicket>\n"
            ));
        }
        if !self.proxies.is_empty() {
            inner.push_str("    <cas:proxies>\n");
            for proxy in self.proxies {
                inner.push_str(&format!(
                    "      <cas:proxy>{}</cas:proxy>\n",
                    escape(proxy.as_str())
                ));
            }
            inner.push_str("    </cas:proxies>\n");
        }
        inner.push_str("  </cas:authenticationSuccess>\n");
        xml(&inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_goes_before_the_fragment() {
        assert_eq!(
            with_query("https://a/x", &[("ticket", "ST-1")]),
            "https://a/x?ticket=ST-1"
        );
        assert_eq!(
            with_query("https://a/x?y=1#top", &[("ticket", "ST-1")]),
            "https://a/x?y=1&ticket=ST-1#top"
        );
        assert_eq!(
            with_query("https://p/cb", &[("pgtIou", "I"), ("pgtId", "P")]),
            "https://p/cb?pgtIou=I&pgtId=P"
        );
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn reads_the_tgt_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; CASTGC=TGT-abc; b=2".parse().unwrap(),
        );
        assert_eq!(tgt_from(&headers).as_deref(), Some("TGT-abc"));
        let mut empty = HeaderMap::new();
        empty.insert(axum::http::header::COOKIE, "CASTGC=".parse().unwrap());
        assert_eq!(tgt_from(&empty), None);
    }
}
