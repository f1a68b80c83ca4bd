//! `POST /samlValidate?TARGET=…`: ticket validation in SAML 1.1 over SOAP,
//! as CAS protocol 3.0 §4 describes and Apereo CAS answers it (Apache
//! mod_auth_cas with `CASValidateSAML On`, python-cas's SAML client).
//!
//! The request is read with an XML parser (quick-xml), namespaces resolved:
//! a SOAP `Envelope` whose `Body` holds a SAML 1.0/1.1 protocol `Request`
//! with one `AssertionArtifact`, the ticket. No DTD is accepted, and no
//! entity is ever expanded. The answer is written by the same library, so
//! every value (user, attributes, service) is escaped. Every failure is a
//! SAML `Response` with a failure status, never an empty body.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cas_ticket_codec::{Claims, rfc3339};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use time::{Duration, OffsetDateTime};

use crate::Node;
use crate::page;
use crate::request::{Body64, Params};
use crate::validate::{Validated, attributes, validate_ticket};

const SOAP_NS: &[u8] = b"http://schemas.xmlsoap.org/soap/envelope/";
const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:1.0:protocol";
const SAML_NS: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
/// The namespace Apereo CAS gives its attributes.
const ATTRIBUTE_NS: &str = "http://www.ja-sig.org/products/cas/";
/// Top-level status codes (SAML 1.1 core §3.4.3.1).
const SUCCESS: &str = "samlp:Success";
pub const REQUESTER: &str = "samlp:Requester";
const RESPONDER: &str = "samlp:Responder";
/// How long the assertion may be relied on (its `Conditions`).
const ASSERTION_LIFETIME: Duration = Duration::seconds(30);
/// Longest `RequestID` echoed back as `InResponseTo`.
const MAX_REQUEST_ID: usize = 256;

/// What a SAML request asks: the ticket, and the request's id if it gave one.
#[derive(Debug, PartialEq, Eq)]
struct SamlRequest {
    artifact: String,
    request_id: Option<String>,
}

/// `POST /samlValidate`.
pub async fn validate(State(node): State<Arc<Node>>, query: Params, body: Body64) -> Response {
    if let Some(name) = query.repeated() {
        return failure(
            REQUESTER,
            &format!("the parameter '{name}' is given more than once"),
        );
    }
    let Some(target) = query.get("TARGET") else {
        return failure(REQUESTER, "the TARGET parameter (the service) is required");
    };
    let request = match body.0.as_deref().map(|b| parse_request(b)) {
        Some(Ok(request)) => request,
        Some(Err(why)) => return failure(REQUESTER, why),
        None => {
            return failure(
                REQUESTER,
                "the request body is larger than this server reads",
            );
        }
    };
    let in_response_to = request.request_id.as_deref();
    let renew = query.flag("renew");
    let Validated { ticket, service } = match validate_ticket(
        &node,
        "samlValidate",
        &request.artifact,
        target,
        false,
        renew,
    )
    .await
    {
        Ok(validated) => validated,
        Err((code, message)) => {
            let status = if code == "INTERNAL_ERROR" {
                RESPONDER
            } else {
                REQUESTER
            };
            return failure_to(status, &format!("{code}: {message}"), in_response_to);
        }
    };
    // CAS 3.0 §4.2.1: attributes MUST NOT be released to a TARGET that is
    // not https; the assertion then has its authentication statement alone.
    let attributes = if target_is_https(target) {
        match attributes(&node, ticket.claims(), Some(&service)).await {
            Ok(attributes) => attributes,
            Err((_, message)) => return failure_to(RESPONDER, &message, in_response_to),
        }
    } else {
        Vec::new()
    };
    let Some(service) = ticket.claims().service().map(|s| s.as_str().to_owned()) else {
        return failure_to(RESPONDER, "the ticket has no service", in_response_to);
    };
    match success(
        ticket.claims(),
        &service,
        &attributes,
        in_response_to,
        OffsetDateTime::now_utc(),
    ) {
        Some(body) => soap(StatusCode::OK, body),
        None => failure_to(RESPONDER, "cannot write the answer", in_response_to),
    }
}

