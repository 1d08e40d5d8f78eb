//! Business calendars of INPS offices (issue 3): Europe/Rome, DST-correct, with national holidays,
//! the patron saint of the office's comune and ad-hoc closures.
//!
//! Each calendar precomputes, over a range of years, the sorted list of its business intervals in
//! UTC with running totals, plus a per-UTC-day index into that list, so that
//! [`BusinessCalendar::business_seconds`] and [`BusinessCalendar::add_business_seconds`] cost O(1)
//! and O(log n) respectively.

mod holidays;
mod hours;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::RangeInclusive;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday, date};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::registry;

pub use holidays::{NationalHoliday, easter_sunday, national_holidays};
pub use hours::{DayInterval, HoursError, WeeklyHours};

/// Years any calendar can be asked about.
pub const SUPPORTED_YEARS: RangeInclusive<i16> = 1990..=2100;

const SECONDS_PER_DAY: i64 = 86_400;

/// When a local feast falls in a year: a fixed date, or a movable one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeastDate {
    /// The same day every year (Rome 29 June).
    Fixed { month: i8, day: i8 },
    /// Days after Easter Sunday (Whit Monday, Bolzano: 50).
    EasterOffset { days: i16 },
    /// The `nth` (1–5) `weekday` of `month` (Asti, San Secondo: first Tuesday of May).
    NthWeekday {
        month: i8,
        nth: i8,
        weekday: Weekday,
    },
}

impl FeastDate {
    /// The feast's date in `year`; `None` if the rule names no day that year (29 February, a
    /// fifth weekday that does not exist).
    pub fn in_year(self, year: i16) -> Option<Date> {
        match self {
            FeastDate::Fixed { month, day } => Date::new(year, month, day).ok(),
            FeastDate::EasterOffset { days } => easter_sunday(year)
                .checked_add(jiff::Span::new().days(days))
                .ok(),
            FeastDate::NthWeekday {
                month,
                nth,
                weekday,
            } => {
                let first = Date::new(year, month, 1).ok()?;
                let day = first.nth_weekday_of_month(nth, weekday).ok()?;
                (day.month() == month).then_some(day)
            }
        }
    }
}

/// The patron-saint day of a comune.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PatronDay {
    pub date: FeastDate,
    pub saint: String,
}

impl PatronDay {
    pub fn fixed(month: i8, day: i8, saint: &str) -> Self {
        PatronDay {
            date: FeastDate::Fixed { month, day },
            saint: saint.to_string(),
        }
    }
}

/// An ad-hoc closure of one office on one day.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Closure {
    pub date: Date,
    pub reason: String,
}

/// Why an office is closed on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosingReason {
    National {
        holiday: NationalHoliday,
    },
    PatronSaint {
        saint: String,
    },
    /// The patron day fell on a national holiday and the office's agreement gives this day instead.
    PatronSubstitute {
        saint: String,
        feast: Date,
    },
    Closure {
        reason: String,
    },
}

impl fmt::Display for ClosingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::National { holiday } => f.write_str(holiday.name_it()),
            Self::PatronSaint { saint } => write!(f, "Santo patrono: {saint}"),
            Self::PatronSubstitute { saint, feast } => {
                write!(f, "Santo patrono (giorno sostitutivo del {feast}): {saint}")
            }
            Self::Closure { reason } => write!(f, "Chiusura: {reason}"),
        }
    }
}

/// One closed day with every reason that applies to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingDay {
    pub date: Date,
    pub reasons: Vec<ClosingReason>,
}

impl ClosingDay {
    /// Reasons joined for one-line output.
    pub fn reasons_text(&self) -> String {
        self.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    #[error("year {0} is outside the supported range 1990–2100")]
    YearOutOfRange(i16),
    #[error("instant {0} is outside the years this calendar was built for")]
    InstantOutOfRange(Timestamp),
    #[error("unknown office '{0}'")]
    UnknownOffice(String),
    #[error("time zone Europe/Rome is not available: {0}")]
    TimeZone(String),
}

/// What an office calendar is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CalendarSpec {
    pub hours: WeeklyHours,
    pub patron: Option<PatronDay>,
    /// When the patron day falls on a national holiday, close on the next working day instead
    /// (some collective agreements give one; off by default).
    pub patron_substitute: bool,
    pub closures: Vec<Closure>,
}

