//! Canned replies: named reply templates with `{variable}` placeholders.
//!
//! Variables: `{citizen_name}`, `{request_id}`, `{office}`, `{operator}`. `{{` and `}}` write
//! literal braces. Templates are checked when the config loads, so an unknown variable is
//! reported with file and line instead of surfacing while an operator is replying.

use serde::{Deserialize, Deserializer};

/// The variables a template may use.
pub const VARIABLES: &[&str] = &["citizen_name", "request_id", "office", "operator"];

/// Embedded default templates (Italian), extended or replaced by name by the config file.
pub const DEFAULTS: &str = include_str!("../../templates/canned_replies.toml");

/// A reply template.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedReply {
    /// Short unique name, searched by the fuzzy picker.
    pub name: String,
    /// Longer description shown next to the name in the picker.
    #[serde(default)]
    pub title: String,
    /// The template text.
    #[serde(deserialize_with = "checked_template")]
    pub body: String,
}

/// Values substituted into a template.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateVars<'a> {
    pub citizen_name: &'a str,
    pub request_id: &'a str,
    pub office: &'a str,
    pub operator: &'a str,
}

impl TemplateVars<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "citizen_name" => self.citizen_name,
            "request_id" => self.request_id,
            "office" => self.office,
            "operator" => self.operator,
            _ => return None,
        })
    }
}

/// Why a template cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown variable `{{{name}}}` at character {position} (known: {known})", known = VARIABLES.join(", "))]
    UnknownVariable { name: String, position: usize },
    #[error("unclosed `{{` at character {position} (write `{{{{` for a literal brace)")]
    Unclosed { position: usize },
    #[error("unmatched `}}` at character {position} (write `}}}}` for a literal brace)")]
    Unmatched { position: usize },
}

impl CannedReply {
    /// The reply text with every variable replaced.
    pub fn render(&self, vars: &TemplateVars<'_>) -> Result<String, TemplateError> {
        render(&self.body, vars)
    }
}

/// Renders `template`; fails on the first unknown variable or stray brace.
pub fn render(template: &str, vars: &TemplateVars<'_>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut chars = template.char_indices().peekable();
    while let Some((position, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(TemplateError::Unmatched { position }),
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for (_, n) in chars.by_ref() {
                    if n == '}' {
                        closed = true;
                        break;
                    }
                    name.push(n);
                }
                if !closed {
                    return Err(TemplateError::Unclosed { position });
                }
                let value = vars
                    .get(name.trim())
                    .ok_or(TemplateError::UnknownVariable { name, position })?;
                out.push_str(value);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Checks a template against the known variables without rendering it.
pub fn check(template: &str) -> Result<(), TemplateError> {
    render(template, &TemplateVars::default()).map(drop)
}

fn checked_template<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let body = String::deserialize(deserializer)?;
    check(&body).map_err(serde::de::Error::custom)?;
    Ok(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsFile {
    canned_replies: Vec<CannedReply>,
}

/// The embedded templates.
pub fn defaults() -> Vec<CannedReply> {
    // The embedded file is checked by a test; an error here would be a build defect, and the
    // workstation still works without canned replies.
    toml::from_str::<DefaultsFile>(DEFAULTS)
        .map(|f| f.canned_replies)
        .unwrap_or_default()
}

/// Embedded templates, then the configured ones: same name replaces, new names append.
pub fn merge(defaults: Vec<CannedReply>, configured: &[CannedReply]) -> Vec<CannedReply> {
    let mut merged = defaults;
    for reply in configured {
        match merged.iter_mut().find(|r| r.name == reply.name) {
            Some(existing) => *existing = reply.clone(),
            None => merged.push(reply.clone()),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARS: TemplateVars<'static> = TemplateVars {
        citizen_name: "Maria Rossi",
        request_id: "CP-2026-000123",
        office: "Sede provinciale di Roma",
        operator: "G. Bianchi",
    };

    #[test]
    fn renders_variables_and_escaped_braces() {
        let text = render(
            "Gentile {citizen_name}, pratica {request_id} ({office}) {{ok}} — {operator}",
            &VARS,
        )
        .unwrap();
        assert_eq!(
            text,
            "Gentile Maria Rossi, pratica CP-2026-000123 (Sede provinciale di Roma) {ok} — G. Bianchi"
        );
    }

    #[test]
    fn unknown_variable_and_stray_braces_are_errors() {
        assert_eq!(
            render("Ciao {nome}", &VARS),
            Err(TemplateError::UnknownVariable {
                name: "nome".into(),
                position: 5
            })
        );
        assert_eq!(
            render("a {office", &VARS),
            Err(TemplateError::Unclosed { position: 2 })
        );
        assert_eq!(
            render("a } b", &VARS),
            Err(TemplateError::Unmatched { position: 2 })
        );
    }

    #[test]
    fn embedded_defaults_are_valid_and_unique() {
        let parsed: DefaultsFile = toml::from_str(DEFAULTS).unwrap();
        assert!(parsed.canned_replies.len() >= 4);
        let mut names: Vec<_> = parsed.canned_replies.iter().map(|r| &r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), parsed.canned_replies.len());
        for reply in &parsed.canned_replies {
            assert!(reply.render(&VARS).is_ok());
        }
    }

    #[test]
    fn configured_replies_replace_by_name() {
        let mine = CannedReply {
            name: "presa".into(),
            title: String::new(),
            body: "x".into(),
        };
        let merged = merge(defaults(), std::slice::from_ref(&mine));
        assert_eq!(merged.iter().filter(|r| r.name == "presa").count(), 1);
        assert_eq!(merged.iter().find(|r| r.name == "presa").unwrap().body, "x");
    }
}
