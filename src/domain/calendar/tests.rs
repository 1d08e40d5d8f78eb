use super::*;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn rome_calendar() -> BusinessCalendar {
    let spec = CalendarSpec {
        patron: Some(PatronDay::fixed(6, 29, "Santi Pietro e Paolo")),
        ..CalendarSpec::default()
    };
    BusinessCalendar::new(spec, 2026..=2027).unwrap()
}

#[test]
fn business_seconds_within_and_across_days() {
    let cal = rome_calendar();
    // Tuesday 2026-11-24, CET (UTC+1): 09:00–11:00 local.
    assert_eq!(
        cal.business_seconds(ts("2026-11-24T08:00:00Z"), ts("2026-11-24T10:00:00Z")),
        Ok(7200)
    );
    // From Friday 17:00 local to Monday 09:00 local: 1 h + 1 h.
    assert_eq!(
        cal.business_seconds(ts("2026-11-27T16:00:00Z"), ts("2026-11-30T08:00:00Z")),
        Ok(7200)
    );
    assert_eq!(
        cal.business_seconds(ts("2026-11-30T08:00:00Z"), ts("2026-11-27T16:00:00Z")),
        Ok(-7200)
    );
}

#[test]
fn add_business_seconds_is_inverse_of_business_seconds() {
    let cal = rome_calendar();
    let start = ts("2026-12-04T15:30:00Z");
    for secs in [1, 59, 3600, 36_000, 100_000, 1_000_000] {
        let due = cal.add_business_seconds(start, secs).unwrap();
        assert_eq!(cal.business_seconds(start, due), Ok(secs), "{secs}");
    }
    // Exactly the rest of the day ends at closing time, not at the next opening.
    assert_eq!(
        cal.add_business_seconds(ts("2026-11-24T16:00:00Z"), 3600),
        Ok(ts("2026-11-24T17:00:00Z"))
    );
}

#[test]
fn next_business_instant_and_out_of_range() {
    let cal = rome_calendar();
    assert_eq!(
        cal.next_business_instant(ts("2026-11-28T10:00:00Z")),
        Ok(ts("2026-11-30T07:00:00Z"))
    );
    assert_eq!(
        cal.next_business_instant(ts("2026-11-30T09:00:00Z")),
        Ok(ts("2026-11-30T09:00:00Z"))
    );
    assert!(
        cal.business_seconds(ts("2030-01-01T00:00:00Z"), ts("2030-01-02T00:00:00Z"))
            .is_err()
    );
    assert!(BusinessCalendar::new(CalendarSpec::default(), 1980..=1990).is_err());
}

#[test]
fn several_reasons_on_one_day() {
    let spec = CalendarSpec {
        patron: Some(PatronDay::fixed(4, 25, "San Marco")),
        closures: vec![Closure {
            date: date(2011, 4, 25),
            reason: "Trasloco".into(),
        }],
        ..CalendarSpec::default()
    };
    let cal = BusinessCalendar::new(spec, 2011..=2011).unwrap();
    let days = cal.closing_days(2011).unwrap();
    let day = days.iter().find(|d| d.date == date(2011, 4, 25)).unwrap();
    // 2011: Easter Monday coincides with Liberation Day.
    assert_eq!(day.reasons.len(), 4, "{day:?}");
}

#[test]
fn business_days_count_each_day_whole_however_long_it_is_open() {
    let mut hours = WeeklyHours::closed();
    // Monday 12 h, Tuesday 5 h.
    hours
        .set_day(jiff::civil::Weekday::Monday, "07:30-19:30")
        .unwrap();
    hours
        .set_day(jiff::civil::Weekday::Tuesday, "08:00-13:00")
        .unwrap();
    let cal = BusinessCalendar::new(
        CalendarSpec {
            hours,
            ..CalendarSpec::default()
        },
        2026..=2026,
    )
    .unwrap();
    let days = Measure::Days { units: 36_000 };
    // Monday 23 November 2026, CET: a whole Monday and a whole Tuesday are one day each.
    let monday = cal
        .measure_between(ts("2026-11-23T06:30:00Z"), ts("2026-11-23T18:30:00Z"), days)
        .unwrap();
    let tuesday = cal
        .measure_between(ts("2026-11-24T07:00:00Z"), ts("2026-11-24T12:00:00Z"), days)
        .unwrap();
    assert_eq!((monday, tuesday), (36_000, 36_000));
    // Half of Monday is half a day; in seconds it is 6 h.
    let half = ts("2026-11-23T12:30:00Z");
    assert_eq!(
        cal.measure_between(ts("2026-11-23T06:30:00Z"), half, days),
        Ok(18_000)
    );
    assert_eq!(
        cal.measure_between(ts("2026-11-23T06:30:00Z"), half, Measure::Seconds),
        Ok(6 * 3600)
    );
    // The same position of the day, one business day later: half of Tuesday is 10:30.
    let base = cal.total(half, days).unwrap();
    assert_eq!(
        cal.instant_at_total(base + 36_000, days),
        Some(ts("2026-11-24T09:30:00Z"))
    );
    // A target used up exactly at the end of a day falls at its closing time.
    assert_eq!(
        cal.instant_at_total(base + 18_000, days),
        Some(ts("2026-11-23T18:30:00Z"))
    );
}
