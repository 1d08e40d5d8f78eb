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

/// Runs the binary with `args`, no user configuration in reach.
fn combipat(args: &[&str]) -> String {
    let home = std::env::temp_dir().join(format!("combipat-sla-home-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_combipat"))
        .args(args)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
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
fn cli_calendar_and_report_quality_honour_the_configured_calendar() {
    let dir = std::env::temp_dir().join(format!("combipat-sla-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("calendar.toml");
    std::fs::write(
        &file,
        "[[calendar.closures]]\noffice = \"RM01\"\ndate = 2026-12-24\nreason = \"vigilia\"\n\
         [[calendar.patron]]\noffice = \"PA01\"\ndate = \"09-04\"\nsaint = \"Santa Rosalia\"\n",
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let rome = combipat(&[
        "calendar", "--config", config, "--office", "RM01", "--year", "2026",
    ]);
    assert!(rome.contains("2026-12-24\tChiusura: vigilia"), "{rome}");
    assert!(!combipat(&["calendar", "--office", "RM01", "--year", "2026"]).contains("2026-12-24"));
    // The workstation's --config before the subcommand works too.
    let palermo = combipat(&[
        "--config", config, "calendar", "--office", "PA01", "--year", "2026",
    ]);
    assert!(
        palermo.contains("2026-09-04\tSanto patrono: Santa Rosalia"),
        "{palermo}"
    );
    assert!(!palermo.contains("2026-07-15"), "{palermo}");
    // Business hours between two instants see the closure: Thursday 24 December 2026.
    let hours = |extra: &[&str]| {
        let mut args = vec!["calendar"];
        args.extend_from_slice(extra);
        args.extend([
            "--office",
            "RM01",
            "--from",
            "2026-12-24T08:00",
            "--to",
            "2026-12-24T18:00",
        ]);
        combipat(&args)
    };
    assert_eq!(hours(&[]), "10.00\n");
    assert_eq!(hours(&["--config", config]), "0.00\n");
    // A comune without an office: Asti's San Secondo, first Tuesday of May.
    assert!(
        combipat(&["calendar", "--comune", "Asti", "--year", "2026"])
            .contains("2026-05-05\tSanto patrono: San Secondo")
    );
    // report quality (the embedded service's figures) counts business time on the configured calendars:
    // with every office closed all year, no first reply takes any business time.
    // The demo data lie around today: ask about the current year.
    let year = jiff::Zoned::now().year().to_string();
    let closed = dir.join("closed.toml");
    std::fs::write(
        &closed,
        format!(
            "[[calendar.closures]]\ndate = {year}-01-01\nuntil = {year}-12-31\nreason = \"prova\"\n"
        ),
    )
    .unwrap();
    let year = year.as_str();
    // The plain dialect (`,` and codes), which the column lookup below reads.
    let plain = combipat(&[
        "report",
        "quality",
        "--year",
        year,
        "--csv",
        "--csv-dialect",
        "plain",
    ]);
    let configured = combipat(&[
        "--config",
        closed.to_str().unwrap(),
        "report",
        "quality",
        "--year",
        year,
        "--csv",
        "--csv-dialect",
        "plain",
    ]);
    assert_ne!(plain, configured);
    let median_column = |csv: &str| -> Vec<String> {
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let i = header
            .iter()
            .position(|h| *h == "first_reply_median_h")
            .unwrap();
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(i).unwrap().to_string())
            .collect()
    };
    // (Empty: a patronato whose requests have no first reply yet.)
    assert!(
        median_column(&configured)
            .iter()
            .all(|m| m == "0.0" || m.is_empty())
    );
    assert!(median_column(&plain).iter().any(|m| m != "0.0"));
}

// ---------------------------------------------------------------------------------------------
// Issue 14: SLA fidelity. One test per finding, on the service's `Sla` where the finding is
// about what the service computes.

mod fidelity {
    use combipat::api::ClockView;
    use combipat::config::CalendarConfig;
    use combipat::domain::calendar::{
        BusinessCalendar, CalendarSpec, ClosingReason, Measure, NationalHoliday, national_holidays,
    };
    use combipat::domain::codice_fiscale::CodiceFiscale;
    use combipat::domain::request::{
        ActorRef, HistoryEntry, Priority, Request, RequestId, Status, Topic, Transition,
    };
    use combipat::domain::roles::Role;
    use combipat::domain::sla::{
        Clock, ClockKind, Policy, SlaEvent, SlaState, replay_standing, standing,
    };
    use combipat::service::Sla;
    use combipat::service::sla::calendars_from_config_for;
    use jiff::Timestamp;
    use jiff::civil::date;

    use super::ts;

    pub(super) fn request(office: &str, filed: Timestamp) -> Request {
        Request {
            id: RequestId::new(2026, 14),
            patronato: "INCA".into(),
            office: office.into(),
            topic: Topic::Pensioni,
            citizen: CodiceFiscale::parse("RSSMRA80A01H501U").unwrap(),
            application_protocol: None,
            subject: "Ricostituzione".into(),
            priority: Priority::Normale,
            status: Status::Nuova,
            assignee: None,
            tags: vec![],
            outcome: None,
            created_at: filed,
            updated_at: filed,
            version: 1,
            thread: vec![],
            history: vec![],
        }
    }

    /// A request under way, its clocks kept as the core keeps them.
    pub(super) struct Live<'a> {
        pub sla: &'a Sla,
        pub request: Request,
        pub clocks: Vec<Clock>,
    }

    impl<'a> Live<'a> {
        pub fn file(sla: &'a Sla, office: &str, at: Timestamp) -> Self {
            let request = request(office, at);
            let clocks = sla.after_event(&[], &request, SlaEvent::Filed, at);
            Live {
                sla,
                request,
                clocks,
            }
        }

        /// Applies `transition` at `at`; a forward goes to `to_office`, and the clocks are
        /// updated with the office competent after the event (the call the core makes).
        pub fn act(&mut self, transition: Transition, at: Timestamp, to_office: Option<&str>) {
            let from = self.request.status;
            let to = from.apply(transition).unwrap();
            self.request.status = to;
            self.request.history.push(HistoryEntry {
                at,
                actor: ActorRef {
                    id: "op".into(),
                    name: "Op".into(),
                    role: Role::Operator,
                },
                transition,
                from,
                to,
                detail: to_office.map(str::to_string),
            });
            let office = to_office.unwrap_or(&self.request.office).to_string();
            let event = SlaEvent::Transition {
                transition,
                from,
                to,
            };
            self.clocks = self
                .sla
                .after_event_in(&self.clocks, &self.request, event, at, &office);
            self.request.office = office;
        }

        pub fn view(&self, kind: ClockKind, now: Timestamp) -> ClockView {
            self.sla
                .views(&self.clocks, now)
                .into_iter()
                .find(|v| v.kind == kind)
                .unwrap()
        }
    }

    pub(super) fn sla_with(calendar: &CalendarConfig) -> Sla {
        let calendars = calendars_from_config_for(calendar, 2026..=2029).unwrap();
        Sla::new(Policy::embedded().unwrap(), calendars)
    }

    pub(super) fn config(text: &str) -> CalendarConfig {
        let config = combipat::config::Config::parse(
            &combipat::config::source::Source::new("test.toml", text),
            None,
        )
        .unwrap();
        config.calendar
    }

    /// Finding 1 (domain part): a forward passes the receiving office, and the clocks move to its
    /// calendar at the forward. Rome → Milan across 7 December (Sant'Ambrogio, Milan only).
    #[test]
    fn f1_a_forward_moves_the_clocks_to_the_receiving_office_calendar() {
        let sla = sla_with(&CalendarConfig::default());
        // Wednesday 2 December 2026 08:00 CET in Rome; forwarded Friday 4 December 11:00.
        let mut live = Live::file(&sla, "RM01", ts("2026-12-02T07:00:00Z"));
        let mut stayed = Live::file(&sla, "RM01", ts("2026-12-02T07:00:00Z"));
        live.act(
            Transition::Forward,
            ts("2026-12-04T10:00:00Z"),
            Some("MI01"),
        );
        let now = ts("2026-12-04T12:00:00Z");
        let forwarded = live.view(ClockKind::Resolution, now);
        // 7 business days: Milan closes on 7 and 8 December → Monday 14 December 18:00 CET.
        assert_eq!(forwarded.due_at, Some(ts("2026-12-14T17:00:00Z")));
        assert_eq!(forwarded.office(), "MI01");
        assert_eq!(forwarded.basis.offices.as_slice(), ["RM01", "MI01"]);
        // In Rome only 8 December is closed → Friday 11 December 18:00 CET.
        stayed.act(Transition::Take, ts("2026-12-04T10:00:00Z"), None);
        assert_eq!(
            stayed.view(ClockKind::Resolution, now).due_at,
            Some(ts("2026-12-11T17:00:00Z"))
        );
    }

    /// Finding 1: forwarded from a 24/7 desk to an office that is closed, the clock stops.
    #[test]
    fn f1_a_clock_forwarded_from_a_24_7_desk_stops_when_the_receiving_office_is_closed() {
        let sla = sla_with(&config(
            "[[calendar.office_hours]]\noffice = \"RM02\"\n\
             days = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\n\
             open = \"00:00\"\nclose = \"24:00\"\n",
        ));
        // Friday 20 November 2026 12:00 CET at the 24/7 desk; forwarded to Rome at 20:00.
        let mut live = Live::file(&sla, "RM02", ts("2026-11-20T11:00:00Z"));
        live.act(
            Transition::Forward,
            ts("2026-11-20T19:00:00Z"),
            Some("RM01"),
        );
        let friday_night = live.view(ClockKind::Resolution, ts("2026-11-20T19:00:00Z"));
        let monday_morning = live.view(ClockKind::Resolution, ts("2026-11-23T07:00:00Z"));
        // Rome is closed all weekend: nothing elapses between Friday 20:00 and Monday 08:00.
        assert_eq!(friday_night.remaining_secs, monday_morning.remaining_secs);
        assert_eq!(monday_morning.office(), "RM01");
    }

    /// Finding 2: replay counts each stretch on the office competent then. Milan → Trieste:
    /// 3 November (San Giusto) closes Trieste, not Milan.
    #[test]
    fn f2_replay_counts_time_before_a_forward_on_the_sending_office_calendar() {
        let sla = sla_with(&CalendarConfig::default());
        // Monday 2 November 2026 08:00 CET in Milan; forwarded to Trieste Wednesday 4 at 08:00.
        let mut live = Live::file(&sla, "MI01", ts("2026-11-02T07:00:00Z"));
        live.act(
            Transition::Forward,
            ts("2026-11-04T07:00:00Z"),
            Some("TS01"),
        );
        let now = ts("2026-11-04T11:00:00Z");
        let replayed = sla.replay_from(&live.request, "MI01");
        assert_eq!(replayed, live.clocks, "replay equals the live history");
        let view = sla
            .views(&replayed, now)
            .into_iter()
            .find(|v| v.kind == ClockKind::FirstReply)
            .unwrap();
        // Milan: Monday 10 h + Tuesday 10 h; Trieste: Wednesday 4 h → 24 of 30 h used.
        assert_eq!(view.remaining_secs, 6 * 3600);
        // A forward detail that names the sending office lets plain `replay` find it.
        let mut named = live.request.clone();
        named.history[0].detail = Some("MI01>TS01".into());
        assert_eq!(sla.replay(&named), live.clocks);
    }

    /// Finding 3: a breached clock's due instant is when it breached, not projected back from
    /// now across a later pause.
    #[test]
    fn f3_a_breached_clock_is_due_when_it_breached_even_after_a_pause() {
        let sla = sla_with(&CalendarConfig::default());
        // Monday 16 November 2026 08:00 CET in Rome: first reply (3 days) due Wednesday 18:00.
        let mut live = Live::file(&sla, "RM01", ts("2026-11-16T07:00:00Z"));
        live.act(Transition::Take, ts("2026-11-16T08:00:00Z"), None);
        // Integration asked Tuesday 24 at 10:00, documents Monday 30 at 10:00.
        live.act(
            Transition::RequestIntegration,
            ts("2026-11-24T09:00:00Z"),
            None,
        );
        live.act(
            Transition::PatronatoMessage,
            ts("2026-11-30T09:00:00Z"),
            None,
        );
        let view = live.view(ClockKind::FirstReply, ts("2026-12-01T11:00:00Z"));
        assert_eq!(view.state, SlaState::Breached);
        assert_eq!(view.due_at, Some(ts("2026-11-18T17:00:00Z")));
        assert_eq!(view.breach_at(), view.due_at);
        // Overdue: Thu 19 – Mon 23 (3 × 10 h) + Tue 24 2 h + Mon 30 8 h + Tue 1 Dec 4 h = 44 h.
        assert_eq!(view.remaining_secs, -44 * 3600);
        // 75 % (2.25 days) was reached on Wednesday 18 at 10:30 CET.
        assert_eq!(view.warning_at(), Some(ts("2026-11-18T09:30:00Z")));
    }

    /// Finding 4: with exactly 0 s left the due instant is the instant the target was used up,
    /// the same on every fetch.
    #[test]
    fn f4_a_clock_with_nothing_left_is_due_at_the_closing_time_not_now() {
        let sla = sla_with(&CalendarConfig::default());
        let live = Live::file(&sla, "RM01", ts("2026-11-16T07:00:00Z"));
        // Wednesday 18 November 19:54 CET: the target was used up at 18:00, the office is closed.
        for now in ["2026-11-18T18:54:09Z", "2026-11-18T20:00:00Z"] {
            let view = live.view(ClockKind::FirstReply, ts(now));
            assert_eq!(view.remaining_secs, 0);
            assert_eq!(view.due_at, Some(ts("2026-11-18T17:00:00Z")));
            assert_eq!(view.breach_at(), Some(ts("2026-11-18T17:00:00Z")));
        }
    }

    /// Finding 5: the service's clocks come prepared, and the prepared read equals the walk.
    #[test]
    fn f5_the_service_keeps_clocks_prepared_and_reads_them_on_the_fast_path() {
        let sla = sla_with(&CalendarConfig::default());
        let mut live = Live::file(&sla, "RM01", ts("2026-11-16T07:00:00Z"));
        live.act(
            Transition::Forward,
            ts("2026-11-17T07:00:00Z"),
            Some("MI01"),
        );
        live.act(Transition::Take, ts("2026-11-17T08:00:00Z"), None);
        live.act(
            Transition::RequestIntegration,
            ts("2026-11-17T08:30:00Z"),
            None,
        );
        // Stored as JSON and read back, as the stores do.
        let json = serde_json::to_string(&live.clocks).unwrap();
        let stored: Vec<Clock> = serde_json::from_str(&json).unwrap();
        assert!(stored.iter().all(|c| c.prepared.is_some()));
        for now in ["2026-11-17T12:00:00Z", "2026-12-20T12:00:00Z"] {
            for clock in &stored {
                assert_eq!(
                    standing(clock, ts(now), sla.calendars()),
                    replay_standing(clock, ts(now), sla.calendars())
                );
            }
        }
        // Figures prepared on other calendars are not trusted: the walk answers.
        let other = sla_with(&config(
            "[[calendar.closures]]\ndate = 2026-11-16\nreason = \"sciopero\"\n",
        ));
        let clock = &stored[1];
        assert_ne!(
            replay_standing(clock, ts("2026-11-20T12:00:00Z"), other.calendars()),
            replay_standing(clock, ts("2026-11-20T12:00:00Z"), sla.calendars())
        );
        assert_eq!(
            standing(clock, ts("2026-11-20T12:00:00Z"), other.calendars()),
            replay_standing(clock, ts("2026-11-20T12:00:00Z"), other.calendars())
        );
    }

    /// Finding 6: `Nd` is N business days on the office calendar, whatever its hours.
    #[test]
    fn f6_days_are_business_days_of_the_office_whatever_its_hours() {
        let sla = sla_with(&config(
            "[[calendar.office_hours]]\noffice = \"MI01\"\n\
             days = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]\nopen = \"07:30\"\nclose = \"19:30\"\n\
             [[calendar.office_hours]]\noffice = \"TO01\"\n\
             days = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]\nopen = \"08:00\"\nclose = \"18:00\"\n\
             [[calendar.office_hours]]\noffice = \"TO01\"\ndays = [\"sat\"]\n\
             open = \"08:00\"\nclose = \"13:00\"\n",
        ));
        // Milan, 12 h days: filed Tuesday 10 November 2026 10:00 CET; 7 days → Thursday 19 at
        // 10:00 (same position of the day), where 70 h would have fallen on Wednesday 18.
        let live = Live::file(&sla, "MI01", ts("2026-11-10T09:00:00Z"));
        let resolution = live.view(ClockKind::Resolution, ts("2026-11-10T09:00:00Z"));
        assert_eq!(resolution.due_at, Some(ts("2026-11-19T09:00:00Z")));
        assert_eq!(resolution.basis.measure, Measure::Days { units: 10 * 3600 });
        // Turin with Saturday mornings: filed Thursday 12 November 08:00; first reply (3 days)
        // is due at the end of Saturday (13:00), a Saturday counting as a whole business day.
        let live = Live::file(&sla, "TO01", ts("2026-11-12T07:00:00Z"));
        let first = live.view(ClockKind::FirstReply, ts("2026-11-12T07:00:00Z"));
        assert_eq!(first.due_at, Some(ts("2026-11-14T12:00:00Z")));
        // Hours stay hours: presa in carico (8 h) from Thursday 08:00 → Thursday 16:00.
        let presa = live.view(ClockKind::PresaInCarico, ts("2026-11-12T07:00:00Z"));
        assert_eq!(presa.due_at, Some(ts("2026-11-12T15:00:00Z")));
        assert_eq!(presa.basis.measure, Measure::Seconds);
    }

    /// Finding 7: patron day per office, substitute days, movable feasts, 17 March 2011,
    /// `close = "24:00"`.
    #[test]
    fn f7_calendar_gaps_are_closed() {
        // An office's patron day overridden in the configuration (Palermo: sources disagree).
        let set = calendars_from_config_for(
            &config(
                "[[calendar.patron]]\noffice = \"PA01\"\ndate = \"09-04\"\nsaint = \"Santa Rosalia\"\n\
                 [[calendar.patron]]\noffice = \"RM01\"\nnone = true\n",
            ),
            2026..=2026,
        )
        .unwrap();
        let days = |office: &str| {
            set.get(office)
                .unwrap()
                .closing_days(2026)
                .unwrap()
                .into_iter()
                .map(|d| d.date)
                .collect::<Vec<_>>()
        };
        assert!(days("PA01").contains(&date(2026, 9, 4)));
        assert!(!days("PA01").contains(&date(2026, 7, 15)));
        assert!(!days("RM01").contains(&date(2026, 6, 29)));
        // Substitute day: Bologna's San Petronio (4 October) falls on San Francesco from 2026;
        // in 2027 it is a Monday, so the substitute is Tuesday 5 October.
        let substitute = calendars_from_config_for(
            &config("[calendar]\npatron_substitute = true\n"),
            2027..=2027,
        )
        .unwrap();
        let bologna = substitute.get("BO01").unwrap().closing_days(2027).unwrap();
        let day = bologna
            .iter()
            .find(|d| d.date == date(2027, 10, 5))
            .expect("substitute day");
        assert!(matches!(
            day.reasons[0],
            ClosingReason::PatronSubstitute { .. }
        ));
        // Off by default.
        let plain = calendars_from_config_for(&CalendarConfig::default(), 2027..=2027).unwrap();
        assert!(
            !plain
                .get("BO01")
                .unwrap()
                .closing_days(2027)
                .unwrap()
                .iter()
                .any(|d| d.date == date(2027, 10, 5))
        );
        // Movable local feasts: Whit Monday in Bolzano, San Secondo in Asti.
        let closed = |comune: &str, year: i16| {
            BusinessCalendar::new(CalendarSpec::for_comune(comune), year..=year)
                .unwrap()
                .closing_days(year)
                .unwrap()
                .into_iter()
                .map(|d| d.date)
                .collect::<Vec<_>>()
        };
        assert!(closed("Bolzano", 2026).contains(&date(2026, 5, 25)));
        assert!(closed("Bolzano", 2027).contains(&date(2027, 5, 17)));
        assert!(closed("Asti", 2026).contains(&date(2026, 5, 5)));
        assert!(closed("Asti", 2027).contains(&date(2027, 5, 4)));
        // One-off national holiday.
        assert!(
            national_holidays(2011)
                .contains(&(date(2011, 3, 17), NationalHoliday::UnitaDItalia150))
        );
        assert!(
            !national_holidays(2012)
                .iter()
                .any(|(d, _)| *d == date(2012, 3, 17))
        );
        assert!(closed("Roma", 2011).contains(&date(2011, 3, 17)));
        // 24:00 closes a day at midnight.
        let late = calendars_from_config_for(
            &config(
                "[[calendar.office_hours]]\ndays = [\"mon\"]\nopen = \"20:00\"\nclose = \"24:00\"\n",
            ),
            2026..=2026,
        )
        .unwrap();
        assert_eq!(
            late.get("RM01")
                .unwrap()
                .business_seconds(ts("2026-11-23T00:00:00Z"), ts("2026-11-24T00:00:00Z")),
            Ok(4 * 3600)
        );
    }

    /// Finding 8: a forward of a request awaiting integration keeps its clocks paused (now on
    /// the receiving office) until the documents arrive; the view says why.
    #[test]
    fn f8_forwarding_a_request_awaiting_integration_keeps_it_paused() {
        let sla = sla_with(&CalendarConfig::default());
        let mut live = Live::file(&sla, "RM01", ts("2026-11-16T07:00:00Z"));
        live.act(Transition::Take, ts("2026-11-16T08:00:00Z"), None);
        live.act(
            Transition::RequestIntegration,
            ts("2026-11-16T09:00:00Z"),
            None,
        );
        live.act(
            Transition::Forward,
            ts("2026-11-17T09:00:00Z"),
            Some("MI01"),
        );
        let paused = live.view(ClockKind::Resolution, ts("2026-11-19T09:00:00Z"));
        assert_eq!(paused.state, SlaState::Paused);
        assert!(paused.basis.paused);
        assert_eq!(paused.office(), "MI01");
        // Two business hours used in Rome before the pause.
        let target = 7 * 10 * 3600;
        assert_eq!(paused.remaining_secs, target - 2 * 3600);
        // Taking it in Milan does not end the pause; the documents do, on Milan's calendar.
        live.act(Transition::Take, ts("2026-11-19T09:00:00Z"), None);
        assert_eq!(
            live.view(ClockKind::Resolution, ts("2026-11-19T10:00:00Z"))
                .state,
            SlaState::Paused
        );
        live.act(
            Transition::PatronatoMessage,
            ts("2026-11-20T09:00:00Z"),
            None,
        );
        let running = live.view(ClockKind::Resolution, ts("2026-11-20T11:00:00Z"));
        assert_eq!(running.state, SlaState::Ok);
        assert_eq!(running.remaining_secs, target - 4 * 3600);
        assert_eq!(running.basis.offices.as_slice(), ["RM01", "MI01"]);
    }
}

// ---------------------------------------------------------------------------------------------
// Acceptance: the worked examples of docs/sla.md are tests.

mod docs_examples {
    use combipat::domain::request::Transition;
    use combipat::domain::sla::{ClockKind, SlaState};
    use jiff::Timestamp;
    use jiff::civil::DateTime;

    use super::fidelity::{Live, config, sla_with};

    const DOC: &str = include_str!("../docs/sla.md");

    fn local(day: &str, time: &str) -> Timestamp {
        let civil: DateTime = format!("{day}T{time}").parse().unwrap();
        civil.in_tz("Europe/Rome").unwrap().timestamp()
    }

    /// `14h00m`, `-10h00m` → seconds.
    fn duration(text: &str) -> i64 {
        let (sign, rest) = match text.strip_prefix('-') {
            Some(rest) => (-1, rest),
            None => (1, text),
        };
        let (h, m) = rest.trim_end_matches('m').split_once('h').unwrap();
        sign * (h.parse::<i64>().unwrap() * 3600 + m.parse::<i64>().unwrap() * 60)
    }

    fn kind(code: &str) -> ClockKind {
        ClockKind::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .unwrap_or_else(|| panic!("unknown clock {code}"))
    }

    fn state(code: &str) -> SlaState {
        serde_json::from_value(serde_json::Value::String(code.into())).unwrap()
    }

    /// Runs one `sla-example` block; returns how many expectations it checked.
    fn run(block: &str) -> usize {
        let mut hours = String::new();
        let mut lines = block
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .peekable();
        while let Some(line) = lines.next_if(|l| l.starts_with("hours ")) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (open, close) = parts[3].split_once('-').unwrap();
            let days: Vec<String> = parts[2].split(',').map(|d| format!("\"{d}\"")).collect();
            hours.push_str(&format!(
                "[[calendar.office_hours]]\noffice = \"{}\"\ndays = [{}]\nopen = \"{open}\"\nclose = \"{close}\"\n",
                parts[1],
                days.join(",")
            ));
        }
        let sla = sla_with(&config(&hours));
        let mut live: Option<Live<'_>> = None;
        let mut checked = 0;
        for line in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let at = local(parts[0], parts[1]);
            let verb = parts[2];
            if verb == "file" {
                live = Some(Live::file(&sla, parts[3], at));
                continue;
            }
            let live = live.as_mut().expect("an example starts with `file`");
            let transition = match verb {
                "take" => Transition::Take,
                "reply" => Transition::Reply,
                "integration" => Transition::RequestIntegration,
                "documents" => Transition::PatronatoMessage,
                "forward" => Transition::Forward,
                "close" => Transition::Close,
                "reopen" => Transition::Reopen,
                "expect" => {
                    let view = live.view(kind(parts[3]), at);
                    let what = format!("{line}: {view:?}");
                    let mut tokens = parts[4..].iter();
                    while let Some(pair) = tokens.next() {
                        let (key, value) = pair.split_once('=').unwrap();
                        match key {
                            "state" => assert_eq!(view.state, state(value), "{what}"),
                            "elapsed" => assert_eq!(
                                view.basis.target - view.remaining_secs,
                                duration(value),
                                "{what}"
                            ),
                            "remaining" => {
                                assert_eq!(view.remaining_secs, duration(value), "{what}")
                            }
                            // A local date and time: two words.
                            "due" => {
                                let time = tokens.next().unwrap();
                                assert_eq!(view.due_at, Some(local(value, time)), "{what}")
                            }
                            "office" => assert_eq!(view.office(), value, "{what}"),
                            other => panic!("unknown key {other} in {line}"),
                        }
                        checked += 1;
                    }
                    continue;
                }
                other => panic!("unknown event {other} in {line}"),
            };
            live.act(transition, at, (verb == "forward").then(|| parts[3]));
        }
        checked
    }

    #[test]
    fn docs_sla_md_examples_hold() {
        let mut examples = 0;
        let mut checked = 0;
        let mut rest = DOC;
        while let Some(start) = rest.find("```sla-example\n") {
            let body = &rest[start + "```sla-example\n".len()..];
            let end = body.find("```").unwrap();
            checked += run(&body[..end]);
            examples += 1;
            rest = &body[end + 3..];
        }
        assert!(examples >= 5, "{examples} examples in docs/sla.md");
        assert!(checked >= 20, "{checked} expectations in docs/sla.md");
    }
}

