//! SLA clocks in the service: the policy and office calendars a service runs with (the
//! embedded defaults, or `[sla]` and `[calendar]` from the configuration), and the conversions
//! between stored clocks and the countdowns the API returns.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use jiff::civil::Weekday;
use thiserror::Error;

use crate::api::{ClockBasis, ClockView};
use crate::config::{CalendarConfig, Config};
use crate::domain::calendar::{
    CalendarError, CalendarSet, CalendarSpec, Closure, FeastDate, PatronDay, WeeklyHours,
};
use crate::domain::registry;
use crate::domain::request::{Request, Status, Transition};
use crate::domain::sla::{
    self, Clock, ClockChange, Policy, PolicyError, SlaEvent, SlaInstant, SlaState,
};

/// Longest configured closure, in days (a guard against a mistyped year in `until`).
const MAX_CLOSURE_DAYS: i32 = 366;

/// Why the SLA setup cannot be built; the service refuses to start.
#[derive(Debug, Error)]
pub enum SlaSetupError {
    /// `file:line: reason`.
    #[error("invalid SLA policy: {0}")]
    Policy(#[from] PolicyError),
    #[error("{}: cannot read the SLA policy: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("field `{field}`: {reason}")]
    Calendar { field: String, reason: String },
    #[error("office calendars: {0}")]
    Calendars(#[from] CalendarError),
    #[error("embedded SLA defaults: {0}")]
    Embedded(String),
}

/// The SLA policy and the office calendars of one service.
pub struct Sla {
    policy: Policy,
    calendars: CalendarSet,
    /// `[agenda]`: the appointment slots that run on these calendars.
    agenda: crate::domain::agenda::AgendaSettings,
    /// `[calendar]` the calendars were built from, to build them for other years alike.
    calendar_config: CalendarConfig,
}

impl std::fmt::Debug for Sla {
    /// The calendars' precomputed tables are large; name the offices only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sla")
            .field("policy", &self.policy)
            .field("offices", &self.calendars.office_codes().count())
            .finish()
    }
}

impl Sla {
    pub fn new(policy: Policy, calendars: CalendarSet) -> Self {
        Self {
            policy,
            calendars,
            agenda: Default::default(),
            calendar_config: CalendarConfig::default(),
        }
    }

    /// The calendars of `year` with this service's `[calendar]` closures and hours: its own
    /// when they cover the year, else built alike (yearly reports on earlier years).
    pub fn calendars_for_year(
        &self,
        year: i16,
    ) -> Result<std::borrow::Cow<'_, CalendarSet>, SlaSetupError> {
        let covered = self.calendars.by_index(0).map(|c| c.years());
        // A year's report also follows its requests into the next year.
        if covered.is_some_and(|years| years.contains(&year) && years.contains(&(year + 1))) {
            return Ok(std::borrow::Cow::Borrowed(&self.calendars));
        }
        Ok(std::borrow::Cow::Owned(calendars_from_config_for(
            &self.calendar_config,
            CalendarSet::years_around(year),
        )?))
    }

    /// The agenda's slot rules from now on (checked: every office must be known).
    pub fn with_agenda(
        mut self,
        agenda: crate::domain::agenda::AgendaSettings,
    ) -> Result<Self, SlaSetupError> {
        agenda
            .validate(|code| self.calendars.get(code).is_ok())
            .map_err(|e| SlaSetupError::Calendar {
                field: e.field,
                reason: e.reason,
            })?;
        self.agenda = agenda;
        Ok(self)
    }

    /// Slot length, capacity, channels and contact details of each office's agenda.
    pub fn agenda(&self) -> &crate::domain::agenda::AgendaSettings {
        &self.agenda
    }