impl CalendarSpec {
    /// Standard hours and the patron day of `comune` from the registry: its fixed feast, or its
    /// movable one (Bolzano's Whit Monday, Asti's first Tuesday of May).
    pub fn for_comune(comune: &str) -> CalendarSpec {
        let fixed = registry::comune_by_name(comune)
            .and_then(|c| c.patron_saint)
            .map(|p| PatronDay::fixed(p.month, p.day, p.saint));
        let movable = || {
            registry::movable_feast(comune).map(|f| PatronDay {
                date: f.date,
                saint: f.saint.to_string(),
            })
        };
        CalendarSpec {
            patron: fixed.or_else(movable),
            ..CalendarSpec::default()
        }
    }

    /// Every reason the office is closed on each date of `year`, whether or not it is a working day.
    pub fn holidays(&self, year: i16) -> BTreeMap<Date, Vec<ClosingReason>> {
        let mut days: BTreeMap<Date, Vec<ClosingReason>> = BTreeMap::new();
        for (day, holiday) in national_holidays(year) {
            days.entry(day)
                .or_default()
                .push(ClosingReason::National { holiday });
        }
        let national: Vec<Date> = days.keys().copied().collect();
        for closure in self.closures.iter().filter(|c| c.date.year() == year) {
            days.entry(closure.date)
                .or_default()
                .push(ClosingReason::Closure {
                    reason: closure.reason.clone(),
                });
        }
        let Some(patron) = &self.patron else {
            return days;
        };
        // The feast of the previous year may substitute into this one (31 December → 2 January).
        for feast_year in [year - 1, year] {
            let Some(feast) = patron.date.in_year(feast_year) else {
                continue;
            };
            let falls_on_national = national_holidays(feast_year)
                .iter()
                .any(|(d, _)| *d == feast);
            if feast_year == year {
                days.entry(feast)
                    .or_default()
                    .push(ClosingReason::PatronSaint {
                        saint: patron.saint.clone(),
                    });
            }
            if !(self.patron_substitute && falls_on_national) {
                continue;
            }
            if let Some(substitute) = self.substitute_for(feast, &national)
                && substitute.year() == year
            {
                days.entry(substitute)
                    .or_default()
                    .push(ClosingReason::PatronSubstitute {
                        saint: patron.saint.clone(),
                        feast,
                    });
            }
        }
        days
    }

    /// The first day after `feast` that the weekly hours open and no holiday or closure takes.
    fn substitute_for(&self, feast: Date, national_this_year: &[Date]) -> Option<Date> {
        let mut day = feast;
        // A fortnight is far more than any run of holidays; the bound keeps a closed-all-week
        // calendar from looping.
        for _ in 0..14 {
            day = day.tomorrow().ok()?;
            let national = national_this_year.contains(&day)
                || national_holidays(day.year()).iter().any(|(d, _)| *d == day);
            let closed = self.closures.iter().any(|c| c.date == day);
            if self.hours.is_working_day(day.weekday()) && !national && !closed {
                return Some(day);
            }
        }
        None
    }
}

/// A business interval in UTC seconds, with the business seconds of all earlier intervals and
/// where it lies within its business day (for targets counted in business days).
#[derive(Debug, Clone, Copy)]
struct Interval {
    start: i64,
    end: i64,
    before: i64,
    /// Ordinal of its business day (0 = the first business day of the coverage).
    day: i64,
    /// Business seconds of the same day before this interval.
    day_offset: i64,
    /// Business seconds of the whole day.
    day_len: i64,
}

