//! SLA engine: business calendars and clocks across holidays, patron saints, DST and forwarding.

use std::process::Command;

use combipat::domain::calendar::{
    BusinessCalendar, CalendarSet, CalendarSpec, ClosingReason, NationalHoliday, WeeklyHours,
    easter_sunday, national_holidays,
};
use combipat::domain::registry;
use combipat::domain::request::{Priority, Status, Topic, Transition};
use combipat::domain::sla::{
    Clock, ClockChange, ClockKind, Policy, SlaEvent, SlaState, countdown, on_transition,
};
use jiff::Timestamp;
use jiff::civil::{Date, Weekday, date};

/// Easter Sunday 1900–2100 as published by the Astronomical Society of South Australia
/// (Easter Dating Method tables), one row per decade, month-day per year.
const EASTER_TABLE: &[(i16, &str)] = &[
    (
        1900,
        "04-15 04-07 03-30 04-12 04-03 04-23 04-15 03-31 04-19 04-11",
    ),
    (
        1910,
        "03-27 04-16 04-07 03-23 04-12 04-04 04-23 04-08 03-31 04-20",
    ),
    (
        1920,
        "04-04 03-27 04-16 04-01 04-20 04-12 04-04 04-17 04-08 03-31",
    ),
    (
        1930,
        "04-20 04-05 03-27 04-16 04-01 04-21 04-12 03-28 04-17 04-09",
    ),
    (
        1940,
        "03-24 04-13 04-05 04-25 04-09 04-01 04-21 04-06 03-28 04-17",
    ),
    (
        1950,
        "04-09 03-25 04-13 04-05 04-18 04-10 04-01 04-21 04-06 03-29",
    ),
    (
        1960,
        "04-17 04-02 04-22 04-14 03-29 04-18 04-10 03-26 04-14 04-06",
    ),
    (
        1970,
        "03-29 04-11 04-02 04-22 04-14 03-30 04-18 04-10 03-26 04-15",
    ),
    (
        1980,
        "04-06 04-19 04-11 04-03 04-22 04-07 03-30 04-19 04-03 03-26",
    ),
    (
        1990,
        "04-15 03-31 04-19 04-11 04-03 04-16 04-07 03-30 04-12 04-04",
    ),
    (
        2000,
        "04-23 04-15 03-31 04-20 04-11 03-27 04-16 04-08 03-23 04-12",
    ),
    (
        2010,
        "04-04 04-24 04-08 03-31 04-20 04-05 03-27 04-16 04-01 04-21",
    ),
    (
        2020,
        "04-12 04-04 04-17 04-09 03-31 04-20 04-05 03-28 04-16 04-01",
    ),
    (
        2030,
        "04-21 04-13 03-28 04-17 04-09 03-25 04-13 04-05 04-25 04-10",
    ),
    (
        2040,
        "04-01 04-21 04-06 03-29 04-17 04-09 03-25 04-14 04-05 04-18",
    ),
    (
        2050,
        "04-10 04-02 04-21 04-06 03-29 04-18 04-02 04-22 04-14 03-30",
    ),
    (
        2060,
        "04-18 04-10 03-26 04-15 04-06 03-29 04-11 04-03 04-22 04-14",
    ),
    (
        2070,
        "03-30 04-19 04-10 03-26 04-15 04-07 04-19 04-11 04-03 04-23",
    ),
    (
        2080,
        "04-07 03-30 04-19 04-04 03-26 04-15 03-31 04-20 04-11 04-03",
    ),
    (
        2090,
        "04-16 04-08 03-30 04-12 04-04 04-24 04-15 03-31 04-20 04-12",
    ),
    (2100, "03-28"),
];

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn calendars(years: std::ops::RangeInclusive<i16>) -> CalendarSet {
    CalendarSet::from_registry(years, |_, _| {}).unwrap()
}

/// A policy with round numbers: first reply 30 business hours, resolution 70.
fn policy() -> Policy {
    Policy::from_toml(
        "[sla]\nwarning = 75\ncritical = 90\nbreach = 100\nbusiness_day_hours = 10\n\
         [sla.default]\npresa_in_carico = \"4h\"\nfirst_reply = \"3d\"\nnext_reply = \"2d\"\nresolution = \"7d\"\n",
        "test.toml",
    )
    .unwrap()
}

