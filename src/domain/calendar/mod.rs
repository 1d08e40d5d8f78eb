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
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, date};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::registry;

pub use holidays::{NationalHoliday, easter_sunday, national_holidays};
pub use hours::{DayInterval, HoursError, WeeklyHours};

/// Years any calendar can be asked about.
pub const SUPPORTED_YEARS: RangeInclusive<i16> = 1990..=2100;

const SECONDS_PER_DAY: i64 = 86_400;

/// The patron-saint day of a comune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatronDay {
    pub month: i8,
    pub day: i8,
    pub saint: String,
}

/// An ad-hoc closure of one office on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub date: Date,
    pub reason: String,
}

/// Why an office is closed on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClosingReason {
    National { holiday: NationalHoliday },
    PatronSaint { saint: String },
    Closure { reason: String },
}

impl fmt::Display for ClosingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::National { holiday } => f.write_str(holiday.name_it()),
            Self::PatronSaint { saint } => write!(f, "Santo patrono: {saint}"),
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarSpec {
    pub hours: WeeklyHours,
    pub patron: Option<PatronDay>,
    pub closures: Vec<Closure>,
}

impl CalendarSpec {
    /// Every reason the office is closed on each date of `year`, whether or not it is a working day.
    pub fn holidays(&self, year: i16) -> BTreeMap<Date, Vec<ClosingReason>> {
        let mut days: BTreeMap<Date, Vec<ClosingReason>> = BTreeMap::new();
        for (day, holiday) in national_holidays(year) {
            days.entry(day)
                .or_default()
                .push(ClosingReason::National { holiday });
        }
        if let Some(patron) = &self.patron
            && let Ok(day) = Date::new(year, patron.month, patron.day)
        {
            days.entry(day)
                .or_default()
                .push(ClosingReason::PatronSaint {
                    saint: patron.saint.clone(),
                });
        }
        for closure in self.closures.iter().filter(|c| c.date.year() == year) {
            days.entry(closure.date)
                .or_default()
                .push(ClosingReason::Closure {
                    reason: closure.reason.clone(),
                });
        }
        days
    }
}

/// A business interval in UTC seconds, with the business seconds of all earlier intervals.
#[derive(Debug, Clone, Copy)]
struct Interval {
    start: i64,
    end: i64,
    before: i64,
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
}

fn rome() -> Result<TimeZone, CalendarError> {
    TimeZone::get("Europe/Rome").map_err(|e| CalendarError::TimeZone(e.to_string()))
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
        let mut total = 0i64;
        for year in years.clone() {
            let closed = spec.holidays(year);
            let mut day = date(year, 1, 1);
            while day.year() == year {
                if !closed.contains_key(&day) {
                    for slot in spec.hours.intervals(day.weekday()) {
                        let start = local_instant(&tz, day, slot.start_minute)?;
                        let end = local_instant(&tz, day, slot.end_minute)?;
                        if end <= start {
                            continue;
                        }
                        match intervals.last_mut() {
                            // Contiguous slots (e.g. a 24/7 desk) merge into one interval.
                            Some(last) if last.end == start => last.end = end,
                            _ => intervals.push(Interval {
                                start,
                                end,
                                before: total,
                            }),
                        }
                        total += end - start;
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
        let t = at.as_second();
        if t < self.origin || t > self.horizon {
            return Err(CalendarError::InstantOutOfRange(at));
        }
        let mut i = self.day_index[((t - self.origin) / SECONDS_PER_DAY) as usize] as usize;
        while i < self.intervals.len() && self.intervals[i].end <= t {
            i += 1;
        }
        Ok(match self.intervals.get(i) {
            Some(iv) => iv.before + (t - iv.start).max(0),
            None => self
                .intervals
                .last()
                .map_or(0, |iv| iv.before + iv.end - iv.start),
        })
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

/// Identifies one built [`CalendarSet`] (clones share it: they hold the same calendars).
static NEXT_SET_ID: AtomicU64 = AtomicU64::new(1);

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
        let mut set = CalendarSet {
            id: NEXT_SET_ID.fetch_add(1, Ordering::Relaxed),
            calendars: Vec::new(),
            codes: Vec::new(),
            by_code: HashMap::new(),
        };
        for office in offices {
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
        Ok(set)
    }

    /// Calendars of every office in [`registry::offices`], each with the patron saint of its
    /// comune; `configure` may adjust each spec (configured hours, closures) before it is built.
    pub fn from_registry(
        years: RangeInclusive<i16>,
        mut configure: impl FnMut(&str, &mut CalendarSpec),
    ) -> Result<Self, CalendarError> {
        let offices = registry::offices().iter().map(|office| {
            let mut spec = CalendarSpec {
                patron: office
                    .comune()
                    .and_then(|c| c.patron_saint)
                    .map(|p| PatronDay {
                        month: p.month,
                        day: p.day,
                        saint: p.saint.to_string(),
                    }),
                ..CalendarSpec::default()
            };
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

    /// Identity of this set, shared by its clones: indices from one set mean nothing in another.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn office_codes(&self) -> impl Iterator<Item = &str> {
        self.codes.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests;
