//! Keymaps: TOML files of bindings per context, embedded defaults (`default`, `vim`) and a user
//! file that overrides them binding by binding (yazi-style `prepend_keymap` / `append_keymap`).
//!
//! Bindings deserialise straight into [`Command`] (helix's `KeyTrie` of `MappableCommand`s): an
//! unknown name is a diagnostic with file and line at load, and [`Keymap::lookup`] yields the
//! command itself, so the dispatcher never sees a name. The same table drives the dispatcher
//! (`lookup`), the `?` help (`bindings`), the palette's keys (`key_for`) and the key-hint line
//! (`hints`), so what the help shows is exactly what the keys do.

mod key;

use std::path::Path;

use crossterm::event::{KeyEvent, KeyEventKind};
use serde::Deserialize;
use toml::Spanned;

use crate::config::source::{Diagnostic, Source};
use crate::tui::action::Command;

pub use key::{KeyChord, KeyParseError, display_sequence};

/// The embedded keymap presets, by name.
pub const PRESETS: &[(&str, &str)] = &[
    ("default", include_str!("../../../keymaps/default.toml")),
    ("vim", include_str!("../../../keymaps/vim.toml")),
];

/// File name of the user's override file inside the config dir.
pub const USER_FILE: &str = "keymap.toml";

/// The name a user binds to unbind a key from the preset (no command of its own).
pub const UNBIND: &str = "noop";

/// Keymap contexts are the command table's: `global`, `queues`, `list`, `detail`, `dashboard`.
/// `Global` bindings apply in every context unless the context binds the same keys itself.
pub use crate::tui::action::Context;

/// Position of a context's bindings in `Keymap::contexts`.
fn slot(context: Context) -> usize {
    context as usize
}

/// One key sequence bound to a command in a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub keys: Vec<KeyChord>,
    pub command: Command,
    pub desc: String,
    /// Shown in the key-hint line of its context.
    pub hint: bool,
    /// File and line the binding comes from (for the help and for diagnostics).
    pub file: String,
    pub line: usize,
}

impl Binding {
    /// The keys as shown to the user: `g g`, `Ctrl-c`.
    pub fn keys_display(&self) -> String {
        display_sequence(&self.keys)
    }
}

/// Result of feeding one key event to the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A complete sequence: run this command.
    Command(Command),
    /// The key starts a longer sequence; wait for the next key.
    Pending,
    /// Not bound here (any pending sequence has been dropped).
    None,
}

/// The active keymap: bindings per context plus the keys typed so far of a pending sequence.
#[derive(Debug, Clone)]
pub struct Keymap {
    preset: String,
    contexts: [Vec<Binding>; 6],
    pending: Vec<KeyChord>,
}

