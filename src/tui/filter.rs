//! The `/` filter, as fzf reads a query: space-separated terms in any order, all of which must
//! match; a term matches fuzzily (its characters in order, SkimMatcherV2's notion), or exactly
//! with a leading `'`. A term that is a whole codice fiscale is looked for in the masked form
//! the list holds, so a full codice fiscale finds its citizen without the list holding it.
//! Rows are ranked by the sum of their fuzzy scores.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use crate::domain::codice_fiscale::CodiceFiscale;

/// Above this many matching rows the list keeps its sort order instead of being ranked: a
/// one-letter query over a national list would spend a frame scoring rows nobody reads.
pub const RANK_LIMIT: usize = 50_000;

/// Leads an exact term, in the query as typed and in the list index's level keys.
pub const EXACT_MARK: char = '\'';

/// Score of an exact term (fuzzy scores of a word-start match are of this order).
const EXACT: i64 = 100;

/// One term of the query, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub text: String,
    pub exact: bool,
}

impl Term {
    /// Whether the lower-cased `haystack` holds this term.
    pub fn matches(&self, haystack: &str) -> bool {
        if self.exact {
            haystack.contains(&self.text)
        } else {
            subsequence(haystack, &self.text)
        }
    }
}

/// The terms of `query`: whitespace-separated; `'term` exact; a full codice fiscale becomes its
/// masked form, exact.
pub fn terms(query: &str) -> Vec<Term> {
    query
        .split_whitespace()
        .filter_map(|word| {
            if let Some(exact) = word.strip_prefix(EXACT_MARK) {
                return (!exact.is_empty()).then(|| Term {
                    text: exact.to_lowercase(),
                    exact: true,
                });
            }
            if word.len() == 16
                && let Ok(cf) = CodiceFiscale::parse(&word.to_ascii_uppercase())
            {
                return Some(Term {
                    text: cf.masked().to_lowercase(),
                    exact: true,
                });
            }
            Some(Term {
                text: word.to_lowercase(),
                exact: false,
            })
        })
        .collect()
}

/// The query as shown on screen: a full codice fiscale typed in it is shown masked, like
/// everywhere else.
pub fn display(query: &str) -> String {
    query
        .split(' ')
        .map(
            |word| match CodiceFiscale::parse(&word.to_ascii_uppercase()) {
                Ok(cf) if word.len() == 16 => cf.masked(),
                _ => word.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rank of a matching row: the sum of the terms' scores.
pub fn score(haystack: &str, terms: &[Term]) -> i64 {
    thread_local! {
        static MATCHER: SkimMatcherV2 = SkimMatcherV2::default().ignore_case();
    }
    MATCHER.with(|matcher| {
        terms
            .iter()
            .map(|t| {
                if t.exact {
                    EXACT * i64::from(haystack.contains(&t.text))
                } else {
                    matcher.fuzzy_match(haystack, &t.text).unwrap_or(0)
                }
            })
            .sum()
    })
}

/// `text` (already sanitised for the screen) as spans, the characters each term matches within
/// it in `hit`: a term matched across fields (the filter searches them together) lights up only
/// where it matches inside this one.
pub fn highlight(
    text: &str,
    terms: &[Term],
    base: ratatui::style::Style,
    hit: ratatui::style::Style,
) -> Vec<ratatui::text::Span<'static>> {
    use ratatui::text::Span;
    if terms.is_empty() || text.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut lit = vec![false; chars.len()];
    thread_local! {
        static MATCHER: SkimMatcherV2 = SkimMatcherV2::default().ignore_case();
    }
    for term in terms {
        let needle: Vec<char> = term.text.chars().collect();
        if term.exact {
            if needle.is_empty() || needle.len() > lower.len() {
                continue;
            }
            for start in 0..=lower.len() - needle.len() {
                if lower[start..start + needle.len()] == needle[..] {
                    lit[start..start + needle.len()].fill(true);
                }
            }
        } else if let Some((_, indices)) = MATCHER.with(|m| m.fuzzy_indices(text, &term.text)) {
            for i in indices {
                if let Some(l) = lit.get_mut(i) {
                    *l = true;
                }
            }
        }
    }
    let mut spans = Vec::new();
    let mut run = String::new();
    let mut run_lit = false;
    for (c, l) in chars.into_iter().zip(lit) {
        if l != run_lit && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                if run_lit { hit } else { base },
            ));
        }
        run_lit = l;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, if run_lit { hit } else { base }));
    }
    spans
}

/// The greedy leftmost match of `query` in `haystack` resumed at byte `from`; the end of it.
pub fn extend_match(haystack: &str, from: usize, query: &str) -> Option<usize> {
    let mut at = from;
    for c in query.chars() {
        // A UTF-8 encoded char found in valid UTF-8 always starts on a char boundary.
        at += haystack.get(at..)?.find(c)? + c.len_utf8();
    }
    Some(at)
}

/// `needle`'s characters in order in `haystack` (`str::find` jumps to each, with `memchr` for
/// ASCII, rather than decoding every character in between).
fn subsequence(haystack: &str, needle: &str) -> bool {
    extend_match(haystack, 0, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_in_any_order_exact_and_codice_fiscale() {
        let hay = "cbp-2026-0000012 rss***85t10****s rossi mario inca rm01 ammortizzatori sociali naspi: sollecito";
        let all = |q: &str| terms(q).iter().all(|t| t.matches(hay));
        assert!(all("naspi rossi"));
        assert!(all("rossi naspi"));
        assert!(all("rm01 inca"));
        assert!(!all("naspi bianchi"));
        assert!(all("'rossi"));
        assert!(!all("'rsi"));
        assert!(all("rsi"));
        // The full codice fiscale, in any case, finds the masked one.
        assert!(all("RSSMRA85T10A562S"));
        assert!(all("rssmra85t10a562s"));
        assert!(!all("BNCGNN70A41H501V"));
        assert!(terms("'").is_empty());
        assert_eq!(display("naspi RSSMRA85T10A562S"), "naspi RSS***85T10****S");
    }

    #[test]
    fn matched_characters_are_lit() {
        use ratatui::style::{Modifier, Style};
        let hit = Style::default().add_modifier(Modifier::BOLD);
        let spans = highlight("NASpI: sollecito", &terms("naspi"), Style::default(), hit);
        assert_eq!(spans[0].content, "NASpI");
        assert_eq!(spans[0].style, hit);
        let spans = highlight("Rossi Mario", &terms("'mar"), Style::default(), hit);
        let lit: String = spans
            .iter()
            .filter(|s| s.style == hit)
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(lit, "Mar");
    }

    #[test]
    fn a_name_ranks_above_scattered_letters() {
        let t = terms("rossi");
        let name = score("cbp-1 x rossi mario inca", &t);
        let scattered = score("cbp-1 x romano sergio salvi ilaria", &t);
        assert!(name > scattered, "{name} {scattered}");
    }
}