/// Whether the TARGET is an https URL (the scheme, whatever its case).
fn target_is_https(target: &str) -> bool {
    target
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// Where the ticket is: `Envelope/Body/Request/AssertionArtifact`, each in
/// its namespace.
const ARTIFACT_PATH: [(&[u8], &[u8]); 4] = [
    (SOAP_NS, b"Envelope"),
    (SOAP_NS, b"Body"),
    (SAMLP_NS.as_bytes(), b"Request"),
    (SAMLP_NS.as_bytes(), b"AssertionArtifact"),
];
/// Deepest nesting read.
const MAX_DEPTH: usize = 16;

/// Reads the SOAP envelope. Errors are messages for the failure status.
fn parse_request(body: &[u8]) -> Result<SamlRequest, &'static str> {
    let not_saml = "the body is not a SOAP envelope holding a SAML 1.1 Request";
    let mut reader = NsReader::from_reader(body);
    reader.config_mut().trim_text(true);
    // Open elements, and how many of the outermost follow ARTIFACT_PATH.
    let mut depth = 0_usize;
    let mut matched = 0_usize;
    let mut artifact: Option<String> = None;
    let mut artifacts = 0;
    let mut request_id = None;
    loop {
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|_| "the body is not well-formed XML")?;
        let namespace: &[u8] = match namespace {
            ResolveResult::Bound(ns) => ns.into_inner(),
            _ => b"",
        };
        match event {
            Event::DocType(_) => return Err("a DTD is not accepted"),
            Event::GeneralRef(_) => return Err("entity references are not accepted here"),
            Event::Start(ref element) | Event::Empty(ref element) => {
                let fits = matched == depth
                    && ARTIFACT_PATH.get(depth).is_some_and(|(ns, local)| {
                        *ns == namespace && *local == element.local_name().as_ref()
                    });
                if fits && depth == 2 {
                    request_id = element
                        .try_get_attribute("RequestID")
                        .ok()
                        .flatten()
                        .and_then(|a| String::from_utf8(a.value.into_owned()).ok())
                        .filter(|id| id.len() <= MAX_REQUEST_ID);
                }
                if fits && depth == 3 {
                    artifacts += 1;
                    artifact.get_or_insert_with(String::new);
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err("the body is nested too deeply");
                    }
                    if fits {
                        matched = depth;
                    }
                }
            }
            Event::Text(text) if matched == ARTIFACT_PATH.len() && depth == matched => {
                let text = std::str::from_utf8(text.as_ref()).map_err(|_| not_saml)?;
                if let Some(artifact) = artifact.as_mut() {
                    artifact.push_str(text.trim());
                }
            }
            Event::End(_) => {
                if matched == depth {
                    matched = matched.saturating_sub(1);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof if depth == 0 => break,
            Event::Eof => return Err("the body is not well-formed XML"),
            _ => {}
        }
    }
    match (artifact, artifacts) {
        (Some(artifact), 1) if !artifact.is_empty() => Ok(SamlRequest {
            artifact,
            request_id,
        }),
        (_, 0) => Err(not_saml),
        _ => Err("exactly one non-empty AssertionArtifact is required"),
    }
}

/// A random SAML identifier (`_` and 32 hex digits, an XML NCName).
fn new_id() -> String {
    // An id need only be unique; a failed draw still yields a valid one.
    let hex = page::random_hex().unwrap_or_else(|| "0".repeat(2 * page::RANDOM_BYTES));
    format!("_{hex}")
}

type Xml = Writer<Vec<u8>>;
type Written = Result<(), std::io::Error>;

/// The SOAP envelope around a SAML `Response` whose content `inner` writes.
fn envelope(
    in_response_to: Option<&str>,
    now: OffsetDateTime,
    inner: impl FnOnce(&mut Xml) -> Written,
) -> Option<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .ok()?;
    let response_id = new_id();
    let instant = rfc3339(now);
    w.create_element("SOAP-ENV:Envelope")
        .with_attribute((
            "xmlns:SOAP-ENV",
            "http://schemas.xmlsoap.org/soap/envelope/",
        ))
        .write_inner_content(|w| {
            w.create_element("SOAP-ENV:Header").write_empty()?;
            w.create_element("SOAP-ENV:Body").write_inner_content(|w| {
                let mut response = w
                    .create_element("samlp:Response")
                    .with_attribute(("xmlns:samlp", SAMLP_NS))
                    .with_attribute(("xmlns:saml", SAML_NS))
                    .with_attribute(("ResponseID", response_id.as_str()))
                    .with_attribute(("IssueInstant", instant.as_str()))
                    .with_attribute(("MajorVersion", "1"))
                    .with_attribute(("MinorVersion", "1"));
                if let Some(id) = in_response_to {
                    response = response.with_attribute(("InResponseTo", id));
                }
                response.write_inner_content(inner)?;
                Ok::<(), std::io::Error>(())
            })?;
            Ok::<(), std::io::Error>(())
        })
        .ok()?;
    Some(w.into_inner())
}

