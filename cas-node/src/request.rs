//! Request parameters, read so that every request gets an answer in its
//! endpoint's language: the query and form bodies are parsed leniently
//! (malformed percent-encoding and invalid UTF-8 become U+FFFD, which no
//! ticket or service contains), and a parameter given twice is reported
//! rather than silently resolved one way here and another way in a proxy.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use url::form_urlencoded;
use zeroize::Zeroizing;

use crate::front::MAX_BODY_BYTES;

/// `name=value` parameters of a query or a form body. Values are zeroized on
/// drop: a login form's carry a password.
#[derive(Default)]
pub struct Params {
    values: HashMap<String, Zeroizing<String>>,
    repeated: Option<String>,
}

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes; the first value of
    /// a name is kept, and the first name given twice is remembered.
    pub fn parse(bytes: &[u8]) -> Self {
        let mut params = Params::default();
        for (name, value) in form_urlencoded::parse(bytes) {
            if params.values.contains_key(name.as_ref()) {
                params.repeated.get_or_insert_with(|| name.into_owned());
            } else {
                params
                    .values
                    .insert(name.into_owned(), Zeroizing::new(value.into_owned()));
            }
        }
        params
    }

    /// The value of `name`, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|v| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A protocol flag such as `renew=true`: set unless absent, empty or `false`.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| !v.eq_ignore_ascii_case("false"))
    }

    /// A parameter that appeared more than once, if any.
    pub fn repeated(&self) -> Option<&str> {
        self.repeated.as_deref()
    }
}

/// The query string's parameters; never rejects a request.
impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::parse(
            parts.uri.query().unwrap_or_default().as_bytes(),
        ))
    }
}

/// A request body of at most [`MAX_BODY_BYTES`], zeroized on drop; `None`
/// when it is longer or cannot be read.
pub struct Body64(pub Option<Zeroizing<Vec<u8>>>);

impl<S: Send + Sync> FromRequest<S> for Body64 {
    type Rejection = Infallible;

    async fn from_request(request: Request<Body>, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .ok()
            .map(|bytes| Zeroizing::new(Vec::from(bytes)));
        Ok(Body64(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_wins_and_repeats_are_reported() {
        let p = Params::parse(b"service=a&ticket=T&service=b");
        assert_eq!(p.get("service"), Some("a"));
        assert_eq!(p.repeated(), Some("service"));
        assert_eq!(Params::parse(b"a=1&b=2").repeated(), None);
    }

    #[test]
    fn malformed_input_is_read_not_refused() {
        let p = Params::parse(b"ticket=%ff%fe&service=%zz&renew=&x");
        assert_eq!(p.get("ticket"), Some("\u{fffd}\u{fffd}"));
        assert_eq!(p.get("service"), Some("%zz"));
        assert_eq!(p.get("renew"), None);
        assert!(!p.flag("renew"));
        assert!(Params::parse(b"renew=true").flag("renew"));
        assert!(!Params::parse(b"renew=FALSE").flag("renew"));
    }
}