/// How a clock measures business time on a calendar.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Business seconds: targets in hours.
    #[default]
    Seconds,
    /// Business days, each worth `units` however long the office is open that day: targets in
    /// days, due at the same position of the day N business days later. A second of a day open
    /// `L` seconds is worth `units / L`; on a day as long as `units` seconds they are seconds.
    Days { units: i64 },
}

/// Where an instant lies on a calendar: enough to express it in any [`Measure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Business seconds since coverage began.
    secs: i64,
    /// Business days completed before the current (or next) business day.
    day: i64,
    /// Business seconds of that day already elapsed, and its length.
    day_pos: i64,
    day_len: i64,
}

impl Position {
    /// The running total in `measure`.
    #[inline]
    pub fn total(self, measure: Measure) -> i64 {
        match measure {
            Measure::Seconds => self.secs,
            Measure::Days { units } => {
                // Integer floor keeps totals exact; `day_pos <= day_len` so a full day is `units`.
                self.day * units + (self.day_pos * units).div_euclid(self.day_len.max(1))
            }
        }
    }
}

/// The business calendar of one office over a range of years.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    spec: CalendarSpec,
    years: RangeInclusive<i16>,
    /// UTC second where coverage begins (local midnight of 1 January of the first year).
    origin: i64,
    /// UTC second where coverage ends.
    horizon: i64,
    intervals: Vec<Interval>,
    /// For each UTC day since `origin`, the first interval that ends after that day starts.
    day_index: Vec<u32>,
    /// For each business day (by ordinal), its first interval.
    day_first: Vec<u32>,
}

fn rome() -> Result<TimeZone, CalendarError> {
    TimeZone::get("Europe/Rome").map_err(|e| CalendarError::TimeZone(e.to_string()))
}

/// Local midnight in Europe/Rome of the day holding `at`: where "today" starts for every
/// figure of the service and the workstation ("closed today" means since then).
pub fn rome_day_start(at: Timestamp) -> Timestamp {
    let tz = TimeZone::get("Europe/Rome").unwrap_or(TimeZone::UTC);
    at.to_zoned(tz)
        .start_of_day()
        .map(|z| z.timestamp())
        .unwrap_or(at)
}

fn local_instant(tz: &TimeZone, day: Date, minute: u16) -> Result<i64, CalendarError> {
    let (day, minute) = if minute >= 24 * 60 {
        (
            day.tomorrow()
                .map_err(|e| CalendarError::TimeZone(e.to_string()))?,
            minute - 24 * 60,
        )
    } else {
        (day, minute)
    };
    let civil: DateTime = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    // Office hours never start inside the spring-forward gap in practice; if they do, jiff's
    // "compatible" rule moves the instant forward by the gap, as a wall clock would.
    let zoned = civil
        .to_zoned(tz.clone())
        .map_err(|e| CalendarError::TimeZone(e.to_string()))?;
    Ok(zoned.timestamp().as_second())
}