    /// The embedded policy on the registry calendars (built once per process).
    pub fn embedded() -> Result<Arc<Sla>, SlaSetupError> {
        static EMBEDDED: OnceLock<Result<Arc<Sla>, String>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                let policy = Policy::embedded().map_err(|e| e.to_string())?;
                let calendars = CalendarSet::from_registry(service_years(), |_, _| {})
                    .map_err(|e| e.to_string())?;
                Ok(Arc::new(Sla::new(policy, calendars)))
            })
            .clone()
            .map_err(SlaSetupError::Embedded)
    }

    /// The embedded policy and registry calendars with `agenda` as the slot rules.
    pub fn embedded_with_agenda(
        agenda: crate::domain::agenda::AgendaSettings,
    ) -> Result<Arc<Sla>, SlaSetupError> {
        let policy = Policy::embedded().map_err(|e| SlaSetupError::Embedded(e.to_string()))?;
        let calendars = CalendarSet::from_registry(service_years(), |_, _| {})?;
        Ok(Arc::new(Sla::new(policy, calendars).with_agenda(agenda)?))
    }

    /// The policy and calendars `config` asks for. `policy_file` (`--policy`) wins over
    /// `[sla] policy = "FILE"`, which wins over an inline `[sla]` table; with none of them the
    /// embedded policy applies. `[calendar]` closures and office hours adjust the registry
    /// calendars.
    pub fn from_config(
        config: &Config,
        policy_file: Option<&Path>,
    ) -> Result<Arc<Sla>, SlaSetupError> {
        let defaults = policy_file.is_none()
            && config.sla.policy.is_none()
            && config.sla.extra.is_empty()
            && config.calendar == CalendarConfig::default()
            && config.agenda == crate::domain::agenda::AgendaSettings::default();
        if defaults {
            return Sla::embedded();
        }
        let policy = policy_from_config(config, policy_file)?;
        let calendars = calendars_from_config(&config.calendar)?;
        let mut sla = Sla::new(policy, calendars).with_agenda(config.agenda.clone())?;
        sla.calendar_config = config.calendar.clone();
        Ok(Arc::new(sla))
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn calendars(&self) -> &CalendarSet {
        &self.calendars
    }

    /// The clocks of `request` after `event` at `at`, on the calendar of `request.office`: call
    /// it after the request's office has changed (see [`Sla::after_event_in`]).
    pub fn after_event(
        &self,
        clocks: &[Clock],
        request: &Request,
        event: SlaEvent,
        at: Timestamp,
    ) -> Vec<Clock> {
        self.after_event_in(clocks, request, event, at, &request.office)
    }

    /// The clocks of `request` after `event` at `at`, `office` being the office competent
    /// *after* the event: for a forward, the receiving office, so running clocks continue on its
    /// calendar and paused ones will resume on it. The clocks come back prepared (their figures
    /// precomputed on this service's calendars) for the fast read path.
    pub fn after_event_in(
        &self,
        clocks: &[Clock],
        request: &Request,
        event: SlaEvent,
        at: Timestamp,
        office: &str,
    ) -> Vec<Clock> {
        let change = ClockChange {
            event,
            at,
            office,
            topic: request.topic,
            priority: request.priority,
        };
        let mut clocks = sla::on_transition(clocks, &change, &self.policy);
        self.prepare(&mut clocks);
        clocks
    }

    /// Precomputes the figures of `clocks` on this service's calendars (clocks stored by another
    /// version or under other calendars are answered by the slow path until prepared again).
    pub fn prepare(&self, clocks: &mut [Clock]) {
        for clock in clocks {
            clock.prepared = sla::prepare(clock, &self.calendars);
        }
    }

    /// Clocks rebuilt from a request's filing and history (import, creation), each event on the
    /// calendar of the office competent after it. The history does not say where the request was
    /// filed: without forwards it is `request.office`; a first forward whose detail reads
    /// `FROM>TO` names it; otherwise callers that know it must use [`Sla::replay_from`] (a forward
    /// detail of only `TO` leaves `request.office` as the guess for the time before it).
    pub fn replay(&self, request: &Request) -> Vec<Clock> {
        let filed = filing_office(request).unwrap_or(&request.office);
        self.replay_from(request, filed)
    }

    /// Clocks rebuilt from a request's filing at `filed_office` and its history: a forward moves
    /// the clocks to the office named in its detail (`TO`, or `FROM>TO`).
    pub fn replay_from(&self, request: &Request, filed_office: &str) -> Vec<Clock> {
        let mut office = filed_office.to_string();
        let mut clocks =
            self.after_event_in(&[], request, SlaEvent::Filed, request.created_at, &office);
        for entry in &request.history {
            if entry.transition == Transition::Forward
                && let Some(to) = entry.detail.as_deref().and_then(forward_target)
            {
                office = to.to_string();
            }
            let event = SlaEvent::Transition {
                transition: entry.transition,
                from: entry.from,
                to: entry.to,
            };
            clocks = self.after_event_in(&clocks, request, event, entry.at, &office);
        }
        clocks
    }

    /// How each clock stands at `now`, for the API (the prepared path; the segment walk for
    /// clocks not prepared on these calendars).
    pub fn views(&self, clocks: &[Clock], now: Timestamp) -> Vec<ClockView> {
        self.views_at(clocks, &self.instant(now))
    }

    /// [`Sla::views`] for a batch sharing one instant (lists, exports). A clock no calendar can
    /// count (an unknown office, an instant outside the calendars' years) is left out.
    pub fn views_at(&self, clocks: &[Clock], at: &SlaInstant<'_>) -> Vec<ClockView> {
        // An exact-size map lets each view (over 200 bytes) be written straight into the
        // vector: building it aside and copying it in cost more than evaluating the clock. A
        // clock that cannot be evaluated leaves a placeholder, removed afterwards.
        let mut unevaluated = smallvec::SmallVec::<[usize; 2]>::new();
        let mut views: Vec<ClockView> = clocks
            .iter()
            .enumerate()
            .map(|(index, clock)| {
                sla::standing_at_with(clock, at, |countdown, crossings| {
                    view(clock, countdown, crossings)
                })
                .unwrap_or_else(|_| {
                    unevaluated.push(index);
                    view(clock, &UNEVALUATED, None)
                })
            })
            .collect();
        if !unevaluated.is_empty() {
            let mut index = 0;
            views.retain(|_| {
                let keep = !unevaluated.contains(&index);
                index += 1;
                keep
            });
        }
        views
    }

    /// A batch instant on this service's calendars.
    pub fn instant(&self, now: Timestamp) -> SlaInstant<'_> {
        SlaInstant::new(&self.calendars, now)
    }

    /// `(at_risk, breached)` of an open request, as [`risk`] over [`Sla::views`] but without
    /// building views (queue counts over many requests).
    pub fn risk_at(&self, status: Status, clocks: &[Clock], at: &SlaInstant<'_>) -> (bool, bool) {
        if !status.is_open() {
            return (false, false);
        }
        let mut at_risk = false;
        for clock in clocks {
            match sla::state_at(clock, at) {
                // Breached outranks at risk: no need to look further.
                Ok(SlaState::Breached) => return (false, true),
                Ok(SlaState::Warning | SlaState::Critical) => at_risk = true,
                _ => {}
            }
        }
        (at_risk, false)
    }
}