fn change(event: SlaEvent, at: &str, office: &str) -> (SlaEvent, Timestamp, String) {
    (event, ts(at), office.to_string())
}

/// Applies a sequence of events to a fresh request, as the service does.
fn run(events: &[(SlaEvent, Timestamp, String)]) -> Vec<Clock> {
    let policy = policy();
    events
        .iter()
        .fold(Vec::new(), |clocks, (event, at, office)| {
            let change = ClockChange {
                event: *event,
                at: *at,
                office,
                topic: Topic::Pensioni,
                priority: Priority::Normale,
            };
            on_transition(&clocks, &change, &policy)
        })
}

fn transition(transition: Transition, from: Status, to: Status) -> SlaEvent {
    SlaEvent::Transition {
        transition,
        from,
        to,
    }
}

fn clock(clocks: &[Clock], kind: ClockKind) -> &Clock {
    clocks.iter().find(|c| c.kind == kind).unwrap()
}

const HOUR: i64 = 3600;

#[test]
fn easter_matches_published_table_1900_2100() {
    let mut checked = 0;
    for (decade, row) in EASTER_TABLE {
        for (offset, month_day) in row.split(' ').enumerate() {
            let year = decade + offset as i16;
            let (month, day) = month_day.split_once('-').unwrap();
            let expected = date(year, month.parse().unwrap(), day.parse().unwrap());
            assert_eq!(easter_sunday(year), expected, "{year}");
            let monday = national_holidays(year)
                .into_iter()
                .find(|(_, h)| *h == NationalHoliday::LunediDellAngelo)
                .unwrap();
            assert_eq!(monday.0, expected.tomorrow().unwrap());
            checked += 1;
        }
    }
    assert_eq!(checked, 201);
}

#[test]
fn each_fixed_holiday() {
    use NationalHoliday::*;
    let fixed = [
        ((1, 1), Capodanno),
        ((1, 6), Epifania),
        ((4, 25), Liberazione),
        ((5, 1), FestaDelLavoro),
        ((6, 2), FestaDellaRepubblica),
        ((8, 15), Ferragosto),
        ((11, 1), Ognissanti),
        ((12, 8), Immacolata),
        ((12, 25), Natale),
        ((12, 26), SantoStefano),
    ];
    for year in [1990, 2001, 2024, 2030, 2100] {
        let holidays = national_holidays(year);
        for ((month, day), holiday) in fixed {
            let present = holidays.contains(&(date(year, month, day), holiday));
            // 2 June was restored from 2001 (L. 336/2000).
            let expected = holiday != FestaDellaRepubblica || year >= 2001;
            assert_eq!(present, expected, "{year}-{month}-{day} {holiday:?}");
        }
    }
    // 4 November is no longer a holiday (L. 54/1977).
    assert!(
        national_holidays(2027)
            .iter()
            .all(|(d, _)| *d != date(2027, 11, 4))
    );
}

#[test]
fn fourth_of_october_only_from_2026() {
    for year in 1990..=2100 {
        let has =
            national_holidays(year).contains(&(date(year, 10, 4), NationalHoliday::SanFrancesco));
        assert_eq!(has, year >= 2026, "{year}");
    }
}

#[test]
fn holiday_on_a_weekend_is_listed_but_changes_no_working_day() {
    let set = calendars(2027..=2027);
    let rome = set.get("RM01").unwrap();
    // 1 May 2027 is a Saturday.
    assert_eq!(date(2027, 5, 1).weekday(), Weekday::Saturday);
    assert!(
        rome.holidays(2027)
            .unwrap()
            .iter()
            .any(|d| d.date == date(2027, 5, 1))
    );
    assert!(
        rome.closing_days(2027)
            .unwrap()
            .iter()
            .all(|d| d.date != date(2027, 5, 1))
    );
    // Friday 30 April 17:00 → Monday 3 May 09:00 (CEST): just two business hours.
    assert_eq!(
        rome.business_seconds(ts("2027-04-30T15:00:00Z"), ts("2027-05-03T07:00:00Z")),
        Ok(2 * HOUR)
    );
}

