//! The command table: every named action a key, the palette or the help screen can refer to.
//!
//! Keymaps (`keymaps/*.toml`) name commands by [`Command::name`] and deserialise straight into
//! [`Command`] (the pattern of helix's `MappableCommand` and the ratatui component template's
//! `Action`): an unknown name is a diagnostic at load, never a string the dispatcher meets.
//! Read-only mode is enforced through `writes` by `tui::availability`.

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

/// Every command, as the dispatcher matches it (exhaustively: a new command does not compile
/// until `update` handles it). Keymaps and the palette name them by [`Command::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    Help,
    Palette,
    Filter,
    SearchAll,
    Jump,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    NextQueue,
    PrevQueue,
    SortCycle,
    ToggleSelect,
    SelectAll,
    ClearSelection,
    Dashboard,
    Suspend,
    Refresh,
    ExportCsv,
    Take,
    Release,
    Assign,
    Reply,
    ReplyEditor,
    Note,
    RequestIntegration,
    Forward,
    Close,
    Reopen,
    Tag,
    BookAppointment,
    CopyId,
    BulkTake,
    BulkForward,
    BulkClose,
    Undo,
    CannedReply,
    Send,
    ExternalEditor,
    // cruscotto views
    ColumnLeft,
    ColumnRight,
    CyclePeriod,
    ChooseColumns,
    TrendScale,
    ViewOffices,
    ViewPatronati,
    ViewDeadlines,
    ViewBacklog,
    ViewWorkload,
    ViewTrend,
    ViewForecast,
}

impl Command {
    /// The snake_case name used in keymaps and the `:` palette.
    pub const fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::Palette => "palette",
            Command::Filter => "filter",
            Command::SearchAll => "search_all",
            Command::Jump => "jump",
            Command::FocusNext => "focus_next",
            Command::FocusPrev => "focus_prev",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::Open => "open",
            Command::Back => "back",
            Command::NextQueue => "next_queue",
            Command::PrevQueue => "prev_queue",
            Command::SortCycle => "sort_cycle",
            Command::ToggleSelect => "toggle_select",
            Command::SelectAll => "select_all",
            Command::ClearSelection => "clear_selection",
            Command::Dashboard => "dashboard",
            Command::Suspend => "suspend",
            Command::Refresh => "refresh",
            Command::ExportCsv => "export_csv",
            Command::Take => "take",
            Command::Release => "release",
            Command::Assign => "assign",
            Command::Reply => "reply",
            Command::ReplyEditor => "reply_editor",
            Command::Note => "note",
            Command::RequestIntegration => "request_integration",
            Command::Forward => "forward",
            Command::Close => "close",
            Command::Reopen => "reopen",
            Command::Tag => "tag",
            Command::BookAppointment => "book_appointment",
            Command::CopyId => "copy_id",
            Command::BulkTake => "bulk_take",
            Command::BulkForward => "bulk_forward",
            Command::BulkClose => "bulk_close",
            Command::Undo => "undo",
            Command::CannedReply => "canned_reply",
            Command::Send => "send",
            Command::ExternalEditor => "external_editor",
            Command::ColumnLeft => "column_left",
            Command::ColumnRight => "column_right",
            Command::CyclePeriod => "cycle_period",
            Command::ChooseColumns => "choose_columns",
            Command::TrendScale => "trend_scale",
            Command::ViewOffices => "view_offices",
            Command::ViewPatronati => "view_patronati",
            Command::ViewDeadlines => "view_deadlines",
            Command::ViewBacklog => "view_backlog",
            Command::ViewWorkload => "view_workload",
            Command::ViewTrend => "view_trend",
            Command::ViewForecast => "view_forecast",
        }
    }

    /// The command named `name` in a keymap file.
    pub fn from_name(name: &str) -> Option<Command> {
        COMMANDS.iter().find(|c| c.name == name).map(|c| c.command)
    }

    /// This command's entry of the command table (description, contexts, whether it writes).
    pub const fn spec(self) -> &'static CommandSpec {
        // In range and the right entry: `COMMANDS` lists the commands in declaration order,
        // checked at compile time below.
        &COMMANDS[self as usize]
    }

    /// Whether the command changes server state (refused in read-only mode).
    pub const fn writes(self) -> bool {
        self.spec().writes
    }
}

/// `COMMANDS[c as usize]` is the entry of `c`, for every command: [`Command::spec`] relies on it.
const _: () = {
    let mut i = 0;
    while i < COMMANDS.len() {
        assert!(
            COMMANDS[i].command as usize == i,
            "COMMANDS out of declaration order"
        );
        i += 1;
    }
    assert!(COMMANDS.len() == Command::ViewForecast as usize + 1);
};

/// One entry of the command table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    pub command: Command,
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
    command: Command,
    description_key: &'static str,
    contexts: &'static [Context],
) -> CommandSpec {
    CommandSpec {
        command,
        name: command.name(),
        description_key,
        contexts,
        writes: false,
    }
}

const fn write(
    command: Command,
    description_key: &'static str,
    contexts: &'static [Context],
) -> CommandSpec {
    CommandSpec {
        command,
        name: command.name(),
        description_key,
        contexts,
        writes: true,
    }
}