impl BusinessCalendar {
    /// Builds the tables for `years` (must lie within [`SUPPORTED_YEARS`]).
    pub fn new(spec: CalendarSpec, years: RangeInclusive<i16>) -> Result<Self, CalendarError> {
        for year in [*years.start(), *years.end()] {
            if !SUPPORTED_YEARS.contains(&year) {
                return Err(CalendarError::YearOutOfRange(year));
            }
        }
        let tz = rome()?;
        let origin = local_instant(&tz, date(*years.start(), 1, 1), 0)?;
        let horizon = local_instant(&tz, date(*years.end(), 12, 31), 24 * 60)?;
        let mut intervals: Vec<Interval> = Vec::new();
        let mut day_first: Vec<u32> = Vec::new();
        let mut total = 0i64;
        for year in years.clone() {
            let closed = spec.holidays(year);
            let mut day = date(year, 1, 1);
            while day.year() == year {
                if !closed.contains_key(&day) {
                    let first = intervals.len();
                    let ordinal = day_first.len() as i64;
                    let mut day_offset = 0i64;
                    for slot in spec.hours.intervals(day.weekday()) {
                        let start = local_instant(&tz, day, slot.start_minute)?;
                        let end = local_instant(&tz, day, slot.end_minute)?;
                        if end <= start {
                            continue;
                        }
                        match intervals.last_mut() {
                            // Contiguous slots of one day merge; days never merge, so each
                            // interval knows its business day (a 24/7 desk has one per day).
                            Some(last) if last.end == start && last.day == ordinal => {
                                last.end = end
                            }
                            _ => intervals.push(Interval {
                                start,
                                end,
                                before: total,
                                day: ordinal,
                                day_offset,
                                day_len: 0,
                            }),
                        }
                        total += end - start;
                        day_offset += end - start;
                    }
                    if intervals.len() > first {
                        for iv in &mut intervals[first..] {
                            iv.day_len = day_offset;
                        }
                        day_first.push(first as u32);
                    }
                }
                day = match day.tomorrow() {
                    Ok(next) => next,
                    Err(_) => break,
                };
            }
        }
        let day_count = ((horizon - origin) / SECONDS_PER_DAY + 1) as usize;
        let mut day_index = Vec::with_capacity(day_count);
        let mut cursor = 0usize;
        for d in 0..day_count {
            let day_start = origin + d as i64 * SECONDS_PER_DAY;
            while cursor < intervals.len() && intervals[cursor].end <= day_start {
                cursor += 1;
            }
            day_index.push(cursor as u32);
        }
        Ok(Self {
            spec,
            years,
            origin,
            horizon,
            intervals,
            day_index,
            day_first,
        })
    }

    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    pub fn years(&self) -> RangeInclusive<i16> {
        self.years.clone()
    }

    /// Business seconds from the start of coverage to `at` (the calendar's running total).
    pub(crate) fn elapsed(&self, at: Timestamp) -> Result<i64, CalendarError> {
        Ok(self.position(at)?.secs)
    }

    /// Whether `at` lies within the years this calendar covers ([`BusinessCalendar::position`]
    /// answers for it).
    pub fn covers(&self, at: Timestamp) -> bool {
        (self.origin..=self.horizon).contains(&at.as_second())
    }

    /// The first instant after the years this calendar covers.
    pub fn coverage_end(&self) -> Timestamp {
        Timestamp::from_second(self.horizon.saturating_add(1)).unwrap_or(Timestamp::MAX)
    }

    /// Where `at` lies on this calendar.
    pub fn position(&self, at: Timestamp) -> Result<Position, CalendarError> {
        let t = at.as_second();
        if t < self.origin || t > self.horizon {
            return Err(CalendarError::InstantOutOfRange(at));
        }
        let mut i = self.day_index[((t - self.origin) / SECONDS_PER_DAY) as usize] as usize;
        while i < self.intervals.len() && self.intervals[i].end <= t {
            i += 1;
        }
        Ok(match self.intervals.get(i) {
            Some(iv) => {
                let into = (t - iv.start).max(0);
                Position {
                    secs: iv.before + into,
                    day: iv.day,
                    day_pos: iv.day_offset + into,
                    day_len: iv.day_len,
                }
            }
            None => Position {
                secs: self
                    .intervals
                    .last()
                    .map_or(0, |iv| iv.before + iv.end - iv.start),
                day: self.day_first.len() as i64,
                day_pos: 0,
                day_len: 1,
            },
        })
    }

    /// The running total in `measure` at `at`.
    pub fn total(&self, at: Timestamp, measure: Measure) -> Result<i64, CalendarError> {
        Ok(self.position(at)?.total(measure))
    }