/// Stands in for a clock that could not be evaluated until it is removed from its batch.
const UNEVALUATED: sla::Countdown = sla::Countdown {
    state: SlaState::Ok,
    due_at: None,
    remaining_secs: 0,
    elapsed_secs: 0,
    percent_used: 0,
};

#[inline(always)]
fn view(
    clock: &Clock,
    countdown: &sla::Countdown,
    crossings: Option<&sla::Crossings>,
) -> ClockView {
    let offices = offices_of(clock);
    ClockView {
        kind: clock.kind,
        state: countdown.state,
        due_at: countdown.due_at,
        remaining_secs: countdown.remaining_secs,
        percent_used: countdown.percent_used,
        crossings: crossings.copied(),
        basis: ClockBasis {
            measure: clock.measure,
            target: clock.target_secs,
            offices,
            paused: clock.is_paused(),
        },
    }
}

/// The offices whose calendars `clock` ran on, in order, without repeats.
#[inline(always)]
fn offices_of(clock: &Clock) -> smallvec::SmallVec<[sla::OfficeCode; 2]> {
    // Most clocks never left the office they started in, and their prepared figures say so.
    if clock.never_left_office() {
        return smallvec::smallvec![clock.office.clone()];
    }
    let mut offices = smallvec::SmallVec::new();
    for office in clock
        .segments
        .iter()
        .map(|s| &s.office)
        .chain([&clock.office])
    {
        if offices.last() != Some(office) {
            offices.push(office.clone());
        }
    }
    offices
}