#[test]
fn friday_1755_before_easter() {
    // Friday 26 March 2027, 17:55 CET; Easter is Sunday 28 March, also the DST change.
    let set = calendars(2027..=2027);
    let filed = "2027-03-26T16:55:00Z";
    let clocks = run(&[change(SlaEvent::Filed, filed, "RM01")]);
    let first = clock(&clocks, ClockKind::FirstReply);
    // 5 min on Friday; Monday closed (Easter Monday); Tue, Wed 10 h each; Thu 9 h 55 → 17:55 CEST.
    let at_filing = countdown(first, ts(filed), &set).unwrap();
    assert_eq!(at_filing.due_at, Some(ts("2027-04-01T15:55:00Z")));
    assert_eq!(at_filing.state, SlaState::Ok);
    // Easter Monday evening: only the 5 Friday minutes have elapsed.
    let monday = countdown(first, ts("2027-03-29T16:00:00Z"), &set).unwrap();
    assert_eq!(monday.elapsed_secs, 300);
    // Filed after closing time: counting starts on Tuesday 08:00 CEST.
    let rome = set.get("RM01").unwrap();
    assert_eq!(
        rome.next_business_instant(ts("2027-03-26T17:30:00Z")),
        Ok(ts("2027-03-30T06:00:00Z"))
    );
}

#[test]
fn pause_spanning_a_holiday() {
    // Rome: filed Monday 21 June 2027 08:00 CEST, integration requested Thursday 24 at 08:00
    // (30 business hours used), patronato answers Wednesday 30 June at 12:00 — the pause spans
    // the weekend and 29 June (patron saint of Rome).
    let set = calendars(2027..=2027);
    let clocks = run(&[
        change(SlaEvent::Filed, "2027-06-21T06:00:00Z", "RM01"),
        change(
            transition(Transition::Take, Status::Nuova, Status::InLavorazione),
            "2027-06-21T06:00:00Z",
            "RM01",
        ),
        change(
            transition(
                Transition::RequestIntegration,
                Status::InLavorazione,
                Status::InAttesaIntegrazione,
            ),
            "2027-06-24T06:00:00Z",
            "RM01",
        ),
        change(
            transition(
                Transition::PatronatoMessage,
                Status::InAttesaIntegrazione,
                Status::InLavorazione,
            ),
            "2027-06-30T10:00:00Z",
            "RM01",
        ),
    ]);
    let resolution = clock(&clocks, ClockKind::Resolution);
    assert_eq!(resolution.pauses.len(), 1);
    let during = countdown(resolution, ts("2027-06-29T10:00:00Z"), &set).unwrap();
    // Seen from inside the pause the clock is paused with 30 h used.
    let paused_view = run(&[
        change(SlaEvent::Filed, "2027-06-21T06:00:00Z", "RM01"),
        change(
            transition(
                Transition::RequestIntegration,
                Status::InLavorazione,
                Status::InAttesaIntegrazione,
            ),
            "2027-06-24T06:00:00Z",
            "RM01",
        ),
    ]);
    let paused = countdown(
        clock(&paused_view, ClockKind::Resolution),
        ts("2027-06-29T10:00:00Z"),
        &set,
    )
    .unwrap();
    assert_eq!(
        (paused.state, paused.elapsed_secs, paused.due_at),
        (SlaState::Paused, 30 * HOUR, None)
    );
    assert_eq!(during.elapsed_secs, 30 * HOUR);
    // Thursday 1 July 12:00 CEST: 30 h + Wednesday 12–18 + Thursday 8–12 = 40 h.
    let after = countdown(resolution, ts("2027-07-01T10:00:00Z"), &set).unwrap();
    assert_eq!(after.elapsed_secs, 40 * HOUR);
    assert_eq!(after.remaining_secs, 30 * HOUR);
    // 30 h left from Thu 12:00: Thu 6 h, Fri 10, Mon 10, Tue 4 → Tuesday 6 July 12:00 CEST.
    assert_eq!(after.due_at, Some(ts("2027-07-06T10:00:00Z")));
    // The presa in carico clock stopped at take, well within its 4 h target.
    let presa = countdown(
        clock(&clocks, ClockKind::PresaInCarico),
        ts("2027-07-01T10:00:00Z"),
        &set,
    )
    .unwrap();
    assert_eq!((presa.state, presa.elapsed_secs), (SlaState::Met, 0));
}