/// Every command, in declaration order (the order the help screen lists them).
pub const COMMANDS: &[CommandSpec] = &[
    // navigation
    read(Command::Quit, "cmd.quit", NAV),
    read(Command::Help, "cmd.help", NAV),
    read(Command::Palette, "cmd.palette", NAV),
    read(Command::Filter, "cmd.filter", &[G, Q, L]),
    read(Command::SearchAll, "cmd.search_all", &[G, Q, L]),
    read(Command::Jump, "cmd.jump", NAV),
    read(Command::FocusNext, "cmd.focus_next", NAV),
    read(Command::FocusPrev, "cmd.focus_prev", NAV),
    read(Command::Up, "cmd.up", MOVE),
    read(Command::Down, "cmd.down", MOVE),
    read(Command::PageUp, "cmd.page_up", MOVE),
    read(Command::PageDown, "cmd.page_down", MOVE),
    read(Command::Top, "cmd.top", MOVE),
    read(Command::Bottom, "cmd.bottom", MOVE),
    read(Command::Open, "cmd.open", &[G, Q, L, D]),
    read(Command::Back, "cmd.back", NAV),
    read(Command::NextQueue, "cmd.next_queue", &[G, Q, L]),
    read(Command::PrevQueue, "cmd.prev_queue", &[G, Q, L]),
    read(Command::SortCycle, "cmd.sort_cycle", &[G, L]),
    read(Command::ToggleSelect, "cmd.toggle_select", LIST_ONLY),
    read(Command::SelectAll, "cmd.select_all", LIST_ONLY),
    read(Command::ClearSelection, "cmd.clear_selection", LIST_ONLY),
    read(Command::Dashboard, "cmd.dashboard", NAV),
    read(Command::Suspend, "cmd.suspend", NAV),
    read(Command::Refresh, "cmd.refresh", NAV),
    read(Command::ExportCsv, "cmd.export_csv", &[G, L, D]),
    // workflows
    write(Command::Take, "cmd.take", LIST_DETAIL),
    write(Command::Release, "cmd.release", LIST_DETAIL),
    write(Command::Assign, "cmd.assign", LIST_DETAIL),
    write(Command::Reply, "cmd.reply", LIST_DETAIL),
    write(Command::ReplyEditor, "cmd.reply_editor", LIST_DETAIL),
    write(Command::Note, "cmd.note", LIST_DETAIL),
    write(
        Command::RequestIntegration,
        "cmd.request_integration",
        LIST_DETAIL,
    ),
    write(Command::Forward, "cmd.forward", LIST_DETAIL),
    write(Command::Close, "cmd.close", LIST_DETAIL),
    write(Command::Reopen, "cmd.reopen", LIST_DETAIL),
    write(Command::Tag, "cmd.tag", LIST_DETAIL),
    write(
        Command::BookAppointment,
        "cmd.book_appointment",
        LIST_DETAIL,
    ),
    read(Command::CopyId, "cmd.copy_id", LIST_DETAIL),
    write(Command::BulkTake, "cmd.bulk_take", LIST_ONLY),
    write(Command::BulkForward, "cmd.bulk_forward", LIST_ONLY),
    write(Command::BulkClose, "cmd.bulk_close", LIST_ONLY),
    write(Command::Undo, "cmd.undo", NAV),
    write(Command::CannedReply, "cmd.canned_reply", LIST_DETAIL),
    // editor: deliberate keys only, so a stray Enter never sends
    read(Command::Send, "cmd.send", &[E]),
    read(Command::ExternalEditor, "cmd.external_editor", &[E]),
    // cruscotto views
    read(Command::ColumnLeft, "cmd.column_left", &[D]),
    read(Command::ColumnRight, "cmd.column_right", &[D]),
    read(Command::CyclePeriod, "cmd.cycle_period", &[D]),
    read(Command::ChooseColumns, "cmd.choose_columns", &[D]),
    read(Command::TrendScale, "cmd.trend_scale", &[D]),
    read(Command::ViewOffices, "cmd.view_offices", &[D]),
    read(Command::ViewPatronati, "cmd.view_patronati", &[D]),
    read(Command::ViewDeadlines, "cmd.view_deadlines", &[D]),
    read(Command::ViewBacklog, "cmd.view_backlog", &[D]),
    read(Command::ViewWorkload, "cmd.view_workload", &[D]),
    read(Command::ViewTrend, "cmd.view_trend", &[D]),
    read(Command::ViewForecast, "cmd.view_forecast", &[D]),
];

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
        assert_eq!(COMMANDS.len(), 58);
    }

    #[test]
    fn every_command_has_one_entry_named_after_it() {
        for c in COMMANDS {
            assert_eq!(c.command.name(), c.name);
            assert_eq!(Command::from_name(c.name), Some(c.command));
            assert_eq!(c.command.spec(), c);
        }
    }

    #[test]
    fn read_only_classification() {
        assert!(Command::Close.writes());
        assert!(!Command::CopyId.writes());
        assert!(!Command::Quit.writes());
        assert_eq!(Command::from_name("nope"), None);
    }

    #[test]
    fn contexts_round_trip() {
        for c in Context::ALL {
            assert_eq!(Context::from_name(c.name()), Some(c));
        }
    }
}