fn status(w: &mut Xml, code: &str, message: Option<&str>) -> Written {
    w.create_element("samlp:Status").write_inner_content(|w| {
        w.create_element("samlp:StatusCode")
            .with_attribute(("Value", code))
            .write_empty()?;
        if let Some(message) = message {
            w.create_element("samlp:StatusMessage")
                .write_text_content(BytesText::new(message))?;
        }
        Ok::<(), std::io::Error>(())
    })?;
    Ok(())
}

/// The `Subject` of both statements: the user, confirmed by the artifact.
fn subject(w: &mut Xml, user: &str) -> Written {
    w.create_element("saml:Subject").write_inner_content(|w| {
        w.create_element("saml:NameIdentifier")
            .write_text_content(BytesText::new(user))?;
        w.create_element("saml:SubjectConfirmation")
            .write_inner_content(|w| {
                w.create_element("saml:ConfirmationMethod")
                    .write_text_content(BytesText::new(
                        "urn:oasis:names:tc:SAML:1.0:cm:artifact",
                    ))?;
                Ok::<(), std::io::Error>(())
            })?;
        Ok::<(), std::io::Error>(())
    })?;
    Ok(())
}

/// A successful answer: status, and an assertion with its conditions, the
/// attributes and the authentication.
fn success(
    claims: &Claims,
    service: &str,
    attributes: &[(String, String)],
    in_response_to: Option<&str>,
    now: OffsetDateTime,
) -> Option<Vec<u8>> {
    let user = claims.principal();
    let instant = rfc3339(now);
    let not_on_or_after = rfc3339(now + ASSERTION_LIFETIME);
    let authenticated = rfc3339(claims.authentication().authenticated_at());
    let assertion_id = new_id();
    // Attributes grouped by name, in the order they first appear.
    let mut names: Vec<&str> = Vec::new();
    for (name, _) in attributes {
        if !names.contains(&name.as_str()) {
            names.push(name);
        }
    }
    envelope(in_response_to, now, |w| {
        status(w, SUCCESS, None)?;
        w.create_element("saml:Assertion")
            .with_attribute(("AssertionID", assertion_id.as_str()))
            .with_attribute(("IssueInstant", instant.as_str()))
            .with_attribute(("Issuer", "cas_node"))
            .with_attribute(("MajorVersion", "1"))
            .with_attribute(("MinorVersion", "1"))
            .write_inner_content(|w| {
                w.create_element("saml:Conditions")
                    .with_attribute(("NotBefore", instant.as_str()))
                    .with_attribute(("NotOnOrAfter", not_on_or_after.as_str()))
                    .write_inner_content(|w| {
                        w.create_element("saml:AudienceRestrictionCondition")
                            .write_inner_content(|w| {
                                w.create_element("saml:Audience")
                                    .write_text_content(BytesText::new(service))?;
                                Ok::<(), std::io::Error>(())
                            })?;
                        Ok::<(), std::io::Error>(())
                    })?;
                // A SAML 1.1 AttributeStatement holds at least one Attribute.
                if !names.is_empty() {
                    w.create_element("saml:AttributeStatement")
                        .write_inner_content(|w| {
                            subject(w, user)?;
                            for name in &names {
                                w.create_element("saml:Attribute")
                                    .with_attribute(("AttributeName", *name))
                                    .with_attribute(("AttributeNamespace", ATTRIBUTE_NS))
                                    .write_inner_content(|w| {
                                        for (_, value) in
                                            attributes.iter().filter(|(n, _)| n == name)
                                        {
                                            w.create_element("saml:AttributeValue")
                                                .write_text_content(BytesText::new(value))?;
                                        }
                                        Ok::<(), std::io::Error>(())
                                    })?;
                            }
                            Ok::<(), std::io::Error>(())
                        })?;
                }
                w.create_element("saml:AuthenticationStatement")
                    .with_attribute(("AuthenticationInstant", authenticated.as_str()))
                    .with_attribute((
                        "AuthenticationMethod",
                        "urn:oasis:names:tc:SAML:1.0:am:password",
                    ))
                    .write_inner_content(|w| subject(w, user))?;
                Ok::<(), std::io::Error>(())
            })?;
        Ok(())
    })
}

