//! The detail pane's content: the request with its dossier (citizen, mandate, linked
//! applications, other open requests), SLA clocks, who else is on it, thread and history.
//! A pure function of the state; every untrusted string goes through `domain::sanitize`.

use ratatui::text::{Line, Span};

use crate::api::PresenceActivity;
use crate::api::{ClockView, Dossier, RequestDetail, RequestSummary};
use crate::domain::calendar::Measure;
use crate::domain::mandate::MandateState;
use crate::domain::request::MessageKind;
use crate::domain::sanitize::{block, inline};
use crate::domain::sla::SlaState;
use crate::i18n::{Lang, t, tf};
use crate::tui::action::{Command, Context};
use crate::tui::state::{Pane, State, Viewer, sla_of};
use crate::tui::theme::Theme;
use crate::tui::view::{business_time, due_text, masked, sla_style, sla_symbol};

/// Display width kept of one message (the pane wraps and scrolls).
const THREAD_BODY_WIDTH: usize = 4000;
/// Most other open requests listed.
const OTHER_REQUESTS: usize = 5;

/// The lines of the detail pane for the request under the cursor, `width` columns wide.
pub fn detail_lines(state: &State, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let lang = state.lang;
    let Some(r) = state.current() else {
        return vec![Line::styled(t(lang, "detail.none"), theme.muted)];
    };
    let detail = state.detail.as_ref().filter(|d| d.summary.id == r.id);
    let dossier = detail.and(state.dossier.as_ref()).filter(|d| {
        // The dossier belongs to the open request's citizen.
        detail.is_some_and(|det| d.citizen.codice_fiscale.as_str() == det.summary.citizen)
    });
    let mut lines = Vec::new();
    header(&mut lines, state, r, width, lang, theme);
    if let Some(viewers) = state.presence.get(&r.id) {
        for v in viewers {
            lines.push(Line::styled(presence_text(lang, v), theme.presence));
        }
    }
    unsent(&mut lines, state, r, theme);
    citizen(&mut lines, r, dossier, lang, theme);
    if let Some(dossier) = dossier {
        mandate(&mut lines, r, dossier, lang, theme);
    }
    clocks(&mut lines, &r.clocks, lang, theme);
    let Some(detail) = detail else {
        if let Some(at) = r.appointment {
            lines.push(Line::styled(
                tf(
                    lang,
                    "detail.appointment_at",
                    &[("when", &crate::tui::agenda::when_label(lang, at))],
                ),
                theme.header,
            ));
        }
        // Only the focused detail pane loads the dossier; a list preview would wait forever.
        let text = if state.focus == Pane::Detail {
            t(lang, "detail.loading").to_string()
        } else {
            let open = state
                .keymap
                .key_for(Context::List, Command::Open)
                .unwrap_or_else(|| ":open".into());
            tf(lang, "detail.open_hint", &[("key", &open)])
        };
        lines.push(Line::styled(text, theme.muted));
        return lines;
    };
    crate::tui::agenda::detail_lines(&mut lines, detail, lang, theme);
    if let Some(dossier) = dossier {
        applications(&mut lines, detail, dossier, lang, theme);
    }
    other_requests(&mut lines, state, r, dossier, lang, theme);
    thread(&mut lines, detail, lang, theme);
    history(&mut lines, detail, lang, theme);
    lines
}

/// Writes of the outbox the service refused on this request, each with its reason (a refused
/// message's text is back in the request's draft), and those still waiting.
fn unsent(lines: &mut Vec<Line<'static>>, state: &State, r: &RequestSummary, theme: &Theme) {
    let lang = state.lang;
    for refused in state.outbox.refused_on(&r.id) {
        let mut text = tf(
            lang,
            "outbox.refused_line",
            &[
                ("what", t(lang, refused.action.write.what_key())),
                ("reason", t(lang, &refused.reason)),
            ],
        );
        if matches!(
            refused.action.write,
            crate::tui::outbox::Write::Message { .. }
        ) {
            text = format!("{text}: {}", t(lang, "outbox.text_in_draft"));
        }
        lines.push(Line::styled(text, theme.error));
    }
    let waiting: Vec<&str> = state
        .outbox
        .pending
        .iter()
        .filter(|q| q.id == r.id)
        .map(|q| t(lang, q.write.what_key()))
        .collect();
    if !waiting.is_empty() {
        lines.push(Line::styled(
            format!(
                "{}: {}",
                tf(lang, "outbox.pending", &[("n", &waiting.len().to_string())]),
                waiting.join(", ")
            ),
            theme.banner,
        ));
    }
}