impl Keymap {
    /// Loads preset `preset` (`default` or `vim`) and, when it exists, the user's override file.
    /// Never fails: problems come back as diagnostics (an unknown preset falls back to
    /// `default`, a bad binding is skipped) so the workstation always starts with usable keys.
    pub fn load(preset: &str, user_file: Option<&Path>) -> (Keymap, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let user_text = match user_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some((path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    diagnostics.push(
                        Source::new(path.display().to_string(), "")
                            .diagnostic(None, format!("cannot read keymap file: {e}")),
                    );
                    None
                }
            },
            None => None,
        };
        let user = user_text
            .as_ref()
            .map(|(name, text)| Source::new(name.clone(), text));
        let (keymap, more) = Self::from_sources(preset, user.as_ref());
        diagnostics.extend(more);
        (keymap, diagnostics)
    }

    /// Like [`Keymap::load`], from text already in memory (tests, SSH sessions).
    pub fn from_sources(preset: &str, user: Option<&Source<'_>>) -> (Keymap, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let (preset_name, preset_text) = match PRESETS.iter().find(|(name, _)| *name == preset) {
            Some(found) => *found,
            None => {
                diagnostics.push(Diagnostic {
                    file: "config".into(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "unknown keymap `{preset}` (expected one of: {}); using `default`",
                        PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                    ),
                });
                PRESETS[0]
            }
        };
        let base_source = Source::new(format!("<embedded {preset_name}.toml>"), preset_text);
        let base = parse_layer(&base_source, &mut diagnostics);
        let user_layer = user.map(|src| parse_layer(src, &mut diagnostics));

        let mut contexts: [Vec<Binding>; 6] = Default::default();
        for context in Context::ALL {
            let i = slot(context);
            let mut ordered: Vec<(Candidate, Placement)> = Vec::new();
            let mut base_bindings = base.contexts[i].keymap.clone().unwrap_or_default();
            if let Some(user) = &user_layer {
                let layer = &user.contexts[i];
                ordered.extend(
                    layer
                        .prepend
                        .iter()
                        .cloned()
                        .map(|c| (c, Placement::Prepend)),
                );
                if let Some(replacement) = &layer.keymap {
                    base_bindings = replacement.clone();
                }
                ordered.extend(base_bindings.into_iter().map(|c| (c, Placement::Base)));
                ordered.extend(layer.append.iter().cloned().map(|c| (c, Placement::Append)));
            } else {
                ordered.extend(base_bindings.into_iter().map(|c| (c, Placement::Base)));
            }
            contexts[i] = resolve(ordered, &mut diagnostics);
        }
        (
            Keymap {
                preset: preset_name.to_owned(),
                contexts,
                pending: Vec::new(),
            },
            diagnostics,
        )
    }

    /// Name of the preset this keymap was built on.
    pub fn preset(&self) -> &str {
        &self.preset
    }

    /// Feeds one key event. Bindings of `context` are tried before `global` ones; a key that
    /// continues neither drops the pending sequence. Key releases are ignored.
    pub fn lookup(&mut self, context: Context, event: &KeyEvent) -> Lookup {
        if event.kind == KeyEventKind::Release {
            return Lookup::None;
        }
        let mut sequence = std::mem::take(&mut self.pending);
        sequence.push(KeyChord::from(event));
        let layers: &[Context] = if context == Context::Global {
            &[Context::Global]
        } else if context == Context::Editor {
            // In the editor a key is text unless the editor binds it: `q` must not quit.
            &[Context::Editor]
        } else {
            &[context, Context::Global]
        };
        for layer in layers {
            let bindings = &self.contexts[slot(*layer)];
            if let Some(found) = bindings.iter().find(|b| b.keys == sequence) {
                return Lookup::Command(found.command);
            }
            if bindings
                .iter()
                .any(|b| b.keys.len() > sequence.len() && b.keys.starts_with(&sequence))
            {
                self.pending = sequence;
                return Lookup::Pending;
            }
        }
        Lookup::None
    }

    /// Drops a pending sequence (on Esc, focus change, a dialog opening).
    pub fn reset(&mut self) {
        self.pending.clear();
    }

    /// The keys typed so far of an unfinished sequence (for the status bar: `g …`).
    pub fn pending(&self) -> &[KeyChord] {
        &self.pending
    }

    /// Every binding, context by context, in file order (for the `?` help).
    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.contexts.iter().flatten()
    }

    /// The bindings of one context only (without `global`).
    pub fn bindings_in(&self, context: Context) -> &[Binding] {
        &self.contexts[slot(context)]
    }

    /// The key-hint line of a context: its own hinted bindings, then hinted global ones whose
    /// keys the context does not rebind. One entry per command (the first key wins).
    pub fn hints(&self, context: Context) -> Vec<&Binding> {
        let own = &self.contexts[slot(context)];
        let mut hints: Vec<&Binding> = Vec::new();
        let global = if matches!(context, Context::Global | Context::Editor) {
            &[][..]
        } else {
            &self.contexts[slot(Context::Global)][..]
        };
        for binding in own.iter().chain(
            global
                .iter()
                .filter(|g| !own.iter().any(|b| b.keys == g.keys)),
        ) {
            if binding.hint && !hints.iter().any(|h| h.command == binding.command) {
                hints.push(binding);
            }
        }
        hints
    }

    /// The first key sequence bound to `command` in `context` (or global), for menus and the
    /// palette: `Some("t")`.
    pub fn key_for(&self, context: Context, command: Command) -> Option<String> {
        self.contexts[slot(context)]
            .iter()
            .chain(self.contexts[slot(Context::Global)].iter())
            .find(|b| b.command == command)
            .map(Binding::keys_display)
    }

    /// Whether `command` is bound to some key in some context.
    pub fn is_bound(&self, command: Command) -> bool {
        self.bindings().any(|b| b.command == command)
    }
}