/// A SAML failure: a `Response` whose status is `code` and says why.
pub fn failure(code: &str, message: &str) -> Response {
    failure_to(code, message, None)
}

fn failure_to(code: &str, message: &str, in_response_to: Option<&str>) -> Response {
    let now = OffsetDateTime::now_utc();
    match envelope(in_response_to, now, |w| status(w, code, Some(message))) {
        Some(body) => soap(StatusCode::OK, body),
        // Writing to memory does not fail; if it ever did, still a body.
        None => (StatusCode::INTERNAL_SERVER_ERROR, "SAML failure\n").into_response(),
    }
}

fn soap(status: StatusCode, body: Vec<u8>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    (status, headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body mod_auth_cas 1.2 posts (src/mod_auth_cas.c), and python-cas's.
    const MOD_AUTH_CAS: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/><SOAP-ENV:Body><samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\"  MajorVersion=\"1\" MinorVersion=\"1\" RequestID=\"abc123\"><samlp:AssertionArtifact>ST-xyz</samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    const PYTHON_CAS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<SOAP-ENV:Header/>\n<SOAP-ENV:Body>\n<samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\"\nMajorVersion=\"1\"\nMinorVersion=\"1\"\nRequestID=\"r-1\"\nIssueInstant=\"2014-06-02T09:21:03.071189\">\n<samlp:AssertionArtifact>\n  ST-xyz\n</samlp:AssertionArtifact></samlp:Request>\n</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>";

    #[test]
    fn reads_the_artifact_real_clients_send() {
        for (body, id) in [(MOD_AUTH_CAS, "abc123"), (PYTHON_CAS, "r-1")] {
            assert_eq!(
                parse_request(body.as_bytes()),
                Ok(SamlRequest {
                    artifact: "ST-xyz".into(),
                    request_id: Some(id.into())
                })
            );
        }
    }

    #[test]
    fn refuses_what_is_not_one_artifact_in_its_place() {
        let wrap = |inner: &str| {
            format!(
                "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body>{inner}</S:Body></S:Envelope>"
            )
        };
        let request = |inner: &str| {
            wrap(&format!(
                "<p:Request xmlns:p=\"{SAMLP_NS}\">{inner}</p:Request>"
            ))
        };
        for (body, why) in [
            (String::new(), "not a SOAP"),
            ("<a>".to_owned(), "well-formed"),
            ("not xml at all".to_owned(), "not a SOAP"),
            (
                wrap("<Request><AssertionArtifact>ST-1</AssertionArtifact></Request>"),
                "not a SOAP",
            ),
            (request("<p:AssertionArtifact/>"), "exactly one"),
            (
                request(
                    "<p:AssertionArtifact>ST-1</p:AssertionArtifact><p:AssertionArtifact>ST-2</p:AssertionArtifact>",
                ),
                "exactly one",
            ),
            (
                request("<p:AssertionArtifact>ST-&amp;</p:AssertionArtifact>"),
                "entity",
            ),
            (
                format!(
                    "<!DOCTYPE x [<!ENTITY a \"b\">]>{}",
                    request("<p:AssertionArtifact>&a;</p:AssertionArtifact>")
                ),
                "DTD",
            ),
            (request(&"<x>".repeat(20)), "deeply"),
        ] {
            let err = parse_request(body.as_bytes()).unwrap_err();
            assert!(err.contains(why), "{body}: {err}");
        }
    }

    #[test]
    fn answers_are_escaped_and_well_formed() {
        let body = envelope(Some("a\"<&"), OffsetDateTime::UNIX_EPOCH, |w| {
            status(w, REQUESTER, Some("<script>&"))
        })
        .unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("InResponseTo=\"a&quot;&lt;&amp;\""), "{text}");
        assert!(text.contains("&lt;script&gt;&amp;"), "{text}");
        // It parses back.
        let mut reader = NsReader::from_str(&text);
        while !matches!(reader.read_event().unwrap(), Event::Eof) {}
    }
}