    /// Business time in `measure` between two instants (negative if `to` precedes `from`).
    pub fn measure_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        measure: Measure,
    ) -> Result<i64, CalendarError> {
        Ok(self.total(to, measure)? - self.total(from, measure)?)
    }

    /// The first instant at which the running total in `measure` reaches `target` (`None` if
    /// `target <= 0` or beyond coverage).
    pub fn instant_at_total(&self, target: i64, measure: Measure) -> Option<Timestamp> {
        let units = match measure {
            Measure::Seconds => return self.instant_at(target),
            Measure::Days { units } if units > 0 => units,
            Measure::Days { .. } => return None,
        };
        if target <= 0 {
            return None;
        }
        let day = (target - 1) / units;
        let wanted = target - day * units;
        let first = *self.day_first.get(usize::try_from(day).ok()?)? as usize;
        let len = self.intervals.get(first)?.day_len;
        // The least position p with floor(p * units / len) >= wanted.
        let p = (wanted * len + units - 1) / units;
        let iv = self.intervals[first..]
            .iter()
            .take_while(|iv| iv.day == day)
            .find(|iv| p <= iv.day_offset + (iv.end - iv.start))?;
        Timestamp::from_second(iv.start + (p - iv.day_offset)).ok()
    }

    /// Business seconds between two instants (negative if `to` precedes `from`).
    pub fn business_seconds(&self, from: Timestamp, to: Timestamp) -> Result<i64, CalendarError> {
        Ok(self.elapsed(to)? - self.elapsed(from)?)
    }

    /// The instant at which `secs` business seconds have elapsed since `start` (`secs` may be
    /// negative: the instant that many business seconds earlier).
    pub fn add_business_seconds(
        &self,
        start: Timestamp,
        secs: i64,
    ) -> Result<Timestamp, CalendarError> {
        let base = self.elapsed(start)?;
        if secs == 0 {
            return Ok(start);
        }
        self.instant_at(base + secs)
            .ok_or(CalendarError::InstantOutOfRange(start))
    }

    /// The instant where the running business total reaches `target` (the end of a business
    /// second, so a deadline that uses up an interval exactly falls at its closing time).
    pub(crate) fn instant_at(&self, target: i64) -> Option<Timestamp> {
        if target <= 0 {
            return None;
        }
        let i = self
            .intervals
            .partition_point(|iv| iv.before + (iv.end - iv.start) < target);
        let iv = self.intervals.get(i)?;
        Timestamp::from_second(iv.start + (target - iv.before)).ok()
    }

    /// `at` if the office is open then, otherwise the start of its next business interval
    /// (an out-of-hours arrival starts counting at the next business minute).
    pub fn next_business_instant(&self, at: Timestamp) -> Result<Timestamp, CalendarError> {
        let t = at.as_second();
        if t < self.origin || t > self.horizon {
            return Err(CalendarError::InstantOutOfRange(at));
        }
        let mut i = self.day_index[((t - self.origin) / SECONDS_PER_DAY) as usize] as usize;
        while i < self.intervals.len() && self.intervals[i].end <= t {
            i += 1;
        }
        let iv = self
            .intervals
            .get(i)
            .ok_or(CalendarError::InstantOutOfRange(at))?;
        Timestamp::from_second(t.max(iv.start)).map_err(|_| CalendarError::InstantOutOfRange(at))
    }

    /// Whether the office is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> Result<bool, CalendarError> {
        Ok(self.next_business_instant(at)? == at)
    }

    /// Days of `year` that the weekly hours make working days but on which the office is closed.
    pub fn closing_days(&self, year: i16) -> Result<Vec<ClosingDay>, CalendarError> {
        if !SUPPORTED_YEARS.contains(&year) {
            return Err(CalendarError::YearOutOfRange(year));
        }
        Ok(self
            .spec
            .holidays(year)
            .into_iter()
            .filter(|(day, _)| self.spec.hours.is_working_day(day.weekday()))
            .map(|(date, reasons)| ClosingDay { date, reasons })
            .collect())
    }

    /// Every holiday of `year` with its reasons, weekends included.
    pub fn holidays(&self, year: i16) -> Result<Vec<ClosingDay>, CalendarError> {
        if !SUPPORTED_YEARS.contains(&year) {
            return Err(CalendarError::YearOutOfRange(year));
        }
        Ok(self
            .spec
            .holidays(year)
            .into_iter()
            .map(|(date, reasons)| ClosingDay { date, reasons })
            .collect())
    }
}

