//! The slot picker `b` opens (Agenda appuntamenti), and the appointment lines of the detail
//! pane. Days and times are Europe/Rome, as the office keeps them.
//!
//! The picker loads the office's slots for [`DAYS_LOADED`] days from today, shows one day at a
//! time (←/→ move between days that have slots or a closing reason; weekends are skipped),
//! ↑/↓ move between the day's slots still ahead, `c` cycles the channel, Enter books (or moves
//! the booked appointment there), `x` cancels the booked appointment, Esc closes.

use crossterm::event::{KeyCode, KeyEvent};
use jiff::Timestamp;
use jiff::civil::Date;
use ratatui::text::{Line, Span};

use crate::api::{
    Appointment, CancelAppointment, NewAppointment, RequestDetail, RescheduleAppointment, SlotDay,
    SlotView, Slots,
};
use crate::domain::agenda::{self, AppointmentState, Channel};
use crate::domain::request::RequestId;
use crate::domain::sanitize::inline;
use crate::i18n::{Lang, t, tf};
use crate::tui::theme::Theme;

/// Days of slots one picker loads.
pub const DAYS_LOADED: i64 = 28;

/// What the picker asks the service to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgendaOp {
    Book(NewAppointment),
    Reschedule {
        appointment: i64,
        body: RescheduleAppointment,
    },
    Cancel {
        appointment: i64,
        body: CancelAppointment,
    },
}

impl AgendaOp {
    /// Catalog key of the status-bar message once done.
    pub fn done_key(&self) -> &'static str {
        match self {
            AgendaOp::Book(_) => "done.appointment",
            AgendaOp::Reschedule { .. } => "done.appointment_moved",
            AgendaOp::Cancel { .. } => "done.appointment_cancelled",
        }
    }
}

/// The picker's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPicker {
    pub request: RequestId,
    pub version: u64,
    pub office: String,
    /// The booked appointment: Enter moves it, `x` cancels it.
    pub existing: Option<Appointment>,
    /// `None` while loading.
    pub slots: Option<Slots>,
    /// Index into `slots.days`.
    pub day: usize,
    /// Index among the day's slots still ahead.
    pub cursor: usize,
    pub channel: Channel,
    /// First day asked for.
    pub from: Date,
}

/// What a key did to the picker.
pub enum Outcome {
    /// Still open.
    Open(Box<SlotPicker>),
    /// Closed, nothing to do.
    Closed,
    /// Closed with a write to send.
    Write {
        id: RequestId,
        version: u64,
        op: AgendaOp,
    },
    /// Still open; tell the user `key` (e.g. the slot is full).
    Notice(Box<SlotPicker>, &'static str),
}

impl SlotPicker {
    /// A picker for `request` (with the detail, when loaded, for its booked appointment).
    pub fn new(
        request: RequestId,
        version: u64,
        office: String,
        detail: Option<&RequestDetail>,
        now: Timestamp,
    ) -> SlotPicker {
        let existing = detail
            .filter(|d| d.summary.id == request)
            .and_then(|d| {
                d.appointments
                    .iter()
                    .find(|a| a.state == AppointmentState::Booked && a.at > now)
            })
            .cloned();
        SlotPicker {
            request,
            version,
            office,
            channel: existing.as_ref().map_or(Channel::InSede, |a| a.mode),
            existing,
            slots: None,
            day: 0,
            cursor: 0,
            from: agenda::rome_date(now).unwrap_or_default(),
        }
    }

    /// The last day asked for.
    pub fn to(&self) -> Date {
        self.from
            .checked_add(jiff::Span::new().days(DAYS_LOADED - 1))
            .unwrap_or(self.from)
    }

    /// Slots arrived: open on the first day with a free place (or the booked appointment's
    /// day when moving one).
    pub fn loaded(&mut self, slots: Slots, now: Timestamp) {
        if !slots.channels.contains(&self.channel)
            && let Some(first) = slots.channels.first()
        {
            self.channel = *first;
        }
        let target = self
            .existing
            .as_ref()
            .and_then(|a| agenda::rome_date(a.at).ok())
            .map(|d| d.to_string());
        let day = slots
            .days
            .iter()
            .position(|d| target.as_deref() == Some(d.date.as_str()))
            .or_else(|| {
                slots
                    .days
                    .iter()
                    .position(|d| ahead(d, now).any(|s| s.remaining > 0))
            })
            .unwrap_or(0);
        self.day = day;
        self.cursor = slots
            .days
            .get(day)
            .and_then(|d| ahead(d, now).position(|s| s.remaining > 0))
            .unwrap_or(0);
        self.slots = Some(slots);
    }

    fn current_day(&self) -> Option<&SlotDay> {
        self.slots.as_ref()?.days.get(self.day)
    }

