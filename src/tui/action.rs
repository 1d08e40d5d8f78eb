//! The command table: every named action a key, the palette or the help screen can refer to.
//!
//! Keymaps (`keymaps/*.toml`) name actions by `CommandSpec::name`; the keymap loader validates
//! against [`command_names`]. Read-only mode is enforced by the dispatcher using `writes`.

/// Keymap contexts in which an action is meaningful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Queues,
    List,
    Detail,
    Dashboard,
    /// The multi-line editor of replies, notes and integration requests. Only its own
    /// bindings apply (never `global`): every other key is text.
    Editor,
}

impl Context {
    pub const ALL: [Context; 6] = [
        Context::Global,
        Context::Queues,
        Context::List,
        Context::Detail,
        Context::Dashboard,
        Context::Editor,
    ];

    /// The name used in keymap files (`[global]`, `[list]`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Queues => "queues",
            Context::List => "list",
            Context::Detail => "detail",
            Context::Dashboard => "dashboard",
            Context::Editor => "editor",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// One entry of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// snake_case name used in keymaps and the `:` palette.
    pub name: &'static str,
    /// i18n catalog key of the one-line description (see `crate::i18n`).
    pub description_key: &'static str,
    /// Contexts where the action may be bound.
    pub contexts: &'static [Context],
    /// Whether the action changes server state (refused in read-only mode).
    pub writes: bool,
}

use Context::{Dashboard as D, Detail as T, Editor as E, Global as G, List as L, Queues as Q};

const NAV: &[Context] = &[G, Q, L, T, D];
const MOVE: &[Context] = &[Q, L, T, D];
const LIST_DETAIL: &[Context] = &[G, L, T];
const LIST_ONLY: &[Context] = &[G, L];

const fn read(
    name: &'static str,
    description_key: &'static str,
    contexts: &'static [Context],
) -> CommandSpec {
    CommandSpec {
        name,
        description_key,
        contexts,
        writes: false,
    }
}

const fn write(
    name: &'static str,
    description_key: &'static str,
    contexts: &'static [Context],
) -> CommandSpec {
    CommandSpec {
        name,
        description_key,
        contexts,
        writes: true,
    }
}

/// Every action, in the order the help screen lists them.
pub const COMMANDS: &[CommandSpec] = &[
    // navigation
    read("quit", "cmd.quit", NAV),
    read("help", "cmd.help", NAV),
    read("palette", "cmd.palette", NAV),
    read("filter", "cmd.filter", &[G, Q, L]),
    read("jump", "cmd.jump", NAV),
    read("focus_next", "cmd.focus_next", NAV),
    read("focus_prev", "cmd.focus_prev", NAV),
    read("up", "cmd.up", MOVE),
    read("down", "cmd.down", MOVE),
    read("page_up", "cmd.page_up", MOVE),
    read("page_down", "cmd.page_down", MOVE),
    read("top", "cmd.top", MOVE),
    read("bottom", "cmd.bottom", MOVE),
    read("open", "cmd.open", &[G, Q, L, D]),
    read("back", "cmd.back", NAV),
    read("next_queue", "cmd.next_queue", &[G, Q, L]),
    read("prev_queue", "cmd.prev_queue", &[G, Q, L]),
    read("sort_cycle", "cmd.sort_cycle", &[G, L]),
    read("toggle_select", "cmd.toggle_select", LIST_ONLY),
    read("select_all", "cmd.select_all", LIST_ONLY),
    read("clear_selection", "cmd.clear_selection", LIST_ONLY),
    read("dashboard", "cmd.dashboard", NAV),
    read("suspend", "cmd.suspend", NAV),
    read("refresh", "cmd.refresh", NAV),
    read("export_csv", "cmd.export_csv", &[G, L, D]),
    // workflows
    write("take", "cmd.take", LIST_DETAIL),
    write("release", "cmd.release", LIST_DETAIL),
    write("assign", "cmd.assign", LIST_DETAIL),
    write("reply", "cmd.reply", LIST_DETAIL),
    write("reply_editor", "cmd.reply_editor", LIST_DETAIL),
    write("note", "cmd.note", LIST_DETAIL),
    write(
        "request_integration",
        "cmd.request_integration",
        LIST_DETAIL,
    ),
    write("forward", "cmd.forward", LIST_DETAIL),
    write("close", "cmd.close", LIST_DETAIL),
    write("reopen", "cmd.reopen", LIST_DETAIL),
    write("tag", "cmd.tag", LIST_DETAIL),
    write("book_appointment", "cmd.book_appointment", LIST_DETAIL),
    read("copy_id", "cmd.copy_id", LIST_DETAIL),
    write("bulk_take", "cmd.bulk_take", LIST_ONLY),
    write("bulk_forward", "cmd.bulk_forward", LIST_ONLY),
    write("bulk_close", "cmd.bulk_close", LIST_ONLY),
    write("undo", "cmd.undo", NAV),
    write("canned_reply", "cmd.canned_reply", LIST_DETAIL),
    // editor: deliberate keys only, so a stray Enter never sends
    read("send", "cmd.send", &[E]),
    read("external_editor", "cmd.external_editor", &[E]),
];

/// All action names, for keymap validation.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

/// Looks an action up by name.
pub fn command(name: &str) -> Option<&'static CommandSpec> {
    COMMANDS.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            assert!(
                c.name
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{}",
                c.name
            );
            assert!(!c.contexts.is_empty());
        }
        assert_eq!(COMMANDS.len(), 45);
    }

    #[test]
    fn read_only_classification() {
        assert!(command("close").is_some_and(|c| c.writes));
        assert!(command("copy_id").is_some_and(|c| !c.writes));
        assert!(command("quit").is_some_and(|c| !c.writes));
        assert!(command("nope").is_none());
    }

    #[test]
    fn contexts_round_trip() {
        for c in Context::ALL {
            assert_eq!(Context::from_name(c.name()), Some(c));
        }
    }
}