#[test]
fn due_instants_across_both_dst_changes() {
    let set = calendars(2026..=2026);
    let rome = set.get("RM01").unwrap();
    // Friday 27 March 2026 16:00 CET + 4 business hours → Monday 30 March 10:00 CEST.
    assert_eq!(
        rome.add_business_seconds(ts("2026-03-27T15:00:00Z"), 4 * HOUR),
        Ok(ts("2026-03-30T08:00:00Z"))
    );
    // Friday 23 October 2026 16:00 CEST + 4 business hours → Monday 26 October 10:00 CET.
    assert_eq!(
        rome.add_business_seconds(ts("2026-10-23T14:00:00Z"), 4 * HOUR),
        Ok(ts("2026-10-26T09:00:00Z"))
    );
}

#[test]
fn always_open_calendar_counts_real_23_and_25_hour_days() {
    let spec = CalendarSpec {
        hours: WeeklyHours::always(),
        ..CalendarSpec::default()
    };
    // Holidays close even a 24/7 desk, so pick years' DST Sundays that are not holidays.
    let cal = BusinessCalendar::new(spec, 2026..=2026).unwrap();
    // Sunday 29 March 2026, local midnight to local midnight.
    assert_eq!(
        cal.business_seconds(ts("2026-03-28T23:00:00Z"), ts("2026-03-29T22:00:00Z")),
        Ok(23 * HOUR)
    );
    // Sunday 25 October 2026.
    assert_eq!(
        cal.business_seconds(ts("2026-10-24T22:00:00Z"), ts("2026-10-25T23:00:00Z")),
        Ok(25 * HOUR)
    );
    // The day due: 24 business hours from Saturday 28 March 12:00 CET is Sunday 13:00 CEST.
    assert_eq!(
        cal.add_business_seconds(ts("2026-03-28T11:00:00Z"), 24 * HOUR),
        Ok(ts("2026-03-29T11:00:00Z"))
    );
}

#[test]
fn forwarding_rome_to_milan_across_29_june() {
    let set = calendars(2027..=2027);
    // Filed in Rome Friday 25 June 2027 08:00 CEST, forwarded to Milan Monday 28 at 08:00.
    let forward = transition(Transition::Forward, Status::Nuova, Status::Trasferita);
    let clocks = run(&[
        change(SlaEvent::Filed, "2027-06-25T06:00:00Z", "RM01"),
        change(forward, "2027-06-28T06:00:00Z", "MI01"),
    ]);
    let first = clock(&clocks, ClockKind::FirstReply);
    assert_eq!(
        first.started_at,
        ts("2027-06-25T06:00:00Z"),
        "forwarding never resets first reply"
    );
    assert_eq!(first.office, "MI01");
    // Tuesday 29 June 18:00: Milan works on Rome's patron day → 10 + 10 + 10 h.
    let c = countdown(first, ts("2027-06-29T16:00:00Z"), &set).unwrap();
    assert_eq!(c.elapsed_secs, 30 * HOUR);
    assert_eq!(c.state, SlaState::Breached);
    // Had it stayed in Rome, 29 June would not count.
    let stayed = run(&[change(SlaEvent::Filed, "2027-06-25T06:00:00Z", "RM01")]);
    let c = countdown(
        clock(&stayed, ClockKind::FirstReply),
        ts("2027-06-29T16:00:00Z"),
        &set,
    )
    .unwrap();
    assert_eq!((c.elapsed_secs, c.state), (20 * HOUR, SlaState::Ok));
}

#[test]
fn forwarding_rome_to_milan_across_7_december() {
    let set = calendars(2027..=2027);
    // Filed in Rome Friday 3 December 2027 08:00 CET, forwarded to Milan Monday 6 at 08:00.
    let forward = transition(
        Transition::Forward,
        Status::InLavorazione,
        Status::Trasferita,
    );
    let clocks = run(&[
        change(SlaEvent::Filed, "2027-12-03T07:00:00Z", "RM01"),
        change(forward, "2027-12-06T07:00:00Z", "MI01"),
    ]);
    let first = clock(&clocks, ClockKind::FirstReply);
    // Thursday 9 December 12:00: Fri 10 + Mon 10 + (7 Dec Sant'Ambrogio, 8 Dec Immacolata) + Thu 4.
    let c = countdown(first, ts("2027-12-09T11:00:00Z"), &set).unwrap();
    assert_eq!(c.elapsed_secs, 24 * HOUR);
    assert_eq!(c.due_at, Some(ts("2027-12-09T17:00:00Z")));
    assert_eq!(c.state, SlaState::Warning);
    // In Rome 7 December is a working day.
    let stayed = run(&[change(SlaEvent::Filed, "2027-12-03T07:00:00Z", "RM01")]);
    let c = countdown(
        clock(&stayed, ClockKind::FirstReply),
        ts("2027-12-09T11:00:00Z"),
        &set,
    )
    .unwrap();
    assert_eq!(c.elapsed_secs, 34 * HOUR);
}