/// "G. Bianchi sta rispondendo".
pub fn presence_text(lang: Lang, viewer: &Viewer) -> String {
    let key = match viewer.activity {
        PresenceActivity::Replying => "presence.replying",
        PresenceActivity::Viewing | PresenceActivity::Left => "presence.viewing",
    };
    tf(lang, key, &[("name", &short_name(&viewer.name))])
}

/// The list's subject cell: who else is on the request (if anyone), then the subject.
pub fn subject_cell(state: &State, r: &RequestSummary, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    if let Some(viewers) = state.presence.get(&r.id) {
        for v in viewers {
            let symbol = match v.activity {
                PresenceActivity::Replying => "✎",
                PresenceActivity::Viewing | PresenceActivity::Left => "◉",
            };
            spans.push(Span::styled(
                format!("{symbol} {} ", short_name(&v.name)),
                theme.presence,
            ));
        }
    }
    // Today's appointments list by time: the time leads.
    if *state.current_queue() == crate::tui::state::Queue::AppointmentsToday
        && let Some(at) = r.appointment
    {
        spans.push(Span::styled(
            format!("{} ", crate::domain::agenda::rome_hhmm(at)),
            theme.header,
        ));
    }
    let terms = crate::tui::filter::terms(&state.filter);
    spans.extend(crate::tui::filter::highlight(
        &inline(&r.subject, 80),
        &terms,
        ratatui::style::Style::default(),
        theme.fuzzy_match,
    ));
    Line::from(spans)
}

/// "Giovanna Bianchi" → "G. Bianchi"; sanitised, at most 24 columns.
pub fn short_name(full: &str) -> String {
    let clean = inline(full, 40);
    let mut words = clean.split_whitespace();
    let short = match (words.next(), words.clone().next()) {
        (Some(first), Some(_)) => {
            let rest: Vec<&str> = words.collect();
            let initial: String = first.chars().take(1).collect();
            format!("{initial}. {}", rest.join(" "))
        }
        (Some(only), None) => only.to_string(),
        _ => String::new(),
    };
    inline(&short, 24)
}

fn label(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{text}: "), theme.detail_label)
}

fn header(
    lines: &mut Vec<Line<'static>>,
    state: &State,
    r: &RequestSummary,
    width: usize,
    lang: Lang,
    theme: &Theme,
) {
    lines.push(Line::styled(
        format!(
            "{}  {}",
            r.id.as_str(),
            inline(&r.subject, width.saturating_sub(18).max(10))
        ),
        theme.header,
    ));
    let mut status = vec![
        label(t(lang, "detail.status"), theme),
        Span::raw(format!(
            "{} · {} · {}",
            t(lang, &format!("status.{}", r.status.code())),
            inline(&r.patronato, 20),
            t(lang, &format!("topic.{}", r.topic.code()))
        )),
    ];
    if let Some(assignee) = &r.assignee {
        status.push(Span::raw(format!(" · {}", inline(assignee, 20))));
    }
    lines.push(Line::from(status));
    let level = sla_of(r, state.now);
    lines.push(Line::from(vec![
        label(t(lang, "detail.due"), theme),
        Span::styled(
            format!("{} {}", sla_symbol(level), due_text(state, r)),
            sla_style(theme, level),
        ),
    ]));
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|t| inline(t, 20)).collect();
        lines.push(Line::from(vec![
            label(t(lang, "detail.tags"), theme),
            Span::styled(tags.join(", "), theme.tag),
        ]));
    }
}

fn citizen(
    lines: &mut Vec<Line<'static>>,
    r: &RequestSummary,
    dossier: Option<&Dossier>,
    lang: Lang,
    theme: &Theme,
) {
    let text = match dossier {
        Some(d) => format!(
            "{} {} {} · {} {} · {}",
            d.citizen.codice_fiscale.masked(),
            inline(&d.citizen.surname, 30),
            inline(&d.citizen.name, 30),
            t(lang, "detail.born"),
            d.citizen.birth_date.strftime("%d/%m/%Y"),
            inline(&d.citizen.residence, 30),
        ),
        None => format!(
            "{} {}",
            masked(&r.citizen),
            inline(r.citizen_name.as_deref().unwrap_or(""), 40)
        ),
    };
    lines.push(Line::from(vec![
        label(t(lang, "detail.citizen"), theme),
        Span::raw(text),
    ]));
}

fn mandate_style(state: MandateState, theme: &Theme) -> ratatui::style::Style {
    match state {
        MandateState::Active => theme.success,
        MandateState::NotYetValid => theme.warning,
        MandateState::Expired | MandateState::Revoked => theme.error,
    }
}

