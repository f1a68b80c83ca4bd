//! The users file: who may log in, and the attributes released at validation.
//!
//! ```text
//! # comments and blank lines are ignored
//! [users]
//! jdoe@example.edu:correct horse battery staple
//! [attributes]
//! jdoe@example.edu mail=jdoe@example.edu
//! jdoe@example.edu memberOf=staff
//! jdoe@example.edu memberOf=faculty
//! ```
//!
//! A user name has no `:` and no white space; the password is the rest of the
//! line. An attribute name is an XML name of ASCII letters, digits, `_`, `-`
//! and `.`; a value has no control characters; an attribute may repeat. The node reads the file again on every
//! login and every validation, as a stateless node must: attributes are not
//! carried in tickets, so what a validation releases is what the file says
//! now. (A demo credential store: real deployments check LDAP or a hash.)

use std::path::Path;

use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// The parsed users file.
pub struct Directory {
    users: Vec<(String, Zeroizing<String>)>,
    attributes: Vec<(String, String, String)>,
}

impl Directory {
    /// Reads and parses the file; the error names the line, never its content.
    pub async fn load(path: &Path) -> Result<Directory, String> {
        let text = Zeroizing::new(
            tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("cannot read users file {}: {e}", path.display()))?,
        );
        Directory::parse(&text).map_err(|line| {
            format!(
                "users file {} line {line}: expected `name:password` under [users] \
                 or `name attribute=value` under [attributes]",
                path.display()
            )
        })
    }

    /// Parses the text, or says which line (1-based) is wrong.
    fn parse(text: &str) -> Result<Directory, usize> {
        #[derive(PartialEq)]
        enum Section {
            None,
            Users,
            Attributes,
        }
        let mut section = Section::None;
        let mut directory = Directory {
            users: Vec::new(),
            attributes: Vec::new(),
        };
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let number = index + 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line {
                "[users]" => section = Section::Users,
                "[attributes]" => section = Section::Attributes,
                _ if section == Section::Users => {
                    let (name, password) = line.split_once(':').ok_or(number)?;
                    if !valid_user(name) || password.is_empty() {
                        return Err(number);
                    }
                    directory
                        .users
                        .push((name.to_owned(), Zeroizing::new(password.to_owned())));
                }
                _ if section == Section::Attributes => {
                    let (name, pair) = line.split_once(char::is_whitespace).ok_or(number)?;
                    let (attribute, value) = pair.trim_start().split_once('=').ok_or(number)?;
                    if !valid_user(name)
                        || !valid_attribute(attribute)
                        || value.contains(char::is_control)
                    {
                        return Err(number);
                    }
                    directory.attributes.push((
                        name.to_owned(),
                        attribute.to_owned(),
                        value.to_owned(),
                    ));
                }
                _ => return Err(number),
            }
        }
        Ok(directory)
    }

    /// Whether `name` and `password` are a user of the file. Compares every
    /// password in constant time, so timing says nothing about which user or
    /// which prefix matched.
    pub fn check(&self, name: &str, password: &str) -> bool {
        let mut found = false;
        for (user, expected) in &self.users {
            let same_password: bool = expected.as_bytes().ct_eq(password.as_bytes()).into();
            found |= same_password && user == name;
        }
        found
    }

    /// The attributes of `name`, in file order.
    pub fn attributes_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.attributes
            .iter()
            .filter(move |(user, _, _)| user == name)
            .map(|(_, attribute, value)| (attribute.as_str(), value.as_str()))
    }
}

fn valid_user(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c == ':' || c.is_whitespace() || c.is_control())
}

pub fn valid_attribute(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_users_and_attributes() {
        let text = "# demo\n[users]\njdoe:pa:ss word\n\n[attributes]\njdoe mail=j@x.org\njdoe memberOf=a=b\n";
        let dir = Directory::parse(text).unwrap();
        assert!(dir.check("jdoe", "pa:ss word"));
        assert!(!dir.check("jdoe", "pa:ss"));
        assert!(!dir.check("jdo", "pa:ss word"));
        let attributes: Vec<_> = dir.attributes_of("jdoe").collect();
        assert_eq!(attributes, [("mail", "j@x.org"), ("memberOf", "a=b")]);
    }

    #[test]
    fn rejects_lines_outside_sections_and_bad_names() {
        assert_eq!(Directory::parse("jdoe:x").err(), Some(1));
        assert_eq!(Directory::parse("[users]\njdoe").err(), Some(2));
        assert_eq!(Directory::parse("[users]\njdoe:").err(), Some(2));
        assert_eq!(
            Directory::parse("[attributes]\njdoe 1mail=x").err(),
            Some(2)
        );
        assert_eq!(
            Directory::parse("[attributes]\njdoe mail<x>=1").err(),
            Some(2)
        );
        assert_eq!(
            Directory::parse("[attributes]\njdoe mail=a\u{1}b").err(),
            Some(2)
        );
    }
}