// ---------------------------------------------------------------------------------------------
// Acceptance: random histories against a reference that walks them minute by minute.

mod reference {
    use std::sync::OnceLock;

    use combipat::domain::calendar::{
        CalendarSet, CalendarSpec, Measure, OfficeCalendarSpec, PatronDay, WeeklyHours,
    };
    use combipat::domain::request::{Priority, Status, Transition};
    use combipat::domain::sla::{ClockKind, Policy, SlaState, countdown, standing};
    use combipat::service::Sla;
    use jiff::Timestamp;
    use jiff::civil::{Date, Weekday, date};
    use proptest::prelude::*;

    use super::fidelity::Live;

    /// Offices with different patron saints and hours. Hours are minutes of the local day, for
    /// Monday to Sunday.
    struct Office {
        code: &'static str,
        hours: [&'static [(u16, u16)]; 7],
        patron: Option<(i8, i8)>,
    }

    const WEEKDAY_8_18: &[(u16, u16)] = &[(480, 1080)];
    const WEEKDAY_0730_1930: &[(u16, u16)] = &[(450, 1170)];
    const MORNING_8_14: &[(u16, u16)] = &[(480, 840)];
    const SATURDAY_8_13: &[(u16, u16)] = &[(480, 780)];
    const ALL_DAY: &[(u16, u16)] = &[(0, 1440)];
    const CLOSED: &[(u16, u16)] = &[];