    /// The slot under the cursor.
    pub fn current_slot(&self, now: Timestamp) -> Option<&SlotView> {
        ahead(self.current_day()?, now).nth(self.cursor)
    }

    /// Days worth showing: with slots ahead or a closing reason (weekends are skipped).
    fn shown(day: &SlotDay, now: Timestamp) -> bool {
        !day.closed.is_empty() || ahead(day, now).next().is_some()
    }

    fn move_day(&mut self, forward: bool, now: Timestamp) {
        let Some(slots) = &self.slots else { return };
        let mut at = self.day;
        loop {
            let next = if forward {
                at.checked_add(1).filter(|n| *n < slots.days.len())
            } else {
                at.checked_sub(1)
            };
            match next {
                Some(n) if Self::shown(&slots.days[n], now) => {
                    self.day = n;
                    self.cursor = ahead(&slots.days[n], now)
                        .position(|s| s.remaining > 0)
                        .unwrap_or(0);
                    return;
                }
                Some(n) => at = n,
                None => return,
            }
        }
    }

    fn cycle_channel(&mut self) {
        let Some(slots) = &self.slots else { return };
        let channels = &slots.channels;
        if let Some(at) = channels.iter().position(|c| *c == self.channel) {
            self.channel = channels[(at + 1) % channels.len()];
        } else if let Some(first) = channels.first() {
            self.channel = *first;
        }
    }

    /// Handles one key.
    pub fn key(mut self, key: KeyEvent, now: Timestamp) -> Outcome {
        match key.code {
            KeyCode::Esc => return Outcome::Closed,
            KeyCode::Left | KeyCode::Char('h') => self.move_day(false, now),
            KeyCode::Right | KeyCode::Char('l') => self.move_day(true, now),
            KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                let count = self.current_day().map_or(0, |d| ahead(d, now).count());
                if self.cursor + 1 < count {
                    self.cursor += 1;
                }
            }
            KeyCode::Char('c') => self.cycle_channel(),
            KeyCode::Char('x') => {
                return match &self.existing {
                    Some(existing) => Outcome::Write {
                        id: self.request.clone(),
                        version: self.version,
                        op: AgendaOp::Cancel {
                            appointment: existing.id,
                            body: CancelAppointment::default(),
                        },
                    },
                    None => Outcome::Notice(Box::new(self), "agenda.nothing_to_cancel"),
                };
            }
            KeyCode::Enter => {
                let Some(slot) = self.current_slot(now).cloned() else {
                    return Outcome::Notice(Box::new(self), "agenda.no_slot");
                };
                let own = self.existing.as_ref().is_some_and(|a| a.at == slot.start);
                if slot.remaining == 0 && !own {
                    return Outcome::Notice(Box::new(self), "agenda.full");
                }
                let op = match &self.existing {
                    Some(existing) => AgendaOp::Reschedule {
                        appointment: existing.id,
                        body: RescheduleAppointment {
                            start: slot.start,
                            channel: Some(self.channel),
                        },
                    },
                    None => AgendaOp::Book(NewAppointment {
                        start: slot.start,
                        channel: self.channel,
                    }),
                };
                return Outcome::Write {
                    id: self.request.clone(),
                    version: self.version,
                    op,
                };
            }
            _ => {}
        }
        Outcome::Open(Box::new(self))
    }
}

/// The day's slots that have not begun.
fn ahead(day: &SlotDay, now: Timestamp) -> impl Iterator<Item = &SlotView> {
    day.slots.iter().filter(move |s| s.start > now)
}

/// "gio 3 dic 2026".
pub fn day_label(lang: Lang, date: Date) -> String {
    format!(
        "{} {} {} {}",
        t(
            lang,
            &format!("agenda.weekday.{}", date.weekday().to_monday_one_offset())
        ),
        date.day(),
        t(lang, &format!("agenda.month.{}", date.month())),
        date.year()
    )
}

/// "gio 3 dic 2026 09:00" in Rome.
pub fn when_label(lang: Lang, at: Timestamp) -> String {
    match agenda::in_rome(at) {
        Ok(z) => format!(
            "{} {:02}:{:02}",
            day_label(lang, z.date()),
            z.hour(),
            z.minute()
        ),
        Err(_) => at.to_string(),
    }
}

fn channel_label(lang: Lang, channel: Channel) -> &'static str {
    t(lang, &format!("mode.{}", channel.code()))
}

