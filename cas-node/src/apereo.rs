//! `cas-node import-apereo FILE…`: Apereo CAS JSON service definitions
//! turned into `[[service]]` entries (registry.rs), for operators moving a
//! registry over.
//!
//! Apereo matches a `serviceId` regular expression against the whole
//! service URL; this registry matches a URL scope (url_scope.rs). Only a
//! `serviceId` that is a literal prefix converts: `^https://app\.example\.edu/.*`
//! becomes `https://app.example.edu/`. An unescaped `.` is read as the dot
//! it is meant to be (the regular expression also let any other character
//! through there: the scope is narrower, never wider). A `serviceId` that
//! ends without `.*` matched one URL exactly; its scope also covers the
//! paths under it, and the entry says so in its description. Anything else
//! (alternatives, classes, `https?`, a wildcard inside the host) is refused
//! with the reason, as are definitions whose meaning this registry cannot
//! keep (mapped attribute names, front-channel logout, a disabled service,
//! a non-CAS service type).

use std::path::Path;

use serde_json::Value;

use crate::registry::{Registry, ServiceEntry};

/// Converts each file; returns the registry's TOML and one line per refusal.
pub fn convert(files: &[impl AsRef<Path>]) -> (String, Vec<String>) {
    let mut entries = Vec::new();
    let mut refused = Vec::new();
    for file in files {
        let file = file.as_ref();
        let converted = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|text| {
                serde_json::from_str::<Value>(&text).map_err(|e| {
                    format!("not JSON ({e}); Hjson or comments must be converted first")
                })
            })
            .and_then(|json| entry_of(&json));
        match converted {
            Ok(entry) => entries.push(entry),
            Err(why) => refused.push(format!("{}: refused: {why}", file.display())),
        }
    }
    (to_toml(&entries), refused)
}

/// The registry file of `entries`.
fn to_toml(entries: &[ServiceEntry]) -> String {
    #[derive(serde::Serialize)]
    struct File<'a> {
        service: &'a [ServiceEntry],
    }
    toml::to_string(&File { service: entries }).unwrap_or_default()
}

/// One Apereo definition as an entry.
pub fn entry_of(json: &Value) -> Result<ServiceEntry, String> {
    let class = json.get("@class").and_then(Value::as_str).unwrap_or("");
    if class != "org.apereo.cas.services.CasRegisteredService"
        && class != "org.apereo.cas.services.RegexRegisteredService"
    {
        return Err(format!(
            "@class {class:?} is not a CAS service (CasRegisteredService)"
        ));
    }
    let text = |name: &str| json.get(name).and_then(Value::as_str);
    let service_id = text("serviceId").ok_or("no serviceId")?;
    let name = text("name").ok_or("no name")?.to_owned();
    if json
        .pointer("/accessStrategy/enabled")
        .and_then(Value::as_bool)
        == Some(false)
    {
        return Err("the service is disabled (accessStrategy.enabled = false)".to_owned());
    }
    let (url, exact) =
        literal_prefix(service_id).map_err(|why| format!("serviceId {service_id:?} {why}"))?;
    let mut description = text("description").map(str::to_owned);
    if exact {
        let note = "(was an exact serviceId; now covers the paths under it too)";
        description = Some(match description {
            Some(d) => format!("{d} {note}"),
            None => note.to_owned(),
        });
    }
    let attributes = release_of(json.get("attributeReleasePolicy"))?;
    let proxy_callbacks = match json.get("proxyPolicy") {
        None | Some(Value::Null) => Vec::new(),
        Some(policy) => match class_of(policy) {
            "org.apereo.cas.services.RefuseRegisteredServiceProxyPolicy" => Vec::new(),
            "org.apereo.cas.services.RegexMatchingRegisteredServiceProxyPolicy" => {
                let pattern = policy
                    .get("pattern")
                    .and_then(Value::as_str)
                    .ok_or("proxyPolicy has no pattern")?;
                let (callback, _) = literal_prefix(pattern)
                    .map_err(|why| format!("proxyPolicy pattern {pattern:?} {why}"))?;
                if !callback.starts_with("https://") {
                    return Err(format!(
                        "proxyPolicy pattern {pattern:?} allows http callbacks; pgtUrls must be https"
                    ));
                }
                vec![callback]
            }
            other => return Err(format!("proxyPolicy {other:?} cannot be converted")),
        },
    };
    let single_logout = match text("logoutType") {
        None | Some("NONE") => false,
        Some("BACK_CHANNEL") => true,
        Some(other) => {
            return Err(format!(
                "logoutType {other:?}: only back-channel single logout is supported"
            ));
        }
    };
    if single_logout && text("logoutUrl").is_some_and(|u| !u.is_empty()) {
        return Err(
            "logoutUrl: logouts go to the URL a ticket was validated for, not another".to_owned(),
        );
    }
    let entry = ServiceEntry {
        name,
        url,
        description,
        attributes,
        proxy_callbacks,
        proxy_tickets: false,
        single_logout,
    };
    // What comes out loads, or the definition is refused here.
    Registry::parse(&to_toml(std::slice::from_ref(&entry)))?;
    Ok(entry)
}