    const OFFICES: [Office; 4] = [
        Office {
            code: "RM",
            hours: [
                WEEKDAY_8_18,
                WEEKDAY_8_18,
                WEEKDAY_8_18,
                WEEKDAY_8_18,
                WEEKDAY_8_18,
                CLOSED,
                CLOSED,
            ],
            patron: Some((6, 29)),
        },
        Office {
            code: "MI",
            hours: [
                WEEKDAY_0730_1930,
                WEEKDAY_0730_1930,
                WEEKDAY_0730_1930,
                WEEKDAY_0730_1930,
                WEEKDAY_0730_1930,
                CLOSED,
                CLOSED,
            ],
            patron: Some((12, 7)),
        },
        Office {
            code: "TS",
            hours: [
                MORNING_8_14,
                MORNING_8_14,
                MORNING_8_14,
                MORNING_8_14,
                MORNING_8_14,
                SATURDAY_8_13,
                CLOSED,
            ],
            patron: Some((11, 3)),
        },
        Office {
            code: "H24",
            hours: [ALL_DAY; 7],
            patron: None,
        },
    ];

    /// Italian national holidays of 2026 and 2027 (Easter Monday: 6 April 2026, 29 March 2027).
    const NATIONAL: [(i16, i8, i8); 24] = [
        (2026, 1, 1),
        (2026, 1, 6),
        (2026, 4, 6),
        (2026, 4, 25),
        (2026, 5, 1),
        (2026, 6, 2),
        (2026, 8, 15),
        (2026, 10, 4),
        (2026, 11, 1),
        (2026, 12, 8),
        (2026, 12, 25),
        (2026, 12, 26),
        (2027, 1, 1),
        (2027, 1, 6),
        (2027, 3, 29),
        (2027, 4, 25),
        (2027, 5, 1),
        (2027, 6, 2),
        (2027, 8, 15),
        (2027, 10, 4),
        (2027, 11, 1),
        (2027, 12, 8),
        (2027, 12, 25),
        (2027, 12, 26),
    ];