/// Title and lines of the picker dialog, `rows` slot lines at most.
pub fn picker_lines(
    picker: &SlotPicker,
    lang: Lang,
    theme: &Theme,
    rows: usize,
    now: Timestamp,
) -> (String, Vec<Line<'static>>) {
    let title_key = if picker.existing.is_some() {
        "agenda.title_move"
    } else {
        "agenda.title"
    };
    let title = tf(
        lang,
        title_key,
        &[
            ("id", picker.request.as_str()),
            ("office", &inline(&picker.office, 8)),
        ],
    );
    let mut lines = Vec::new();
    if let Some(existing) = &picker.existing {
        lines.push(Line::styled(
            tf(
                lang,
                "agenda.current",
                &[
                    ("when", &when_label(lang, existing.at)),
                    ("channel", channel_label(lang, existing.mode)),
                ],
            ),
            theme.header,
        ));
        if let Some(message) = &existing.move_request {
            lines.push(Line::styled(
                tf(
                    lang,
                    "agenda.move_asked",
                    &[("message", &inline(message, 60))],
                ),
                theme.presence,
            ));
        }
    }
    let Some(slots) = &picker.slots else {
        lines.push(Line::styled(t(lang, "agenda.loading"), theme.muted));
        return (title, lines);
    };
    let Some(day) = slots.days.get(picker.day) else {
        lines.push(Line::styled(t(lang, "agenda.none"), theme.muted));
        return (title, lines);
    };
    let date: Date = day.date.parse().unwrap_or(picker.from);
    lines.push(Line::from(vec![
        Span::styled("◀ ", theme.key_hint_key),
        Span::styled(day_label(lang, date), theme.header),
        Span::styled(" ▶", theme.key_hint_key),
        Span::styled(
            format!(
                "   {}: {}",
                t(lang, "agenda.channel"),
                channel_label(lang, picker.channel)
            ),
            theme.dialog,
        ),
    ]));
    if !day.closed.is_empty() {
        lines.push(Line::styled(
            tf(
                lang,
                "agenda.closed",
                &[("reasons", &inline(&day.closed.join("; "), 70))],
            ),
            theme.muted,
        ));
    }
    let visible: Vec<&SlotView> = ahead(day, now).collect();
    if visible.is_empty() && day.closed.is_empty() {
        lines.push(Line::styled(t(lang, "agenda.day_over"), theme.muted));
    }
    let rows = rows.max(1);
    let first = picker.cursor.saturating_sub(rows.saturating_sub(1));
    for (pos, slot) in visible.iter().enumerate().skip(first).take(rows) {
        let end = agenda::rome_hhmm(slot.end);
        let own = picker.existing.as_ref().is_some_and(|a| a.at == slot.start);
        let places = if own {
            t(lang, "agenda.yours").to_string()
        } else if slot.remaining == 0 {
            t(lang, "agenda.slot_full").to_string()
        } else {
            crate::i18n::plural(lang, "agenda.places", usize::from(slot.remaining))
        };
        let selected = pos == picker.cursor;
        let marker = if selected { "▸" } else { " " };
        let style = if selected {
            theme.selection
        } else if slot.remaining == 0 && !own {
            theme.muted
        } else {
            theme.dialog
        };
        lines.push(Line::styled(
            format!("{marker} {}–{end}  {places}", slot.time),
            style,
        ));
    }
    let hint_key = if picker.existing.is_some() {
        "agenda.hint_move"
    } else {
        "agenda.hint"
    };
    lines.push(Line::styled(t(lang, hint_key), theme.muted));
    (title, lines)
}

/// The "Appuntamento" lines of the detail pane.
pub fn detail_lines(
    lines: &mut Vec<Line<'static>>,
    detail: &RequestDetail,
    lang: Lang,
    theme: &Theme,
) {
    if detail.appointments.is_empty() {
        return;
    }
    lines.push(Line::styled(t(lang, "detail.appointments"), theme.header));
    for a in &detail.appointments {
        let mut text = format!(
            "{} · {} · {}",
            when_label(lang, a.at),
            channel_label(lang, a.mode),
            t(lang, &format!("agenda.state.{}", a.state.code()))
        );
        let place = match a.mode {
            Channel::InSede => a.contact.address.as_deref(),
            Channel::Telefono => a.contact.phone.as_deref(),
            Channel::Video => a.contact.video_url.as_deref(),
        };
        if let Some(place) = place {
            text.push_str(&format!(" · {}", inline(place, 48)));
        }
        let style = if a.state == AppointmentState::Booked {
            theme.dialog
        } else {
            theme.muted
        };
        lines.push(Line::styled(text, style));
        if let Some(message) = &a.move_request {
            lines.push(Line::styled(
                tf(
                    lang,
                    "agenda.move_asked",
                    &[("message", &inline(message, 60))],
                ),
                theme.presence,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_labels_are_in_the_user_language() {
        let day: Date = "2026-12-03".parse().unwrap();
        assert_eq!(day_label(Lang::It, day), "gio 3 dic 2026");
        assert_eq!(day_label(Lang::En, day), "Thu 3 Dec 2026");
        let at: Timestamp = "2026-12-03T08:00:00Z".parse().unwrap();
        assert_eq!(when_label(Lang::It, at), "gio 3 dic 2026 09:00");
    }
}
