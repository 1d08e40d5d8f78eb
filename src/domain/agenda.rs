//! Agenda appuntamenti: the slot arithmetic of an office, pure.
//!
//! An office's day is cut into slots of `slot_minutes` inside each interval of its weekly hours
//! (a slot never straddles a lunch break or the closing time), on working days only: a day the
//! office calendar closes (national holiday, patron saint, configured closure) has no slots.
//! Each slot takes up to `capacity` appointments, whatever their channel; the channels an office
//! offers are part of its rules. Times are Europe/Rome wall-clock times; instants are UTC.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::calendar::{CalendarSpec, ClosingReason};
use super::coded::coded_enum;

coded_enum! {
    /// How the citizen meets the office.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
    pub enum Channel {
        InSede = "in_sede",
        Telefono = "telefono",
        Video = "video",
    }
}

coded_enum! {
    /// Where an appointment stands. Only `booked` takes a place in its slot.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
    pub enum AppointmentState {
        #[default]
        Booked = "booked",
        Cancelled = "cancelled",
        Done = "done",
        Missed = "missed",
    }
}

/// Default length of a slot.
pub const DEFAULT_SLOT_MINUTES: u16 = 30;
/// Default appointments per slot.
pub const DEFAULT_CAPACITY: u16 = 2;
/// Longest range one slots query may cover, in days.
pub const MAX_RANGE_DAYS: i32 = 62;

/// The rules of one office's agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRules {
    pub slot_minutes: u16,
    pub capacity: u16,
    pub channels: Vec<Channel>,
}

impl Default for SlotRules {
    fn default() -> Self {
        SlotRules {
            slot_minutes: DEFAULT_SLOT_MINUTES,
            capacity: DEFAULT_CAPACITY,
            channels: Channel::ALL.to_vec(),
        }
    }
}

/// How the citizen reaches the office: shown to the patronato with the appointment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    /// Street address for `in_sede`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The number the office calls from (or the citizen calls) for `telefono`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Link of the video room for `video`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_url: Option<String>,
}

/// The `[agenda]` settings: defaults for every office and per-office overrides.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgendaSettings {
    /// Length of a slot in minutes (5..=240; must divide nothing in particular: a slot that
    /// would end after an interval's close is not offered).
    pub slot_minutes: u16,
    /// Appointments per slot, all channels together (1..=50).
    pub capacity: u16,
    /// Channels offered.
    pub channels: Vec<Channel>,
    /// `[[agenda.office]]` overrides.
    #[serde(rename = "office")]
    pub offices: Vec<OfficeAgenda>,
}

impl Default for AgendaSettings {
    fn default() -> Self {
        let rules = SlotRules::default();
        AgendaSettings {
            slot_minutes: rules.slot_minutes,
            capacity: rules.capacity,
            channels: rules.channels,
            offices: Vec::new(),
        }
    }
}

/// `[[agenda.office]]`: one office's rules and contact details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeAgenda {
    pub office: String,
    pub slot_minutes: Option<u16>,
    pub capacity: Option<u16>,
    pub channels: Option<Vec<Channel>>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub video_url: Option<String>,
}

/// A setting of `[agenda]` that cannot be used: `field` names it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct AgendaSettingError {
    pub field: String,
    pub reason: String,
}

fn check_rules(prefix: &str, rules: &SlotRules) -> Result<(), AgendaSettingError> {
    let bad = |field: &str, reason: String| AgendaSettingError {
        field: format!("{prefix}{field}"),
        reason,
    };
    if !(5..=240).contains(&rules.slot_minutes) {
        return Err(bad(
            "slot_minutes",
            format!("{} is not between 5 and 240", rules.slot_minutes),
        ));
    }
    if !(1..=50).contains(&rules.capacity) {
        return Err(bad(
            "capacity",
            format!("{} is not between 1 and 50", rules.capacity),
        ));
    }
    if rules.channels.is_empty() {
        return Err(bad("channels", "at least one channel is needed".into()));
    }
    Ok(())
}

impl AgendaSettings {
    /// Checks every value; `known_office` says whether an office code exists.
    pub fn validate(&self, known_office: impl Fn(&str) -> bool) -> Result<(), AgendaSettingError> {
        check_rules("agenda.", &self.default_rules())?;
        for (i, office) in self.offices.iter().enumerate() {
            let prefix = format!("agenda.office[{i}].");
            if !known_office(&office.office) {
                return Err(AgendaSettingError {
                    field: format!("{prefix}office"),
                    reason: format!("unknown office {:?}", office.office),
                });
            }
            check_rules(&prefix, &self.rules(&office.office))?;
        }
        Ok(())
    }

    fn default_rules(&self) -> SlotRules {
        let mut channels = self.channels.clone();
        channels.sort();
        channels.dedup();
        SlotRules {
            slot_minutes: self.slot_minutes,
            capacity: self.capacity,
            channels,
        }
    }

    fn office(&self, office: &str) -> Option<&OfficeAgenda> {
        self.offices.iter().find(|o| o.office == office)
    }