    /// 2026-01-01 00:00 in Rome, as UTC seconds; minute `u` of the walk is `ORIGIN + 60 u`.
    fn origin() -> i64 {
        // 2025-12-31T23:00:00Z.
        1_767_222_000
    }

    /// Summer time: from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
    /// of October.
    fn utc_offset_minutes(utc: i64) -> i64 {
        let last_sunday = |year: i16, month: i8| {
            let mut d = date(year, month, 31);
            while d.weekday() != Weekday::Sunday {
                d = d.yesterday().unwrap();
            }
            d.at(1, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::UTC)
                .unwrap()
                .timestamp()
                .as_second()
        };
        static SWITCHES: OnceLock<Vec<(i64, i64)>> = OnceLock::new();
        let switches = SWITCHES.get_or_init(|| {
            [2026, 2027]
                .iter()
                .map(|&y| (last_sunday(y, 3), last_sunday(y, 10)))
                .collect()
        });
        if switches.iter().any(|&(on, off)| (on..off).contains(&utc)) {
            120
        } else {
            60
        }
    }

    /// Per office and UTC minute since the origin: minutes of business already done that local
    /// day, or -1 when closed; per office and local day: business minutes of the day.
    struct Tables {
        day_of: Vec<u32>,
        position: Vec<Vec<i32>>,
        day_len: Vec<Vec<i32>>,
    }