fn mandate(
    lines: &mut Vec<Line<'static>>,
    r: &RequestSummary,
    dossier: &Dossier,
    lang: Lang,
    theme: &Theme,
) {
    // The mandate of the patronato that filed the request first, then the others.
    let mut mandates: Vec<_> = dossier.mandates.iter().collect();
    mandates.sort_by_key(|m| (m.mandate.patronato != r.patronato, m.mandate.id));
    if mandates.is_empty() {
        lines.push(Line::from(vec![
            label(t(lang, "detail.mandate"), theme),
            Span::styled(t(lang, "mandate.none"), theme.error),
        ]));
    }
    for m in mandates.into_iter().take(3) {
        let until = m
            .mandate
            .valid_until
            .map(|d| d.strftime("%d/%m/%Y").to_string())
            .unwrap_or_else(|| "—".into());
        lines.push(Line::from(vec![
            label(t(lang, "detail.mandate"), theme),
            Span::raw(format!("{} ", inline(&m.mandate.patronato, 20))),
            Span::styled(
                t(lang, &format!("mandate.{}", mandate_code(m.state))).to_string(),
                mandate_style(m.state, theme),
            ),
            Span::styled(
                format!(" ({} → {until})", m.mandate.valid_from.strftime("%d/%m/%Y")),
                theme.muted,
            ),
        ]));
    }
}

fn mandate_code(state: MandateState) -> &'static str {
    match state {
        MandateState::Active => "active",
        MandateState::NotYetValid => "not_yet_valid",
        MandateState::Expired => "expired",
        MandateState::Revoked => "revoked",
    }
}

fn sla_code(state: SlaState) -> &'static str {
    match state {
        SlaState::Ok => "ok",
        SlaState::Warning => "warning",
        SlaState::Critical => "critical",
        SlaState::Breached => "breached",
        SlaState::Paused => "paused",
        SlaState::Met => "met",
        SlaState::Missed => "missed",
    }
}

/// Symbol and style of a clock state; the symbol carries the meaning without colour.
pub fn clock_mark(state: SlaState, theme: &Theme) -> (&'static str, ratatui::style::Style) {
    match state {
        SlaState::Ok => ("●", theme.sla_ok),
        SlaState::Warning => ("◐", theme.sla_warning),
        SlaState::Critical => ("▲", theme.sla_critical),
        SlaState::Breached => ("✖", theme.sla_breached),
        SlaState::Paused => ("‖", theme.sla_paused),
        SlaState::Met => ("✓", theme.sla_met),
        SlaState::Missed => ("✗", theme.sla_missed),
    }
}

/// `at` in Italian time: every time the workstation shows is Europe/Rome.
pub fn rome(at: jiff::Timestamp) -> jiff::Zoned {
    at.to_zoned(jiff::tz::TimeZone::get("Europe/Rome").unwrap_or(jiff::tz::TimeZone::UTC))
}

fn clocks(lines: &mut Vec<Line<'static>>, clocks: &[ClockView], lang: Lang, theme: &Theme) {
    if clocks.is_empty() {
        return;
    }
    lines.push(Line::styled(t(lang, "detail.clocks"), theme.header));
    for c in clocks {
        let (symbol, style) = clock_mark(c.state, theme);
        let remaining = match clock_remaining(c, lang) {
            Some(text) => text + " · ",
            None => String::new(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  {symbol} "), style),
            Span::raw(clock_label(c, lang)),
            Span::styled(clock_state(c, lang), style),
            Span::raw(format!("{remaining}{}%", c.percent_used)),
        ]));
        if let Some(why) = basis(c, lang) {
            lines.push(Line::styled(format!("      {why}"), theme.muted));
        }
    }
}

/// "restano 3h05 lav." or "scaduto da 2gg lav."; `None` once the clock has stopped.
/// Past due is said once ("scaduto da 2g 05h"), never "restano -2g" nor "superato scaduto da".
pub fn clock_remaining(c: &ClockView, lang: Lang) -> Option<String> {
    let overdue = c.remaining_secs < 0 || c.state == SlaState::Breached;
    match c.state {
        SlaState::Met | SlaState::Missed => None,
        _ if overdue => Some(tf(
            lang,
            "clock.overdue",
            &[(
                "time",
                &business_time(lang, -c.remaining_secs, c.basis.measure),
            )],
        )),
        _ => Some(tf(
            lang,
            "clock.remaining",
            &[(
                "time",
                &business_time(lang, c.remaining_secs, c.basis.measure),
            )],
        )),
    }
}