    /// The rules of `office`: its overrides over the defaults.
    pub fn rules(&self, office: &str) -> SlotRules {
        let mut rules = self.default_rules();
        if let Some(o) = self.office(office) {
            rules.slot_minutes = o.slot_minutes.unwrap_or(rules.slot_minutes);
            rules.capacity = o.capacity.unwrap_or(rules.capacity);
            if let Some(channels) = &o.channels {
                rules.channels = channels.clone();
                rules.channels.sort();
                rules.channels.dedup();
            }
        }
        rules
    }

    /// Contact details of `office`; the address defaults to `fallback_address` (the office's
    /// name and comune).
    pub fn contact(&self, office: &str, fallback_address: Option<String>) -> Contact {
        let o = self.office(office);
        Contact {
            address: o.and_then(|o| o.address.clone()).or(fallback_address),
            phone: o.and_then(|o| o.phone.clone()),
            video_url: o.and_then(|o| o.video_url.clone()),
        }
    }
}

/// One slot of an office's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Why an instant is not the start of a bookable slot. Each names what is wrong, so the API can
/// answer 422 naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SlotError {
    #[error("the office is closed on {date}: {reasons}")]
    ClosedDay { date: Date, reasons: String },
    #[error("{local} is outside the office hours")]
    OutsideHours { local: String },
    #[error("{local} is not the start of a slot (slots of {minutes} minutes from the opening)")]
    OffGrid { local: String, minutes: u16 },
    #[error("the office does not offer the channel {0}")]
    Channel(&'static str),
    #[error("the time zone Europe/Rome is not available: {0}")]
    TimeZone(String),
}

/// Europe/Rome.
pub fn rome() -> Result<TimeZone, SlotError> {
    TimeZone::get("Europe/Rome").map_err(|e| SlotError::TimeZone(e.to_string()))
}

/// `at` on Rome's wall clock.
pub fn in_rome(at: Timestamp) -> Result<Zoned, SlotError> {
    Ok(at.to_zoned(rome()?))
}

/// The Rome calendar date of `at`.
pub fn rome_date(at: Timestamp) -> Result<Date, SlotError> {
    Ok(in_rome(at)?.date())
}

/// `HH:MM` of `at` in Rome.
pub fn rome_hhmm(at: Timestamp) -> String {
    match in_rome(at) {
        Ok(z) => format!("{:02}:{:02}", z.hour(), z.minute()),
        Err(_) => at.to_string(),
    }
}

fn local(tz: &TimeZone, day: Date, minute: u16) -> Result<Timestamp, SlotError> {
    let civil: DateTime = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
    civil
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|e| SlotError::TimeZone(e.to_string()))
}

/// Every reason the office is closed on `day`, if it is.
pub fn closing_reasons(spec: &CalendarSpec, day: Date) -> Vec<ClosingReason> {
    spec.holidays(day.year()).remove(&day).unwrap_or_default()
}

/// The slots of `day`: none on a closing day or a day without hours.
pub fn day_slots(
    spec: &CalendarSpec,
    rules: &SlotRules,
    day: Date,
) -> Result<Vec<Slot>, SlotError> {
    if !closing_reasons(spec, day).is_empty() {
        return Ok(Vec::new());
    }
    let tz = rome()?;
    let length = rules.slot_minutes.max(1);
    let mut slots = Vec::new();
    for interval in spec.hours.intervals(day.weekday()) {
        let mut start = interval.start_minute;
        while start + length <= interval.end_minute && start + length <= 24 * 60 {
            slots.push(Slot {
                start: local(&tz, day, start)?,
                end: local(&tz, day, start + length)?,
            });
            start += length;
        }
    }
    Ok(slots)
}

/// The slot starting at `start` for `channel`, or why there is none.
pub fn slot_at(
    spec: &CalendarSpec,
    rules: &SlotRules,
    start: Timestamp,
    channel: Channel,
) -> Result<Slot, SlotError> {
    if !rules.channels.contains(&channel) {
        return Err(SlotError::Channel(channel.code()));
    }
    let zoned = in_rome(start)?;
    let day = zoned.date();
    let reasons = closing_reasons(spec, day);
    if !reasons.is_empty() {
        let reasons = reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(SlotError::ClosedDay { date: day, reasons });
    }
    let local_text = format!(
        "{day} {:02}:{:02} (Europe/Rome)",
        zoned.hour(),
        zoned.minute()
    );
    let slots = day_slots(spec, rules, day)?;
    if let Some(slot) = slots.iter().find(|s| s.start == start) {
        return Ok(*slot);
    }
    let inside = slots.iter().any(|s| s.start < start && start < s.end);
    if inside {
        Err(SlotError::OffGrid {
            local: local_text,
            minutes: rules.slot_minutes,
        })
    } else {
        Err(SlotError::OutsideHours { local: local_text })
    }
}

/// A slot with the places left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreeSlot {
    pub slot: Slot,
    pub capacity: u16,
    pub booked: u16,
}

impl FreeSlot {
    pub fn remaining(&self) -> u16 {
        self.capacity.saturating_sub(self.booked)
    }
}