/// An office known to the calendar set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeCalendarSpec {
    pub code: String,
    pub spec: CalendarSpec,
}

/// FNV-1a: a hasher whose output does not depend on the process or the Rust release's random
/// keys, so a fingerprint stored with a clock stays meaningful across restarts.
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The calendars of every office, by office code, each also reachable by a small index so
/// hot paths resolve an office once rather than hashing its code on every lookup.
#[derive(Debug, Clone)]
pub struct CalendarSet {
    id: u64,
    calendars: Vec<BusinessCalendar>,
    codes: Vec<String>,
    by_code: HashMap<String, usize>,
}

impl CalendarSet {
    pub fn new(
        offices: impl IntoIterator<Item = OfficeCalendarSpec>,
        years: RangeInclusive<i16>,
    ) -> Result<Self, CalendarError> {
        use std::hash::{Hash, Hasher};
        let mut set = CalendarSet {
            id: 0,
            calendars: Vec::new(),
            codes: Vec::new(),
            by_code: HashMap::new(),
        };
        let mut fingerprint = Fnv(0xcbf2_9ce4_8422_2325);
        years.hash(&mut fingerprint);
        // Bump when the meaning of calendar tables changes, so stored figures are recomputed.
        "calendar-tables-v2".hash(&mut fingerprint);
        for office in offices {
            office.code.hash(&mut fingerprint);
            office.spec.hash(&mut fingerprint);
            let calendar = BusinessCalendar::new(office.spec, years.clone())?;
            match set.by_code.get(&office.code) {
                // A repeated code replaces the earlier calendar, as a map insert would.
                Some(&i) => set.calendars[i] = calendar,
                None => {
                    set.by_code.insert(office.code.clone(), set.calendars.len());
                    set.calendars.push(calendar);
                    set.codes.push(office.code);
                }
            }
        }
        set.id = fingerprint.finish();
        Ok(set)
    }

    /// Calendars of every office in [`registry::offices`], each with the patron saint of its
    /// comune; `configure` may adjust each spec (configured hours, closures) before it is built.
    pub fn from_registry(
        years: RangeInclusive<i16>,
        mut configure: impl FnMut(&str, &mut CalendarSpec),
    ) -> Result<Self, CalendarError> {
        let offices = registry::offices().iter().map(|office| {
            let mut spec = CalendarSpec::for_comune(office.comune);
            configure(office.code, &mut spec);
            OfficeCalendarSpec {
                code: office.code.to_string(),
                spec,
            }
        });
        Self::new(offices, years)
    }

    /// Years around `year` worth precomputing for a running service (two back, five ahead).
    pub fn years_around(year: i16) -> RangeInclusive<i16> {
        (year - 2).max(*SUPPORTED_YEARS.start())..=(year + 5).min(*SUPPORTED_YEARS.end())
    }

    pub fn get(&self, office: &str) -> Result<&BusinessCalendar, CalendarError> {
        self.index_of(office)
            .map(|i| &self.calendars[i])
            .ok_or_else(|| CalendarError::UnknownOffice(office.to_string()))
    }

    /// The small index of `office`'s calendar, stable for the life of this set.
    pub fn index_of(&self, office: &str) -> Option<usize> {
        self.by_code.get(office).copied()
    }

    /// The calendar at `index` (see [`CalendarSet::index_of`]).
    pub fn by_index(&self, index: usize) -> Option<&BusinessCalendar> {
        self.calendars.get(index)
    }

    /// Number of calendars; indices run from 0 to `len() - 1`.
    pub fn len(&self) -> usize {
        self.calendars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calendars.is_empty()
    }

    /// Fingerprint of this set's content (offices in order, their specs, the years), stable
    /// across processes: figures computed on one set (office indices, running totals) hold for
    /// any set with the same fingerprint and for no other.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn office_codes(&self) -> impl Iterator<Item = &str> {
        self.codes.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests;