/// The clock's name padded to a column ("Prima risposta   ").
pub fn clock_label(c: &ClockView, lang: Lang) -> String {
    format!("{:<16} ", t(lang, &format!("clock.{}", c.kind.code())))
}

/// The state's word and a space, or nothing when breached: the remaining time then says
/// "scaduto da 2gg" already.
pub fn clock_state(c: &ClockView, lang: Lang) -> String {
    if c.state == SlaState::Breached {
        String::new()
    } else {
        format!("{} ", sla_word(c.state, lang))
    }
}

/// The state's word ("attenzione", "scaduto"…).
pub fn sla_word(state: SlaState, lang: Lang) -> &'static str {
    t(lang, &format!("sla.{}", sla_code(state)))
}

/// Why a due time is what it is: the calendars the clock ran on (a forward adds the receiving
/// office), its target in business days or hours, and a pause.
pub fn basis(c: &ClockView, lang: Lang) -> Option<String> {
    let b = &c.basis;
    if b.offices.is_empty() {
        return None;
    }
    let offices: Vec<String> = b.offices.iter().map(|o| inline(o, 12)).collect();
    let mut parts = vec![tf(
        lang,
        "clock.basis_calendar",
        &[("offices", &offices.join(" → "))],
    )];
    let target = match b.measure {
        Measure::Days { units } if units > 0 => crate::i18n::plural(
            lang,
            "clock.basis_days",
            usize::try_from(b.target / units).unwrap_or(0),
        ),
        _ => crate::i18n::plural(
            lang,
            "clock.basis_hours",
            usize::try_from(b.target / 3600).unwrap_or(0),
        ),
    };
    parts.push(target);
    if b.paused {
        parts.push(t(lang, "clock.basis_paused").to_string());
    }
    Some(parts.join(" · "))
}

fn applications(
    lines: &mut Vec<Line<'static>>,
    detail: &RequestDetail,
    dossier: &Dossier,
    lang: Lang,
    theme: &Theme,
) {
    if dossier.applications.is_empty() {
        return;
    }
    lines.push(Line::styled(t(lang, "detail.applications"), theme.header));
    for a in &dossier.applications {
        let linked = detail.application_protocol.as_deref() == Some(a.protocol.as_str());
        let mark = if linked { "→" } else { " " };
        lines.push(Line::from(format!(
            " {mark} {}  {} · {} · {}",
            inline(&a.protocol, 24),
            inline(&a.benefit, 40),
            inline(&a.state, 20),
            a.filed_on.strftime("%d/%m/%Y"),
        )));
    }
}

fn other_requests(
    lines: &mut Vec<Line<'static>>,
    state: &State,
    r: &RequestSummary,
    dossier: Option<&Dossier>,
    lang: Lang,
    theme: &Theme,
) {
    let others: Vec<&RequestSummary> = match dossier {
        Some(d) => d
            .requests
            .iter()
            .filter(|o| o.id != r.id && o.status.is_open())
            .take(OTHER_REQUESTS)
            .collect(),
        None => state.other_open_requests(r, OTHER_REQUESTS),
    };
    if others.is_empty() {
        return;
    }
    lines.push(Line::styled(t(lang, "detail.other_requests"), theme.header));
    for o in others {
        lines.push(Line::from(format!(
            "  {}  {} · {}",
            o.id.as_str(),
            t(lang, &format!("status.{}", o.status.code())),
            inline(&o.subject, 60)
        )));
    }
}

fn thread_style(kind: MessageKind, theme: &Theme) -> ratatui::style::Style {
    match kind {
        MessageKind::PatronatoMessage => theme.thread_inbound,
        MessageKind::Reply | MessageKind::IntegrationRequest => theme.thread_outbound,
        MessageKind::InternalNote => theme.thread_note,
    }
}

fn kind_code(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::PatronatoMessage => "patronato_message",
        MessageKind::Reply => "reply",
        MessageKind::InternalNote => "internal_note",
        MessageKind::IntegrationRequest => "integration_request",
    }
}

fn thread(lines: &mut Vec<Line<'static>>, detail: &RequestDetail, lang: Lang, theme: &Theme) {
    lines.push(Line::styled(t(lang, "detail.thread"), theme.header));
    for entry in &detail.thread {
        let style = thread_style(entry.kind, theme);
        lines.push(Line::styled(
            format!(
                "{} {} · {}",
                rome(entry.at).strftime("%d/%m %H:%M"),
                inline(&entry.author.name, 30),
                t(lang, &format!("message.{}", kind_code(entry.kind)))
            ),
            style,
        ));
        for l in block(&entry.body, THREAD_BODY_WIDTH) {
            lines.push(Line::from(format!("  {l}")));
        }
    }
}