/// The slots of every day from `from` to `to` (inclusive) with the places taken by `booked`
/// (the start instants of booked appointments, one per appointment). Full slots are kept, with
/// nothing remaining, so a picker can show them.
pub fn slots_between(
    spec: &CalendarSpec,
    rules: &SlotRules,
    from: Date,
    to: Date,
    booked: &[Timestamp],
) -> Result<Vec<FreeSlot>, SlotError> {
    let mut taken: BTreeMap<Timestamp, u16> = BTreeMap::new();
    for start in booked {
        *taken.entry(*start).or_default() += 1;
    }
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        for slot in day_slots(spec, rules, day)? {
            out.push(FreeSlot {
                slot,
                capacity: rules.capacity,
                booked: taken.get(&slot.start).copied().unwrap_or(0),
            });
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn rome_spec() -> CalendarSpec {
        CalendarSpec::for_comune("Roma")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_working_day_has_twenty_half_hour_slots_from_eight_to_six_rome_time() {
        let slots = day_slots(&rome_spec(), &SlotRules::default(), date(2026, 12, 3)).unwrap();
        assert_eq!(slots.len(), 20);
        // 08:00 in Rome in December is 07:00 UTC.
        assert_eq!(slots[0].start, at("2026-12-03T07:00:00Z"));
        assert_eq!(slots[19].end, at("2026-12-03T17:00:00Z"));
    }

    #[test]
    fn holidays_weekends_and_the_patron_saint_have_no_slots() {
        let rules = SlotRules::default();
        for day in [
            date(2026, 12, 8),  // Immacolata
            date(2026, 12, 5),  // Saturday
            date(2027, 6, 29),  // Santi Pietro e Paolo, Rome's patrons
            date(2026, 12, 25), // Natale
        ] {
            assert!(
                day_slots(&rome_spec(), &rules, day).unwrap().is_empty(),
                "{day}"
            );
        }
        // Milan works on 29 June.
        let milan = CalendarSpec::for_comune("Milano");
        assert_eq!(
            day_slots(&milan, &rules, date(2027, 6, 29)).unwrap().len(),
            20
        );
    }

    #[test]
    fn slot_at_names_what_is_wrong() {
        let (spec, rules) = (rome_spec(), SlotRules::default());
        let ok = slot_at(&spec, &rules, at("2026-12-03T08:30:00Z"), Channel::Video).unwrap();
        assert_eq!(ok.end, at("2026-12-03T09:00:00Z"));
        assert!(matches!(
            slot_at(&spec, &rules, at("2026-12-03T18:00:00Z"), Channel::InSede),
            Err(SlotError::OutsideHours { .. })
        ));
        assert!(matches!(
            slot_at(&spec, &rules, at("2026-12-03T08:10:00Z"), Channel::InSede),
            Err(SlotError::OffGrid { .. })
        ));
        assert!(matches!(
            slot_at(&spec, &rules, at("2026-12-08T09:00:00Z"), Channel::InSede),
            Err(SlotError::ClosedDay { .. })
        ));
        let phone_only = SlotRules {
            channels: vec![Channel::Telefono],
            ..SlotRules::default()
        };
        assert_eq!(
            slot_at(
                &spec,
                &phone_only,
                at("2026-12-03T08:00:00Z"),
                Channel::Video
            ),
            Err(SlotError::Channel("video"))
        );
    }

    #[test]
    fn booked_places_reduce_what_remains_and_a_full_slot_is_kept() {
        let (spec, rules) = (rome_spec(), SlotRules::default());
        let first = at("2026-12-03T07:00:00Z");
        let slots = slots_between(
            &spec,
            &rules,
            date(2026, 12, 3),
            date(2026, 12, 4),
            &[first, first],
        )
        .unwrap();
        assert_eq!(slots.len(), 40);
        assert_eq!(slots[0].remaining(), 0);
        assert_eq!(slots[1].remaining(), 2);
    }

    #[test]
    fn slots_follow_daylight_saving_time() {
        // 30 March 2027 is after the spring change: 08:00 in Rome is 06:00 UTC.
        let slots = day_slots(&rome_spec(), &SlotRules::default(), date(2027, 3, 30)).unwrap();
        assert_eq!(slots[0].start, at("2027-03-30T06:00:00Z"));
    }

    #[test]
    fn settings_overrides_and_validation_name_the_field() {
        let mut settings = AgendaSettings::default();
        settings.offices.push(OfficeAgenda {
            office: "RM01".into(),
            capacity: Some(3),
            channels: Some(vec![Channel::Video, Channel::InSede]),
            ..OfficeAgenda::default()
        });
        assert_eq!(settings.rules("RM01").capacity, 3);
        assert_eq!(
            settings.rules("RM01").channels,
            vec![Channel::InSede, Channel::Video]
        );
        assert_eq!(settings.rules("MI01"), SlotRules::default());
        assert!(settings.validate(|o| o == "RM01").is_ok());
        settings.offices[0].capacity = Some(0);
        assert_eq!(
            settings.validate(|_| true).unwrap_err().field,
            "agenda.office[0].capacity"
        );
        settings.offices[0].capacity = None;
        assert_eq!(
            settings.validate(|_| false).unwrap_err().field,
            "agenda.office[0].office"
        );
    }
}