impl Default for Keymap {
    /// The embedded `default` preset, without user file.
    fn default() -> Self {
        Self::from_sources(PRESETS[0].0, None).0
    }
}

/// What a binding's `run` names: a command, or `noop` to take a preset key away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Command(Command),
    Unbind,
}

impl Bound {
    fn name(self) -> &'static str {
        match self {
            Bound::Command(command) => command.name(),
            Bound::Unbind => UNBIND,
        }
    }
}

/// `run = "…"` as written. An unknown name is kept (not a deserialisation error) so that only
/// its binding is skipped, with a diagnostic at its line, and the rest of the file still loads.
#[derive(Debug)]
enum Run {
    Bound(Bound),
    Unknown(String),
}

impl<'de> Deserialize<'de> for Run {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(if name == UNBIND {
            Run::Bound(Bound::Unbind)
        } else {
            match Command::from_name(&name) {
                Some(command) => Run::Bound(Bound::Command(command)),
                None => Run::Unknown(name),
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Prepend,
    Base,
    Append,
}

/// A binding on its way through [`resolve`]: `noop` ones still shadow preset keys there.
#[derive(Debug, Clone)]
struct Candidate {
    context: Context,
    keys: Vec<KeyChord>,
    bound: Bound,
    desc: String,
    hint: bool,
    file: String,
    line: usize,
    column: usize,
}

impl Candidate {
    fn keys_display(&self) -> String {
        display_sequence(&self.keys)
    }
}

#[derive(Debug, Default)]
struct ParsedContext {
    keymap: Option<Vec<Candidate>>,
    prepend: Vec<Candidate>,
    append: Vec<Candidate>,
}

#[derive(Debug, Default)]
struct ParsedLayer {
    contexts: [ParsedContext; 6],
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    global: RawContext,
    #[serde(default)]
    queues: RawContext,
    #[serde(default)]
    list: RawContext,
    #[serde(default)]
    detail: RawContext,
    #[serde(default)]
    dashboard: RawContext,
    #[serde(default)]
    editor: RawContext,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawContext {
    keymap: Option<Vec<RawBinding>>,
    #[serde(default)]
    prepend_keymap: Vec<RawBinding>,
    #[serde(default)]
    append_keymap: Vec<RawBinding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: Spanned<toml::Value>,
    run: Spanned<Run>,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    hint: bool,
}

fn parse_layer(source: &Source<'_>, diagnostics: &mut Vec<Diagnostic>) -> ParsedLayer {
    let raw: RawFile = match toml::from_str(source.text) {
        Ok(raw) => raw,
        Err(e) => {
            diagnostics.push(source.toml_error(&e));
            return ParsedLayer::default();
        }
    };
    let mut layer = ParsedLayer::default();
    let raws = [
        raw.global,
        raw.queues,
        raw.list,
        raw.detail,
        raw.dashboard,
        raw.editor,
    ];
    for (context, raw) in Context::ALL.into_iter().zip(raws) {
        let mut convert = |list: Vec<RawBinding>| -> Vec<Candidate> {
            list.into_iter()
                .filter_map(|b| convert_binding(source, context, b, diagnostics))
                .collect()
        };
        let parsed = &mut layer.contexts[slot(context)];
        parsed.keymap = raw.keymap.map(&mut convert);
        parsed.prepend = convert(raw.prepend_keymap);
        parsed.append = convert(raw.append_keymap);
    }
    layer
}

fn convert_binding(
    source: &Source<'_>,
    context: Context,
    raw: RawBinding,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Candidate> {
    let on_span = raw.on.span();
    let (line, column) = source.line_col(on_span.start);
    let key_texts: Vec<String> = match raw.on.into_inner() {
        toml::Value::String(s) => vec![s],
        toml::Value::Array(items) => {
            let texts: Option<Vec<String>> = items
                .into_iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect();
            match texts {
                Some(t) if !t.is_empty() => t,
                _ => {
                    diagnostics.push(source.diagnostic(
                        Some(on_span),
                        "`on` must be a non-empty list of key strings",
                    ));
                    return None;
                }
            }
        }
        _ => {
            diagnostics.push(source.diagnostic(
                Some(on_span),
                "`on` must be a key string (\"ctrl-c\") or a list of keys ([\"g\", \"g\"])",
            ));
            return None;
        }
    };
    let mut keys = Vec::with_capacity(key_texts.len());
    for text in &key_texts {
        match text.parse::<KeyChord>() {
            Ok(k) => keys.push(k),
            Err(e) => {
                diagnostics
                    .push(source.diagnostic(Some(on_span), format!("[{}] {e}", context.name())));
                return None;
            }
        }
    }
    let run_span = raw.run.span();
    let bound = match raw.run.into_inner() {
        Run::Bound(bound) => bound,
        Run::Unknown(name) => {
            diagnostics.push(source.diagnostic(
                Some(run_span),
                format!("[{}] unknown action `{name}`", context.name()),
            ));
            return None;
        }
    };
    Some(Candidate {
        context,
        keys,
        bound,
        desc: raw.desc,
        hint: raw.hint,
        file: source.name.clone(),
        line,
        column,
    })
}

/// Walks bindings in priority order (prepend, base, append); the first binding of a key wins.
/// A later binding that collides with an earlier one (same keys, or one a prefix of the other)
/// is dropped: silently when it is a preset binding overridden by the user, with a diagnostic
/// when both come from the same file or the user appended a binding that cannot take effect.
fn resolve(
    ordered: Vec<(Candidate, Placement)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Binding> {
    let mut accepted: Vec<Candidate> = Vec::new();
    for (binding, placement) in ordered {
        let clash = accepted.iter().find(|a| {
            let (short, long) = if a.keys.len() <= binding.keys.len() {
                (&a.keys, &binding.keys)
            } else {
                (&binding.keys, &a.keys)
            };
            long.starts_with(short)
        });
        match clash {
            None => accepted.push(binding),
            Some(earlier) => {
                if earlier.file == binding.file || placement == Placement::Append {
                    let relation = if earlier.keys == binding.keys {
                        "is already bound"
                    } else if earlier.keys.len() < binding.keys.len() {
                        "cannot be reached: its prefix is bound"
                    } else {
                        "is a prefix of a longer binding"
                    };
                    diagnostics.push(Diagnostic {
                        file: binding.file.clone(),
                        line: binding.line,
                        column: binding.column,
                        message: format!(
                            "[{}] key `{}` {} (`{}` → {} at {}:{}); binding to `{}` ignored",
                            binding.context.name(),
                            binding.keys_display(),
                            relation,
                            earlier.keys_display(),
                            earlier.bound.name(),
                            earlier.file,
                            earlier.line,
                            binding.bound.name()
                        ),
                    });
                }
            }
        }
    }
    accepted
        .into_iter()
        .filter_map(|c| match c.bound {
            Bound::Command(command) => Some(Binding {
                context: c.context,
                keys: c.keys,
                command,
                desc: c.desc,
                hint: c.hint,
                file: c.file,
                line: c.line,
            }),
            Bound::Unbind => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