    const DAYS: usize = 730;

    fn tables() -> &'static Tables {
        static TABLES: OnceLock<Tables> = OnceLock::new();
        TABLES.get_or_init(|| {
            let days: Vec<Date> = (0..DAYS)
                .map(|d| date(2026, 1, 1) + jiff::Span::new().days(d as i64))
                .collect();
            let national: Vec<bool> = days
                .iter()
                .map(|day| NATIONAL.iter().any(|&(y, m, d)| *day == date(y, m, d)))
                .collect();
            let weekdays: Vec<usize> = days
                .iter()
                .map(|day| day.weekday().to_monday_zero_offset() as usize)
                .collect();
            let origin = origin();
            let minutes = DAYS * 1440 - 60;
            let mut day_of = Vec::with_capacity(minutes);
            let mut local_minute = Vec::with_capacity(minutes);
            for u in 0..minutes as i64 {
                let utc = origin + u * 60;
                let local = u + utc_offset_minutes(utc) - 60;
                day_of.push((local / 1440) as u32);
                local_minute.push((local % 1440) as u16);
            }
            let mut position = Vec::new();
            let mut day_len = Vec::new();
            for office in &OFFICES {
                let mut pos = vec![-1i32; minutes];
                let mut len = vec![0i32; DAYS];
                let closed: Vec<bool> = days
                    .iter()
                    .zip(&national)
                    .map(|(day, &n)| n || office.patron == Some((day.month(), day.day())))
                    .collect();
                for u in 0..minutes {
                    let d = day_of[u] as usize;
                    let m = local_minute[u];
                    let open = !closed[d]
                        && office.hours[weekdays[d]]
                            .iter()
                            .any(|&(a, b)| m >= a && m < b);
                    if open {
                        pos[u] = len[d];
                        len[d] += 1;
                    }
                }
                position.push(pos);
                day_len.push(len);
            }
            Tables {
                day_of,
                position,
                day_len,
            }
        })
    }

    fn calendars() -> &'static CalendarSet {
        static SET: OnceLock<CalendarSet> = OnceLock::new();
        SET.get_or_init(|| {
            let offices = OFFICES.iter().map(|office| {
                let mut hours = WeeklyHours::closed();
                for (i, day) in office.hours.iter().enumerate() {
                    let text: Vec<String> = day
                        .iter()
                        .map(|(a, b)| {
                            format!("{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
                        })
                        .collect();
                    let weekday = Weekday::from_monday_zero_offset(i as i8).unwrap();
                    hours.set_day(weekday, &text.join(",")).unwrap();
                }
                OfficeCalendarSpec {
                    code: office.code.into(),
                    spec: CalendarSpec {
                        hours,
                        patron: office
                            .patron
                            .map(|(m, d)| PatronDay::fixed(m, d, "Patrono")),
                        ..CalendarSpec::default()
                    },
                }
            });
            CalendarSet::new(offices, 2026..=2027).unwrap()
        })
    }