fn class_of(value: &Value) -> &str {
    value.get("@class").and_then(Value::as_str).unwrap_or("")
}

/// The attributes an `attributeReleasePolicy` releases.
fn release_of(policy: Option<&Value>) -> Result<Vec<String>, String> {
    let Some(policy) = policy.filter(|p| !p.is_null()) else {
        return Ok(Vec::new());
    };
    match class_of(policy) {
        "org.apereo.cas.services.ReturnAllAttributeReleasePolicy" => Ok(vec!["*".to_owned()]),
        "org.apereo.cas.services.DenyAllAttributeReleasePolicy" => Ok(Vec::new()),
        "org.apereo.cas.services.ReturnAllowedAttributeReleasePolicy" => {
            // Jackson writes typed lists as ["java.util.ArrayList", [ … ]].
            let listed = match policy.get("allowedAttributes") {
                None | Some(Value::Null) => return Ok(Vec::new()),
                Some(Value::Array(items)) => match items.as_slice() {
                    [Value::String(_), Value::Array(inner)] => inner.clone(),
                    _ => items.clone(),
                },
                Some(_) => return Err("allowedAttributes is not a list".to_owned()),
            };
            listed
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| "allowedAttributes holds a non-string".to_owned())
                })
                .collect()
        }
        other => Err(format!(
            "attributeReleasePolicy {other:?} cannot be converted (only return-all, deny-all \
             and return-allowed keep their meaning here)"
        )),
    }
}