fn history(lines: &mut Vec<Line<'static>>, detail: &RequestDetail, lang: Lang, theme: &Theme) {
    lines.push(Line::styled(t(lang, "detail.history"), theme.header));
    for h in &detail.history {
        let mut text = format!(
            "{} {} {} → {}",
            rome(h.at).strftime("%d/%m %H:%M"),
            inline(&h.actor.name, 24),
            t(lang, &format!("status.{}", h.from.code())),
            t(lang, &format!("status.{}", h.to.code()))
        );
        if let Some(d) = &h.detail {
            text.push_str(&format!(" · {}", inline(d, 40)));
        }
        lines.push(Line::from(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_initial_and_surname_and_sanitised() {
        assert_eq!(short_name("Giada Bianchi"), "G. Bianchi");
        assert_eq!(short_name("Anna Maria De Luca"), "A. Maria De Luca");
        assert_eq!(short_name("INCA"), "INCA");
        assert_eq!(short_name("Eve\u{1b}[2J Mallory"), "E. Mallory");
        assert_eq!(short_name(""), "");
    }

    #[test]
    fn business_time_in_business_days_or_hours_never_24_hour_days() {
        use crate::domain::calendar::Measure;
        let hours = Measure::Seconds;
        let days = Measure::Days { units: 10 * 3600 };
        assert_eq!(business_time(Lang::It, 3 * 3600 + 5 * 60, hours), "3h05");
        // 53 business hours are 53h, or 5,3 business days of a 10-hour office day.
        assert_eq!(business_time(Lang::It, -53 * 3600, hours), "-53h");
        assert_eq!(business_time(Lang::It, -53 * 3600, days), "-5,3gg");
        assert_eq!(business_time(Lang::En, -53 * 3600, days), "-5.3bd");
        assert_eq!(business_time(Lang::It, 127 * 3600, days), "13gg");
        // Under one business day, hours even on a clock counted in days.
        assert_eq!(business_time(Lang::En, -90 * 60, days), "-1h30");
    }

    #[test]
    fn presence_text_names_the_activity() {
        let viewer = Viewer {
            user: "g.bianchi".into(),
            name: "Giada Bianchi".into(),
            activity: PresenceActivity::Replying,
        };
        assert_eq!(
            presence_text(Lang::It, &viewer),
            "G. Bianchi sta rispondendo"
        );
        let viewing = Viewer {
            activity: PresenceActivity::Viewing,
            ..viewer
        };
        assert_eq!(presence_text(Lang::En, &viewing), "G. Bianchi is viewing");
    }
}

#[cfg(test)]
mod basis_tests {
    use super::*;
    use crate::api::ClockBasis;
    use crate::domain::sla::ClockKind;

    fn clock(basis: ClockBasis) -> ClockView {
        ClockView {
            kind: ClockKind::Resolution,
            state: SlaState::Paused,
            due_at: None,
            remaining_secs: 3_600,
            percent_used: 40,
            crossings: None,
            basis,
        }
    }

    #[test]
    fn the_detail_says_which_calendars_and_target_a_clock_counts_on() {
        let days = clock(ClockBasis {
            measure: Measure::Days { units: 36_000 },
            target: 7 * 36_000,
            offices: smallvec::smallvec!["RM01".into(), "MI01".into()],
            paused: true,
        });
        assert_eq!(
            basis(&days, Lang::It).as_deref(),
            Some(
                "calendario RM01 → MI01 · 7 giorni lavorativi · orologio fermo: in attesa di integrazione"
            )
        );
        let hours = clock(ClockBasis {
            measure: Measure::Seconds,
            target: 8 * 3_600,
            offices: smallvec::smallvec!["RM01".into()],
            paused: false,
        });
        assert_eq!(
            basis(&hours, Lang::En).as_deref(),
            Some("calendar RM01 · 8 business hours")
        );
        let one_day = clock(ClockBasis {
            measure: Measure::Days { units: 36_000 },
            target: 36_000,
            offices: smallvec::smallvec!["RM01".into()],
            paused: false,
        });
        assert_eq!(
            basis(&one_day, Lang::It).as_deref(),
            Some("calendario RM01 · 1 giorno lavorativo")
        );
        assert_eq!(basis(&clock(ClockBasis::default()), Lang::It), None);
    }
}
