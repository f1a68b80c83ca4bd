//! A user's claims, read from the directory's attributes at the time they
//! are asked for (attributes are never carried in codes or tokens).
//!
//! Which claims: the standard claims of each granted scope (OIDC Core
//! §5.4), every claim the request's claims parameter names for that
//! target, and every other claim the client's `claims` list names
//! explicitly, each only if the client's `claims` releases it. Where: a
//! standard claim is read from the first attribute of [`SOURCES`] the user
//! has (`email` from `mail`, `name` from `displayName` or `cn`, …), any
//! other claim from the attribute of its own name. One value is a string,
//! several an array.

use std::collections::BTreeMap;

use cas_ticket_codec::oauth::{ClaimNames, Scopes};
use serde_json::{Map, Value};

use crate::clients::RegisteredClient;

/// The standard claims of each scope (OIDC Core §5.4).
const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The attributes a standard claim is read from, in order of preference,
/// where they have other names (LDAP's inetOrgPerson, then the claim's own).
pub const SOURCES: [(&str, &[&str]); 6] = [
    ("email", &["mail", "email"]),
    ("name", &["displayName", "cn", "name"]),
    ("given_name", &["givenName", "given_name"]),
    ("family_name", &["sn", "family_name"]),
    ("preferred_username", &["uid", "preferred_username"]),
    ("phone_number", &["telephoneNumber", "phone_number"]),
];

/// What discovery lists: the claims the protocol sets (but `acr`, which
/// this provider does not set) and the standard claims of every scope.
pub fn supported() -> Vec<&'static str> {
    let protocol = PROTOCOL.iter().copied().filter(|c| *c != "acr");
    let standard = SCOPE_CLAIMS
        .iter()
        .flat_map(|(_, claims)| claims.iter().copied());
    protocol.chain(standard).collect()
}

/// Whether `name` is a standard claim of some scope.
fn is_standard(name: &str) -> bool {
    SCOPE_CLAIMS
        .iter()
        .any(|(_, claims)| claims.contains(&name))
}

/// The claims named for a target: those of the granted scopes (when
/// `by_scope`), those the claims request names, and the non-standard ones
/// the client lists; each released to the client.
pub fn wanted(
    client: &RegisteredClient,
    scopes: &Scopes,
    requested: &ClaimNames,
    by_scope: bool,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if by_scope {
        for (scope, claims) in SCOPE_CLAIMS {
            if scopes.contains(scope) {
                names.extend(claims.iter().map(|c| (*c).to_owned()));
            }
        }
        names.extend(
            client
                .listed_claims()
                .filter(|c| !is_standard(c))
                .map(str::to_owned),
        );
    }
    names.extend(requested.as_slice().iter().cloned());
    names.retain(|name| client.releases(name) && !PROTOCOL.contains(&name.as_str()));
    names.sort_unstable();
    names.dedup();
    names
}

/// Claims the protocol sets, which no attribute may stand for.
const PROTOCOL: [&str; 11] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "sid",
    "azp",
    "acr",
];

/// The values of `names` for a user with `attributes` (pairs, a name
/// repeated for each value): claims the user has no attribute for are left out.
pub fn values(names: &[String], attributes: &[(String, String)]) -> Map<String, Value> {
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, value) in attributes {
        by_name
            .entry(name.as_str())
            .or_default()
            .push(value.as_str());
    }
    let mut out = Map::new();
    for name in names {
        let sources: &[&str] = SOURCES
            .iter()
            .find(|(claim, _)| claim == name)
            .map_or(&[], |(_, sources)| *sources);
        let found = sources
            .iter()
            .copied()
            .chain(core::iter::once(name.as_str()))
            .find_map(|source| by_name.get(source));
        match found.map(Vec::as_slice) {
            Some([one]) => {
                out.insert(name.clone(), Value::String((*one).to_owned()));
            }
            Some(many) if !many.is_empty() => {
                let list = many
                    .iter()
                    .map(|v| Value::String((*v).to_owned()))
                    .collect();
                out.insert(name.clone(), Value::Array(list));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::{ClientEntry, RegisteredClient};

    fn client(claims: &str) -> RegisteredClient {
        let text = format!(
            "name = \"M\"\nclient_id = \"m\"\npublic = true\n\
             redirect_uris = [\"https://m.example.edu/cb\"]\nclaims = {claims}"
        );
        let entry: ClientEntry = toml::from_str(&text).unwrap();
        RegisteredClient::from_entry(entry).unwrap()
    }

    #[test]
    fn scopes_requests_and_the_clients_list_name_claims_the_client_may_have() {
        let client = client("[\"email\", \"name\", \"memberOf\", \"picture\"]");
        let scopes = Scopes::parse("openid email").unwrap();
        let none = ClaimNames::default();
        assert_eq!(wanted(&client, &scopes, &none, true), ["email", "memberOf"]);
        let asked = ClaimNames::new(["name", "family_name", "sub"]).unwrap();
        assert_eq!(
            wanted(&client, &scopes, &asked, true),
            ["email", "memberOf", "name"]
        );
        // The ID token of a code flow: only what the request names.
        assert_eq!(wanted(&client, &scopes, &asked, false), ["name"]);
        let all = super::tests::client("[\"*\"]");
        let profile = Scopes::parse("profile").unwrap();
        assert_eq!(wanted(&all, &profile, &none, true).len(), 14);
    }

    #[test]
    fn values_come_from_the_directorys_attributes() {
        let attributes: Vec<(String, String)> = [
            ("mail", "jdoe@example.edu"),
            ("cn", "John Doe"),
            ("displayName", "Johnny"),
            ("memberOf", "staff"),
            ("memberOf", "library"),
            ("email", "ignored@example.edu"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        let names: Vec<String> = ["email", "name", "memberOf", "locale"]
            .iter()
            .map(|n| (*n).to_owned())
            .collect();
        let got = values(&names, &attributes);
        assert_eq!(
            Value::Object(got),
            serde_json::json!({
                "email": "jdoe@example.edu",
                "name": "Johnny",
                "memberOf": ["staff", "library"],
            })
        );
    }
}