#[test]
fn next_reply_restarts_when_the_patronato_adds_information() {
    let set = calendars(2027..=2027);
    let clocks = run(&[
        change(SlaEvent::Filed, "2027-11-08T08:00:00Z", "RM01"),
        change(
            transition(Transition::Take, Status::Nuova, Status::InLavorazione),
            "2027-11-08T09:00:00Z",
            "RM01",
        ),
        change(
            transition(
                Transition::Reply,
                Status::InLavorazione,
                Status::RispostaInviata,
            ),
            "2027-11-08T10:00:00Z",
            "RM01",
        ),
        change(
            transition(
                Transition::PatronatoMessage,
                Status::RispostaInviata,
                Status::Riaperta,
            ),
            "2027-11-09T08:00:00Z",
            "RM01",
        ),
    ]);
    let now = ts("2027-11-09T12:00:00Z");
    let first = countdown(clock(&clocks, ClockKind::FirstReply), now, &set).unwrap();
    assert_eq!((first.state, first.elapsed_secs), (SlaState::Met, 2 * HOUR));
    let next = countdown(clock(&clocks, ClockKind::NextReply), now, &set).unwrap();
    assert_eq!((next.state, next.elapsed_secs), (SlaState::Ok, 4 * HOUR));
    let closed = run(&[
        change(SlaEvent::Filed, "2027-11-08T08:00:00Z", "RM01"),
        change(
            transition(Transition::Close, Status::InLavorazione, Status::Chiusa),
            "2027-11-19T08:00:00Z",
            "RM01",
        ),
    ]);
    let after_close = ts("2027-11-19T10:00:00Z");
    let resolution = countdown(clock(&closed, ClockKind::Resolution), after_close, &set).unwrap();
    assert_eq!(resolution.state, SlaState::Missed);
}

fn calendar_cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_combipat"))
        .arg("calendar")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cli_rome_2027_lists_weekday_national_holidays_and_29_june() {
    let expected = "\
2027-01-01\tCapodanno
2027-01-06\tEpifania
2027-03-29\tLunedì dell'Angelo
2027-06-02\tFesta della Repubblica
2027-06-29\tSanto patrono: Santi Pietro e Paolo
2027-10-04\tSan Francesco d'Assisi
2027-11-01\tOgnissanti
2027-12-08\tImmacolata Concezione
";
    assert_eq!(
        calendar_cli(&["--office", "RM01", "--year", "2027"]),
        expected
    );
    // Business hours between two instants: Friday 17:00 to Monday 09:00 local.
    assert_eq!(
        calendar_cli(&[
            "--office",
            "MI01",
            "--from",
            "2026-11-27T17:00",
            "--to",
            "2026-11-30T09:00"
        ]),
        "2.00\n"
    );
}

#[test]
fn cli_every_registry_office_gets_its_own_patron_saint() {
    let listing = calendar_cli(&["--list-offices"]);
    assert_eq!(listing.lines().count(), registry::offices().len());
    for office in registry::offices() {
        let comune = office.comune().unwrap();
        let patron = comune.patron_saint.unwrap();
        assert!(listing.contains(&format!(
            "{}\t{}\t{}\t{}",
            office.code, office.name, comune.name, comune.province
        )));
        // The first year from 2027 in which the patron day is a weekday.
        let (year, day) = (2027..2040)
            .map(|y| (y, date(y, patron.month, patron.day)))
            .find(|(_, d): &(i16, Date)| d.weekday().to_monday_one_offset() <= 5)
            .unwrap();
        let out = calendar_cli(&["--office", office.code, "--year", &year.to_string()]);
        let line = out
            .lines()
            .find(|l| l.starts_with(&day.to_string()))
            .unwrap_or_else(|| panic!("{}: {out}", office.code));
        let reason = ClosingReason::PatronSaint {
            saint: patron.saint.to_string(),
        }
        .to_string();
        assert!(line.contains(&reason), "{}: {line}", office.code);
    }
}