    fn sla() -> &'static Sla {
        static SLA: OnceLock<Sla> = OnceLock::new();
        SLA.get_or_init(|| Sla::new(Policy::embedded().unwrap(), calendars().clone()))
    }

    /// Targets of the embedded policy for pensioni (`Nh` in seconds, `Nd` in day units).
    fn target(kind: ClockKind, urgent: bool) -> (i64, Option<i64>) {
        const DAY: i64 = 36_000;
        match (kind, urgent) {
            (ClockKind::PresaInCarico, false) => (8 * 3600, None),
            (ClockKind::PresaInCarico, true) => (4 * 3600, None),
            (ClockKind::FirstReply, false) => (3 * DAY, Some(DAY)),
            (ClockKind::FirstReply, true) => (2 * DAY, Some(DAY)),
            (ClockKind::NextReply, _) => (2 * DAY, Some(DAY)),
            (ClockKind::Resolution, false) => (7 * DAY, Some(DAY)),
            (ClockKind::Resolution, true) => (5 * DAY, Some(DAY)),
        }
    }

    struct RefClock {
        kind: ClockKind,
        target: i64,
        day_units: Option<i64>,
        stopped: bool,
        elapsed: i64,
        at_now: Option<(i64, bool)>,
        due: Option<i64>,
    }

    impl RefClock {
        fn new(kind: ClockKind, urgent: bool) -> Self {
            let (target, day_units) = target(kind, urgent);
            RefClock {
                kind,
                target,
                day_units,
                stopped: false,
                elapsed: 0,
                at_now: None,
                due: None,
            }
        }

        /// Counts minute `u` on `office`'s calendar; records the second the target is reached.
        fn count(&mut self, u: usize, office: usize) {
            let t = tables();
            let p = t.position[office][u];
            if p < 0 {
                return;
            }
            let start = origin() + 60 * u as i64;
            let gained = |secs: i64| -> i64 {
                match self.day_units {
                    None => secs,
                    Some(d) => {
                        let len = i64::from(t.day_len[office][t.day_of[u] as usize]) * 60;
                        let p = i64::from(p) * 60;
                        (p + secs) * d / len - p * d / len
                    }
                }
            };
            if self.due.is_none() && self.elapsed + gained(60) >= self.target {
                let need = self.target - self.elapsed;
                let s = (1..=60).find(|&s| gained(s) >= need).unwrap();
                self.due = Some(start + s);
            }
            self.elapsed += gained(60);
        }
    }

    const OFFICE_CODES: [&str; 4] = ["RM", "MI", "TS", "H24"];

    const ACTIONS: [Transition; 9] = [
        Transition::Take,
        Transition::Assign,
        Transition::Release,
        Transition::Reply,
        Transition::RequestIntegration,
        Transition::PatronatoMessage,
        Transition::Forward,
        Transition::Close,
        Transition::Reopen,
    ];

    /// Window starts: Easter and the March DST change of 2026 and 2027 (28 March 2027 is both),
    /// 29 June, the October DST change with 1 and 3 November, 7–8 December.
    const WINDOWS: [&str; 6] = [
        "2026-03-20T07:00:00Z",
        "2027-03-18T07:00:00Z",
        "2027-06-20T07:00:00Z",
        "2026-10-16T07:00:00Z",
        "2026-11-25T07:00:00Z",
        "2027-10-22T07:00:00Z",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn clocks_equal_a_minute_by_minute_walk_of_the_history(
            window in 0usize..WINDOWS.len(),
            offset in 0i64..(10 * 1440),
            office in 0usize..OFFICES.len(),
            urgent in any::<bool>(),
            steps in proptest::collection::vec(
                (0usize..12, prop_oneof![3 => 0i64..600, 2 => 0i64..(4 * 1440)], 0usize..OFFICES.len()),
                0..10,
            ),
            probe in 0i64..(15 * 1440),
        ) {
            let origin = origin();
            let start: Timestamp = WINDOWS[window].parse().unwrap();
            let filed_min = (start.as_second() - origin) / 60 + offset;
            let at = |m: i64| Timestamp::from_second(origin + 60 * m).unwrap();
            // The history: legal transitions only, forwards to another office.
            let mut events: Vec<(i64, Transition, usize)> = Vec::new();
            let (mut status, mut current, mut m) = (Status::Nuova, office, filed_min);
            for (action, gap, to) in steps {
                // The action-th of the transitions legal now, so every step does something.
                let legal: Vec<Transition> =
                    ACTIONS.into_iter().filter(|t| status.apply(*t).is_ok()).collect();
                let transition = legal[action % legal.len()];
                let Ok(next) = status.apply(transition) else { continue };
                m += gap;
                if transition == Transition::Forward {
                    current = if to == current { (to + 1) % OFFICES.len() } else { to };
                }
                status = next;
                events.push((m, transition, current));
            }
            let now_min = m + probe;
            let now = at(now_min);

            // The service's clocks.
            let sla = sla();
            let mut live = Live::file(sla, OFFICE_CODES[office], at(filed_min));
            live.request.priority = if urgent { Priority::Urgente } else { Priority::Normale };
            live.clocks = sla.after_event(&[], &live.request, combipat::domain::sla::SlaEvent::Filed, at(filed_min));
            for &(m, transition, office) in &events {
                let to = (transition == Transition::Forward).then_some(OFFICE_CODES[office]);
                live.act(transition, at(m), to);
            }

            // The reference: apply each event's rule, then count every minute a clock runs on
            // the calendar of the office competent in that minute.
            let mut clocks: Vec<RefClock> = [ClockKind::PresaInCarico, ClockKind::FirstReply, ClockKind::Resolution]
                .into_iter()
                .map(|k| RefClock::new(k, urgent))
                .collect();
            let (mut paused, mut competent, mut next_event) = (false, office, 0usize);
            let horizon = (DAYS as i64) * 1440 - 60;
            let mut u = filed_min;
            while u < horizon {
                while next_event < events.len() && events[next_event].0 == u {
                    let (_, transition, office) = events[next_event];
                    next_event += 1;
                    competent = office;
                    let stop = |clocks: &mut Vec<RefClock>, kinds: &[ClockKind]| {
                        for c in clocks.iter_mut().filter(|c| kinds.contains(&c.kind)) {
                            c.stopped = true;
                        }
                    };
                    let open_next = |clocks: &Vec<RefClock>| {
                        clocks.iter().any(|c| c.kind == ClockKind::NextReply && !c.stopped)
                    };
                    match transition {
                        Transition::Take | Transition::Assign => stop(&mut clocks, &[ClockKind::PresaInCarico]),
                        Transition::Reply => {
                            stop(&mut clocks, &[ClockKind::PresaInCarico, ClockKind::FirstReply, ClockKind::NextReply]);
                            paused = false;
                        }
                        Transition::RequestIntegration => paused = true,
                        Transition::PatronatoMessage => {
                            paused = false;
                            let first_done = clocks.iter().any(|c| c.kind == ClockKind::FirstReply && c.stopped);
                            if first_done && !open_next(&clocks) {
                                clocks.push(RefClock::new(ClockKind::NextReply, urgent));
                            }
                        }
                        Transition::Close => {
                            clocks.iter_mut().for_each(|c| c.stopped = true);
                            paused = false;
                        }
                        Transition::Reopen => {
                            for c in clocks.iter_mut().filter(|c| c.kind == ClockKind::Resolution) {
                                c.stopped = false;
                            }
                            if !open_next(&clocks) {
                                clocks.push(RefClock::new(ClockKind::NextReply, urgent));
                            }
                        }
                        // Forward: the office changes, a pause goes on.
                        _ => {}
                    }
                }
                if u == now_min {
                    for c in &mut clocks {
                        c.at_now = Some((c.elapsed, !c.stopped && !paused));
                    }
                }
                let running_now = |c: &RefClock| c.at_now.is_none_or(|(_, running)| running);
                if u >= now_min && clocks.iter().all(|c| !running_now(c) || c.due.is_some()) {
                    break;
                }
                for c in clocks.iter_mut().filter(|c| !c.stopped && !paused) {
                    if c.at_now.is_none() || running_now(c) {
                        c.count(u as usize, competent);
                    }
                }
                u += 1;
            }
            prop_assert_eq!(live.clocks.len(), clocks.len());
            for (clock, reference) in live.clocks.iter().zip(&clocks) {
                prop_assert_eq!(clock.kind, reference.kind);
                let (elapsed, running) = reference.at_now.unwrap();
                let reached = |pct: i64| elapsed * 100 >= reference.target * pct;
                let state = match (running, reference.stopped || clock.is_stopped()) {
                    (true, _) if reached(100) => SlaState::Breached,
                    (true, _) if reached(90) => SlaState::Critical,
                    (true, _) if reached(75) => SlaState::Warning,
                    (true, _) => SlaState::Ok,
                    (false, true) if reached(100) => SlaState::Missed,
                    (false, true) => SlaState::Met,
                    (false, false) => SlaState::Paused,
                };
                let due = if running {
                    reference.due.map(|s| Timestamp::from_second(s).unwrap())
                } else {
                    None
                };
                let measure = match reference.day_units {
                    None => Measure::Seconds,
                    Some(units) => Measure::Days { units },
                };
                prop_assert_eq!(clock.measure, measure);
                let walked = countdown(clock, now, calendars()).unwrap();
                let expected = (state, elapsed, reference.target - elapsed, due);
                prop_assert_eq!(
                    (walked.state, walked.elapsed_secs, walked.remaining_secs, walked.due_at),
                    expected,
                    "{:?} at {} after {:?}", clock.kind, now, events
                );
                // The prepared path the service reads agrees too.
                let (fast, _) = standing(clock, now, calendars()).unwrap();
                prop_assert_eq!(fast, walked);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The service: alert events over SSE, configured calendars and policies.

mod common;

mod service {
    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    use combipat::api::{EventEnvelope, RequestDetail};
    use combipat::config::Config;
    use combipat::demo::Dataset;
    use combipat::domain::request::{
        ActorRef, HistoryEntry, Priority, Request, RequestId, Status, Topic, Transition,
    };
    use combipat::domain::roles::Role;
    use combipat::domain::sla::{AlertLevel, ClockKind};
    use combipat::service::core::SlaAlert;
    use combipat::service::{self, RunningService, ServiceConfig, alerts};
    use futures::StreamExt;
    use jiff::civil::{Date, Weekday, date};
    use jiff::tz::TimeZone;
    use jiff::{Timestamp, ToSpan};
    use reqwest::StatusCode;
    use serde_json::json;

    use super::common::{http, loopback};

    /// The test week: the second Monday of November of last year (no holiday Monday–Friday in
    /// Rome), so every instant is in the past and inside the years a service precomputes.
    fn monday() -> Date {
        let year = jiff::Zoned::now().year() - 1;
        let first = date(year, 11, 1);
        let offset = (7 + 1 - first.weekday().to_monday_one_offset()) % 7;
        first.checked_add((offset + 7).days()).unwrap()
    }

    /// `HH:MM` in Rome on the day `days` after the test Monday.
    fn rome(days: i64, hh_mm: &str) -> Timestamp {
        let day = monday().checked_add(days.days()).unwrap();
        let time: jiff::civil::Time = hh_mm.parse().unwrap();
        day.to_datetime(time)
            .to_zoned(TimeZone::get("Europe/Rome").unwrap())
            .unwrap()
            .timestamp()
    }

    fn actor(role: Role) -> ActorRef {
        ActorRef {
            id: "test".into(),
            name: "Test".into(),
            role,
        }
    }

    /// The starter offices and people, with two RM01 requests of our own: A filed on Monday at
    /// 08:00 and untouched; B answered on Monday and followed up by the patronato at 11:00, so
    /// its next-reply clock runs from then.
    fn dataset() -> (Dataset, RequestId, RequestId) {
        let mut data = service::starter_dataset(7, rome(0, "08:00"));
        let citizen = data.citizens[0].codice_fiscale.clone();
        data.requests.clear();
        let year = monday().year();
        let filed = rome(0, "08:00");
        let base = Request {
            id: RequestId::new(year, 9001),
            patronato: "INCA".into(),
            office: "RM01".into(),
            topic: Topic::Pensioni,
            citizen,
            application_protocol: None,
            subject: "Ricostituzione".into(),
            priority: Priority::Normale,
            status: Status::Nuova,
            assignee: None,
            tags: vec![],
            outcome: None,
            created_at: filed,
            updated_at: filed,
            version: 1,
            thread: vec![],
            history: vec![],
        };
        let a = base.clone();
        let mut b = Request {
            id: RequestId::new(year, 9002),
            ..base
        };
        for (transition, at, role) in [
            (Transition::Take, rome(0, "09:00"), Role::Operator),
            (Transition::Reply, rome(0, "10:00"), Role::Operator),
            (
                Transition::PatronatoMessage,
                rome(0, "11:00"),
                Role::Patronato,
            ),
        ] {
            let from = b.status;
            let to = from.apply(transition).unwrap();
            b.history.push(HistoryEntry {
                at,
                actor: actor(role),
                transition,
                from,
                to,
                detail: None,
            });
            b.status = to;
            b.updated_at = at;
            b.version += 1;
        }
        let ids = (a.id.clone(), b.id.clone());
        data.requests.extend([a, b]);
        (data, ids.0, ids.1)
    }

    async fn start(dir: &Path, config: Option<&Config>) -> RunningService {
        let mut service_config = ServiceConfig::new(loopback(), dir)
            .with_demo(true)
            .with_alert_interval(None);
        if let Some(config) = config {
            service_config = service_config.with_config(config, None).unwrap();
        }
        service::start(service_config).await.unwrap()
    }

    async fn seeded(
        config: Option<&Config>,
    ) -> (tempfile::TempDir, RunningService, RequestId, RequestId) {
        let dir = tempfile::tempdir().unwrap();
        let (data, a, b) = dataset();
        service::seed_demo(dir.path(), data).await.unwrap();
        let running = start(dir.path(), config).await;
        (dir, running, a, b)
    }

    fn token(service: &RunningService, role: Role) -> String {
        service
            .credentials()
            .unwrap()
            .token(role)
            .unwrap()
            .to_string()
    }

    type Events = std::pin::Pin<
        Box<
            dyn futures::Stream<
                    Item = Result<
                        eventsource_stream::Event,
                        eventsource_stream::EventStreamError<reqwest::Error>,
                    >,
                > + Send,
        >,
    >;

    async fn subscribe(service: &RunningService, after: u64) -> Events {
        use eventsource_stream::Eventsource;
        let resp = http()
            .get(format!("{}/v1/events?after={after}", service.base_url()))
            .bearer_auth(token(service, Role::Operator))
            .timeout(Duration::from_secs(300))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        Box::pin(resp.bytes_stream().eventsource())
    }

    /// Tags request `on` (a write that yields a `request.*` event), then returns every event
    /// streamed before that one: all the alerts raised so far, and nothing later.
    async fn until_sentinel(
        service: &RunningService,
        stream: &mut Events,
        on: &RequestId,
        tag: &str,
    ) -> Vec<EventEnvelope> {
        let resp = http()
            .post(format!(
                "{}/v1/requests/{}/actions",
                service.base_url(),
                on.as_str()
            ))
            .bearer_auth(token(service, Role::Operator))
            .json(&json!({"action": "tag", "tag": tag}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{}",
            resp.text().await.unwrap()
        );
        let mut seen = Vec::new();
        loop {
            let event = tokio::time::timeout(Duration::from_secs(60), stream.next())
                .await
                .expect("event in time")
                .expect("stream open")
                .expect("valid event");
            let envelope: EventEnvelope = serde_json::from_str(&event.data).unwrap();
            assert_eq!(event.event, envelope.kind);
            if !envelope.kind.starts_with("sla.") && envelope.request_id.as_ref() == Some(on) {
                return seen;
            }
            seen.push(envelope);
        }
    }

    /// `(kind, level)` of the alerts about one clock of one request, in order.
    fn alerts_of(events: &[EventEnvelope], id: &RequestId, clock: ClockKind) -> Vec<String> {
        events
            .iter()
            .filter(|e| e.request_id.as_ref() == Some(id) && e.data["clock"] == clock.code())
            .map(|e| e.kind.clone())
            .collect()
    }

    async fn scan(service: &RunningService, at: Timestamp) -> alerts::ScanReport {
        alerts::scan(service.store().as_ref(), &service.sla(), at)
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn first_reply_alerts_once_per_level_in_business_hours_only() {
        let (dir, running, a, _) = seeded(None).await;
        let mut stream = subscribe(&running, 0).await;
        let first_reply = |events: &[EventEnvelope]| alerts_of(events, &a, ClockKind::FirstReply);

        // First reply: 3 business days of 10 h from Monday 08:00, so 75 % on Wednesday at
        // 10:30, 90 % at 15:00, 100 % at Wednesday's closing time.
        scan(&running, rome(0, "09:00")).await;
        scan(&running, rome(2, "10:29")).await;
        assert_eq!(
            first_reply(&until_sentinel(&running, &mut stream, &a, "t1").await),
            Vec::<String>::new()
        );

        scan(&running, rome(2, "10:30")).await;
        let again = scan(&running, rome(2, "10:45")).await;
        let events = until_sentinel(&running, &mut stream, &a, "t2").await;
        assert_eq!(first_reply(&events), ["sla.warning"]);
        assert_eq!(again.raised, 0, "a second scan raises nothing new");
        let warning = events
            .iter()
            .find(|e| e.data["clock"] == "first_reply")
            .unwrap();
        assert_eq!(warning.office.as_deref(), Some("RM01"));
        assert_eq!(warning.data["request_id"], a.as_str());
        assert_eq!(warning.data["level"], "warning");
        assert_eq!(warning.data["office"], "RM01");
        assert_eq!(warning.data["due_at"], rome(2, "18:00").to_string());

        // Two scans at once raise the critical alert once.
        let (one, two) = tokio::join!(
            scan(&running, rome(2, "15:00")),
            scan(&running, rome(2, "15:00"))
        );
        assert_eq!(one.raised + two.raised, one.due.max(two.due));
        let events = until_sentinel(&running, &mut stream, &a, "t3").await;
        assert_eq!(first_reply(&events), ["sla.critical"]);

        // Breached at 18:00 with the office closed: nothing at night, the alert comes with
        // Thursday's opening.
        scan(&running, rome(2, "18:00")).await;
        scan(&running, rome(2, "23:30")).await;
        scan(&running, rome(3, "07:59")).await;
        assert_eq!(
            first_reply(&until_sentinel(&running, &mut stream, &a, "t4").await),
            Vec::<String>::new()
        );
        scan(&running, rome(3, "08:00")).await;
        let events = until_sentinel(&running, &mut stream, &a, "t5").await;
        assert_eq!(first_reply(&events), ["sla.breach"]);
        let last_seq = events.last().map_or(0, |e| e.seq);
        drop(stream);

        // After a restart on the same data dir nothing is raised again.
        running.shutdown().await.unwrap();
        let running = start(dir.path(), None).await;
        let mut stream = subscribe(&running, last_seq).await;
        let report = scan(&running, rome(3, "09:00")).await;
        assert_eq!(report.raised, 0, "{report:?}");
        let events = until_sentinel(&running, &mut stream, &a, "t6").await;
        assert!(
            events
                .iter()
                .all(|e| e.request_id.as_ref() != Some(&a) || e.data["clock"] != "first_reply"),
            "{events:?}"
        );
        running.shutdown().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_restarted_next_reply_clock_alerts_again() {
        let (_dir, running, a, b) = seeded(None).await;
        let mut stream = subscribe(&running, 0).await;
        // Next reply: 2 business days from Monday 11:00; 75 % on Tuesday at 16:00.
        scan(&running, rome(1, "16:00")).await;
        let events = until_sentinel(&running, &mut stream, &a, "n1").await;
        assert_eq!(
            alerts_of(&events, &b, ClockKind::NextReply),
            ["sla.warning"]
        );

        // The office answers and the patronato adds information (now): a new next-reply clock.
        let post = |role: Role, kind: &str| {
            http()
                .post(format!(
                    "{}/v1/requests/{}/messages",
                    running.base_url(),
                    b.as_str()
                ))
                .bearer_auth(token(&running, role))
                .json(&json!({"kind": kind, "body": "ecco"}))
                .send()
        };
        assert_eq!(
            post(Role::Operator, "reply").await.unwrap().status(),
            StatusCode::CREATED
        );
        assert_eq!(
            post(Role::Patronato, "patronato_message")
                .await
                .unwrap()
                .status(),
            StatusCode::CREATED
        );
        let watched = running.store().watched_clocks().await.unwrap();
        let restarted = watched
            .iter()
            .find(|w| w.request_id == b && w.clock.kind == ClockKind::NextReply)
            .expect("a running next-reply clock");
        assert_eq!(restarted.raised, None);
        // Its own 75 % (15 business hours), a minute later, in business hours.
        let sla = running.sla();
        let calendar = sla.calendars().get("RM01").unwrap();
        let crossing = calendar
            .add_business_seconds(restarted.clock.started_at, 15 * 3600)
            .unwrap();
        let at = calendar
            .next_business_instant(crossing.checked_add(1.minute()).unwrap())
            .unwrap();
        scan(&running, at).await;
        let events = until_sentinel(&running, &mut stream, &a, "n2").await;
        assert_eq!(
            alerts_of(&events, &b, ClockKind::NextReply),
            ["sla.warning"]
        );

        // What makes concurrent scans safe: the store takes a level only above the stored one.
        let alert = |level| SlaAlert {
            request_id: b.clone(),
            kind: ClockKind::NextReply,
            clock_started_at: restarted.clock.started_at,
            level,
            due_at: None,
        };
        let store = running.store();
        let raise = |level| store.raise_sla_alerts(vec![alert(level)], at);
        assert_eq!(raise(AlertLevel::Critical).await.unwrap(), 1);
        assert_eq!(raise(AlertLevel::Critical).await.unwrap(), 0);
        assert_eq!(raise(AlertLevel::Warning).await.unwrap(), 0);
        running.shutdown().await.unwrap();
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn first_reply_due(detail: &RequestDetail) -> Option<Timestamp> {
        detail
            .summary
            .clocks
            .iter()
            .find(|c| c.kind == ClockKind::FirstReply)
            .and_then(|c| c.due_at)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(running: &RunningService, path: &str) -> T {
        let resp = http()
            .get(format!("{}{path}", running.base_url()))
            .bearer_auth(token(running, Role::Operator))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_configured_closure_moves_due_instants_and_is_listed() {
        let tuesday = monday().checked_add(1.day()).unwrap();
        assert_eq!(tuesday.weekday(), Weekday::Tuesday);
        let files = tempfile::tempdir().unwrap();
        let file = write(
            files.path(),
            "config.toml",
            &format!(
                "[[calendar.closures]]\noffice = \"RM01\"\ndate = {tuesday}\nreason = \"Disinfestazione\"\n"
            ),
        );
        let config = Config::load(Some(&file), None).unwrap();

        let (_d1, plain, a, _) = seeded(None).await;
        let (_d2, closed, _, _) = seeded(Some(&config)).await;
        let path = format!("/v1/requests/{}", a.as_str());
        let default_due = first_reply_due(&get_json(&plain, &path).await);
        let closed_due = first_reply_due(&get_json(&closed, &path).await);
        assert_eq!(default_due, Some(rome(2, "18:00")));
        assert_eq!(closed_due, Some(rome(3, "18:00")), "one business day later");

        let year = tuesday.year();
        let days: Vec<serde_json::Value> =
            get_json(&closed, &format!("/v1/calendar/RM01?year={year}")).await;
        let listed = days
            .iter()
            .find(|d| d["date"] == tuesday.to_string())
            .expect("the closure is listed");
        assert_eq!(listed["reasons"], json!(["Chiusura: Disinfestazione"]));
        let elsewhere: Vec<serde_json::Value> =
            get_json(&closed, &format!("/v1/calendar/MI01?year={year}")).await;
        assert!(elsewhere.iter().all(|d| d["date"] != tuesday.to_string()));
        plain.shutdown().await.unwrap();
        closed.shutdown().await.unwrap();
    }

    fn serve_fails(args: &[&str]) -> String {
        let data = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_combipat"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "serve must refuse to start");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    #[test]
    fn a_broken_policy_file_is_rejected_at_start_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let policy = write(
            dir.path(),
            "sla.toml",
            "[sla]\nwarning = 75\ncritical = 90\nbreach = 80\n\n[sla.default]\npresa_in_carico = \"8h\"\nfirst_reply = \"3d\"\nnext_reply = \"2d\"\nresolution = \"7d\"\n",
        );
        let stderr = serve_fails(&["--policy", policy.to_str().unwrap()]);
        let at = format!("{}:4:", policy.display());
        assert!(stderr.contains(&at), "{stderr}");
        assert!(stderr.contains("critical (90) <= breach (80)"), "{stderr}");

        // The same through the configuration file, by reference and inline.
        let config = write(dir.path(), "by-ref.toml", "[sla]\npolicy = \"sla.toml\"\n");
        let stderr = serve_fails(&["--config", config.to_str().unwrap()]);
        assert!(stderr.contains(&at), "{stderr}");
        let inline = write(
            dir.path(),
            "inline.toml",
            "lang = \"it\"\n\n[sla.default]\npresa_in_carico = \"8h\"\nfirst_reply = \"3 giorni\"\nnext_reply = \"2d\"\nresolution = \"7d\"\n",
        );
        let stderr = serve_fails(&["--config", inline.to_str().unwrap()]);
        assert!(
            stderr.contains(&format!("{}:5:", inline.display())),
            "{stderr}"
        );
        assert!(stderr.contains("'3 giorni' is not a target"), "{stderr}");

        // The workstation's embedded service reads the same configuration.
        let data = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_combipat"))
            .arg("--config")
            .arg(&inline)
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "the workstation must refuse to start"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{}:5:", inline.display())),
            "{stderr}"
        );
    }
}