/// The receiving office of a forward's history detail: `TO`, or `FROM>TO`.
fn forward_target(detail: &str) -> Option<&str> {
    let to = detail.rsplit('>').next()?.trim();
    (!to.is_empty()).then_some(to)
}

/// The office a request was filed at, when its first forward records where it left from.
fn filing_office(request: &Request) -> Option<&str> {
    let first = request
        .history
        .iter()
        .find(|e| e.transition == Transition::Forward)?;
    let (from, _) = first.detail.as_deref()?.split_once('>')?;
    let from = from.trim();
    (!from.is_empty()).then_some(from)
}

/// Years the service precomputes calendars for: around the current year.
fn service_years() -> std::ops::RangeInclusive<i16> {
    CalendarSet::years_around(jiff::Zoned::now().year())
}

fn read_policy(file: &Path) -> Result<Policy, SlaSetupError> {
    let text = std::fs::read_to_string(file).map_err(|source| SlaSetupError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    Ok(Policy::from_toml(&text, &file.display().to_string())?)
}

fn policy_from_config(
    config: &Config,
    policy_file: Option<&Path>,
) -> Result<Policy, SlaSetupError> {
    if let Some(file) = policy_file {
        return read_policy(file);
    }
    if let Some(file) = &config.sla.policy {
        // Relative to the config file's dir, like every other path in it.
        let dir = config.file.as_ref().and_then(|f| f.parent());
        let file = match dir {
            Some(dir) if file.is_relative() => dir.join(file),
            _ => file.clone(),
        };
        return read_policy(&file);
    }
    if config.sla.extra.is_empty() {
        return Ok(Policy::embedded()?);
    }
    match (&config.file, &config.profile) {
        // The [sla] table as written, so errors carry the config file's line numbers.
        (Some(file), None) => read_policy(file),
        // A profile may have changed [sla]: validate the merged table.
        _ => {
            let mut root = toml::Table::new();
            root.insert("sla".into(), toml::Value::Table(config.sla.extra.clone()));
            let name = match (&config.file, &config.profile) {
                (Some(file), Some(profile)) => {
                    format!("{} (profile {profile})", file.display())
                }
                _ => "<configuration>".to_string(),
            };
            Ok(Policy::from_toml(&root.to_string(), &name)?)
        }
    }
}

fn calendar_error(field: &str, reason: impl Into<String>) -> SlaSetupError {
    SlaSetupError::Calendar {
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn check_office(field: &str, office: &Option<String>) -> Result<(), SlaSetupError> {
    match office {
        Some(code) if registry::office(code).is_none() => {
            Err(calendar_error(field, format!("unknown office '{code}'")))
        }
        _ => Ok(()),
    }
}

/// Weekly hours from `[[calendar.office_hours]]` entries (all for the same office, or all
/// defaults): the listed weekdays open at the listed times, every other weekday is closed.
fn weekly_hours<'a>(
    entries: impl Iterator<Item = &'a crate::config::OfficeHours>,
) -> Result<WeeklyHours, SlaSetupError> {
    let mut by_day: HashMap<Weekday, Vec<String>> = HashMap::new();
    for entry in entries {
        for day in &entry.days {
            by_day
                .entry(*day)
                .or_default()
                .push(format!("{}-{}", entry.open, entry.close));
        }
    }
    let mut hours = WeeklyHours::closed();
    for (day, intervals) in by_day {
        hours
            .set_day(day, &intervals.join(","))
            .map_err(|e| calendar_error("calendar.office_hours", e.to_string()))?;
    }
    Ok(hours)
}

/// The registry calendars with the configured office hours, closures and patron days, over the
/// years a running service covers.
pub fn calendars_from_config(calendar: &CalendarConfig) -> Result<CalendarSet, SlaSetupError> {
    calendars_from_config_for(calendar, service_years())
}

/// [`calendars_from_config`] over `years` (the `calendar` command asks about any year).
pub fn calendars_from_config_for(
    calendar: &CalendarConfig,
    years: std::ops::RangeInclusive<i16>,
) -> Result<CalendarSet, SlaSetupError> {
    for entry in &calendar.office_hours {
        check_office("calendar.office_hours.office", &entry.office)?;
    }
    let defaults: Vec<_> = calendar
        .office_hours
        .iter()
        .filter(|h| h.office.is_none())
        .collect();
    let default_hours = if defaults.is_empty() {
        WeeklyHours::default()
    } else {
        weekly_hours(defaults.into_iter())?
    };
    let mut office_hours: HashMap<&str, WeeklyHours> = HashMap::new();
    for code in calendar
        .office_hours
        .iter()
        .filter_map(|h| h.office.as_deref())
    {
        if !office_hours.contains_key(code) {
            let entries = calendar
                .office_hours
                .iter()
                .filter(|h| h.office.as_deref() == Some(code));
            office_hours.insert(code, weekly_hours(entries)?);
        }
    }
    let mut closures: Vec<(Option<&str>, Closure)> = Vec::new();
    for closure in &calendar.closures {
        check_office("calendar.closures.office", &closure.office)?;
        let until = closure.until.unwrap_or(closure.date);
        let days = (until - closure.date).get_days();
        if !(0..MAX_CLOSURE_DAYS).contains(&days) {
            return Err(calendar_error(
                "calendar.closures.until",
                format!("a closure lasts 1 to {MAX_CLOSURE_DAYS} days"),
            ));
        }
        let reason = if closure.reason.trim().is_empty() {
            "straordinaria".to_string()
        } else {
            closure.reason.clone()
        };
        for day in closure
            .date
            .series(jiff::ToSpan::days(1))
            .take(days as usize + 1)
        {
            closures.push((
                closure.office.as_deref(),
                Closure {
                    date: day,
                    reason: reason.clone(),
                },
            ));
        }
    }
    let mut patrons: HashMap<String, (Option<PatronDay>, Option<bool>)> = HashMap::new();
    for entry in &calendar.patron {
        let field = "calendar.patron.office";
        check_office(field, &Some(entry.office.clone()))?;
        let code = registry::office(&entry.office)
            .map(|o| o.code.to_string())
            .unwrap_or_else(|| entry.office.clone());
        if patrons
            .insert(code, (patron_day(entry)?, entry.substitute))
            .is_some()
        {
            return Err(calendar_error(
                field,
                format!(
                    "office '{}' has two [[calendar.patron]] entries",
                    entry.office
                ),
            ));
        }
    }
    CalendarSet::from_registry(years, |code, spec: &mut CalendarSpec| {
        spec.hours = office_hours
            .get(code)
            .cloned()
            .unwrap_or_else(|| default_hours.clone());
        spec.patron_substitute = calendar.patron_substitute;
        if let Some((patron, substitute)) = patrons.get(code) {
            spec.patron = patron.clone();
            spec.patron_substitute = substitute.unwrap_or(calendar.patron_substitute);
        }
        spec.closures.extend(
            closures
                .iter()
                .filter(|(office, _)| office.is_none_or(|o| o == code))
                .map(|(_, closure)| closure.clone()),
        );
    })
    .map_err(SlaSetupError::from)
}

/// The patron day a `[[calendar.patron]]` entry describes (`None`: the office has none).
fn patron_day(entry: &crate::config::PatronOverride) -> Result<Option<PatronDay>, SlaSetupError> {
    let given = [
        entry.date.is_some(),
        entry.easter_offset.is_some(),
        entry.month.is_some() || entry.nth.is_some() || entry.weekday.is_some(),
        entry.none,
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(calendar_error(
            "calendar.patron",
            format!(
                "office '{}': give exactly one of date, easter_offset, month+nth+weekday, none",
                entry.office
            ),
        ));
    }
    if entry.none {
        return Ok(None);
    }
    let saint = if entry.saint.trim().is_empty() {
        "Santo patrono".to_string()
    } else {
        entry.saint.trim().to_string()
    };
    let date = if let Some(text) = &entry.date {
        let bad = || calendar_error("calendar.patron.date", format!("'{text}' is not MM-DD"));
        let (m, d) = text.trim().split_once('-').ok_or_else(bad)?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        let day: i8 = d.parse().map_err(|_| bad())?;
        // 2024 is a leap year: 29 February is a valid (if rare) feast.
        jiff::civil::Date::new(2024, month, day).map_err(|_| bad())?;
        FeastDate::Fixed { month, day }
    } else if let Some(days) = entry.easter_offset {
        if !(-100..=100).contains(&days) {
            return Err(calendar_error(
                "calendar.patron.easter_offset",
                "between -100 and 100 days",
            ));
        }
        FeastDate::EasterOffset { days }
    } else {
        match (entry.month, entry.nth, entry.weekday) {
            (Some(month @ 1..=12), Some(nth @ 1..=5), Some(weekday)) => FeastDate::NthWeekday {
                month,
                nth,
                weekday,
            },
            _ => {
                return Err(calendar_error(
                    "calendar.patron",
                    "month (1-12), nth (1-5) and weekday go together",
                ));
            }
        }
    };
    Ok(Some(PatronDay { date, saint }))
}

/// Whether an open request has a clock at warning/critical (`at_risk`) or past target.
pub fn risk(status: Status, clocks: &[ClockView]) -> (bool, bool) {
    if !status.is_open() {
        return (false, false);
    }
    let breached = clocks.iter().any(|c| c.state == SlaState::Breached);
    let at_risk = !breached
        && clocks
            .iter()
            .any(|c| matches!(c.state, SlaState::Warning | SlaState::Critical));
    (at_risk, breached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::{Priority, Topic};
    use crate::domain::sla::{ClockChange, SlaEvent, on_transition};

    /// A list page's batch gives each clock the view its detail gives, and leaves out, as the
    /// detail does, a clock no calendar can count (here: an office the service does not know).
    #[test]
    fn a_batch_reads_as_each_clock_alone_and_skips_what_cannot_be_counted() -> color_eyre::Result<()>
    {
        let sla = Sla::embedded()?;
        let filed: Timestamp = "2026-11-20T09:00:00Z".parse()?;
        let now: Timestamp = "2026-11-23T10:30:00Z".parse()?;
        let filed_at = |office: &str| {
            let change = ClockChange {
                event: SlaEvent::Filed,
                at: filed,
                office,
                topic: Topic::ALL[0],
                priority: Priority::ALL[0],
            };
            let mut clocks = on_transition(&[], &change, sla.policy());
            sla.prepare(&mut clocks);
            clocks
        };
        let known = filed_at("RM01");
        let unknown = filed_at("ZZ99");
        assert!(!known.is_empty() && !unknown.is_empty());
        let mixed: Vec<Clock> = known
            .iter()
            .chain(&unknown)
            .chain(&known)
            .cloned()
            .collect();
        let alone: Vec<ClockView> = known
            .iter()
            .chain(&known)
            .flat_map(|clock| sla.views(std::slice::from_ref(clock), now))
            .collect();
        assert_eq!(alone.len(), 2 * known.len());
        assert_eq!(sla.views_at(&mixed, &sla.instant(now)), alone);
        assert_eq!(
            sla.views_at(&known, &sla.instant(now)),
            &alone[..known.len()]
        );
        assert_eq!(sla.views(&mixed, now), alone);
        Ok(())
    }
}