/// The URL a `serviceId` regular expression is a literal prefix of, and
/// whether it matched that URL alone (no trailing `.*`).
fn literal_prefix(pattern: &str) -> Result<(String, bool), &'static str> {
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let (body, exact) = if let Some(rest) = body.strip_suffix("(/.*)?") {
        (rest, false)
    } else if let Some(rest) = body.strip_suffix(".*") {
        (rest, false)
    } else {
        (body.strip_suffix('$').unwrap_or(body), true)
    };
    let mut url = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) if escaped.is_ascii_punctuation() => url.push(escaped),
                _ => {
                    return Err(
                        "is a regular expression (a class such as \\d), not a literal prefix",
                    );
                }
            },
            '.' => url.push('.'),
            '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                return Err("is a regular expression, not a literal prefix");
            }
            c => url.push(c),
        }
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("does not start with a literal http:// or https:// URL");
    }
    Ok((url, exact))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literal_prefixes_convert_and_regular_expressions_do_not() {
        for (pattern, url, exact) in [
            (
                "^https://app\\.example\\.edu/.*",
                "https://app.example.edu/",
                false,
            ),
            (
                "^https://app.example.edu/.*",
                "https://app.example.edu/",
                false,
            ),
            (
                "https://app.example.edu/portal(/.*)?",
                "https://app.example.edu/portal",
                false,
            ),
            (
                "^https://app\\.example\\.edu:8443/x\\-y/.*",
                "https://app.example.edu:8443/x-y/",
                false,
            ),
            (
                "^https://app\\.example\\.edu/login$",
                "https://app.example.edu/login",
                true,
            ),
        ] {
            assert_eq!(
                literal_prefix(pattern),
                Ok((url.to_owned(), exact)),
                "{pattern}"
            );
        }
        for pattern in [
            "^https?://app\\.example\\.edu/.*",
            "^(https|imaps)://.*",
            "^https://.*\\.example\\.edu/.*",
            "^https://app\\.example\\.edu/(a|b)/.*",
            "^https://[a-z]+\\.example\\.edu/.*",
            "^https://app\\d\\.example\\.edu/.*",
            "^.*",
            "app\\.example\\.edu/.*",
        ] {
            assert!(literal_prefix(pattern).is_err(), "{pattern}");
        }
    }

    fn definition(extra: Value) -> Value {
        let mut base = json!({
            "@class": "org.apereo.cas.services.CasRegisteredService",
            "serviceId": "^https://moodle\\.example\\.edu/.*",
            "name": "Moodle",
            "id": 1001,
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        base
    }

    #[test]
    fn a_definition_keeps_its_attributes_proxies_and_logout() {
        let entry = entry_of(&definition(json!({
            "attributeReleasePolicy": {
                "@class": "org.apereo.cas.services.ReturnAllowedAttributeReleasePolicy",
                "allowedAttributes": ["java.util.ArrayList", ["mail", "memberOf"]]
            },
            "proxyPolicy": {
                "@class": "org.apereo.cas.services.RegexMatchingRegisteredServiceProxyPolicy",
                "pattern": "^https://moodle\\.example\\.edu/cas/pgt.*"
            },
            "logoutType": "BACK_CHANNEL"
        })))
        .unwrap();
        assert_eq!(entry.url, "https://moodle.example.edu/");
        assert_eq!(entry.attributes, ["mail", "memberOf"]);
        assert_eq!(
            entry.proxy_callbacks,
            ["https://moodle.example.edu/cas/pgt"]
        );
        assert!(entry.single_logout && !entry.proxy_tickets);
        let all = entry_of(&definition(json!({
            "attributeReleasePolicy": {"@class": "org.apereo.cas.services.ReturnAllAttributeReleasePolicy"}
        })))
        .unwrap();
        assert_eq!(all.attributes, ["*"]);
    }

    #[test]
    fn what_cannot_keep_its_meaning_is_refused_with_the_reason() {
        for (extra, reason) in [
            (
                json!({"@class": "org.apereo.cas.services.OidcRegisteredService"}),
                "is not a CAS service",
            ),
            (
                json!({"serviceId": "^https?://moodle\\.example\\.edu/.*"}),
                "is a regular expression",
            ),
            (json!({"accessStrategy": {"enabled": false}}), "disabled"),
            (json!({"logoutType": "FRONT_CHANNEL"}), "only back-channel"),
            (
                json!({"attributeReleasePolicy": {"@class": "org.apereo.cas.services.ReturnMappedAttributeReleasePolicy"}}),
                "cannot be converted",
            ),
            (
                json!({"proxyPolicy": {"@class": "org.apereo.cas.services.RegexMatchingRegisteredServiceProxyPolicy", "pattern": "^http://p\\.example\\.edu/.*"}}),
                "must be https",
            ),
            (
                json!({"serviceId": "^https://moodle\\.example\\.edu/?x=1.*"}),
                "is a regular expression",
            ),
            (json!({"name": "Bad\u{1}name"}), "name must be"),
        ] {
            let err = entry_of(&definition(extra.clone())).unwrap_err();
            assert!(err.contains(reason), "{extra}: {err}");
        }
    }

    #[test]
    fn files_convert_to_a_registry_that_loads() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("Moodle-1001.json");
        std::fs::write(&good, definition(json!({})).to_string()).unwrap();
        let hjson = dir.path().join("Wiki-1002.json");
        std::fs::write(&hjson, "{ /* Hjson */ serviceId: x }").unwrap();
        let (toml, refused) = convert(&[&good, &hjson]);
        let registry = Registry::parse(&toml).unwrap();
        assert_eq!(registry.len(), 1);
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].contains("Wiki-1002.json: refused: not JSON"),
            "{refused:?}"
        );
    }
}
