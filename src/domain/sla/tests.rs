use super::*;

#[test]
fn embedded_policy_is_valid_and_complete() {
    let policy = Policy::embedded().unwrap();
    assert_eq!(policy.thresholds, Thresholds::default());
    assert_eq!(
        policy.target_secs(ClockKind::FirstReply, Topic::Pensioni, Priority::Normale),
        3 * 10 * 3600
    );
    assert_eq!(
        policy.target_secs(ClockKind::PresaInCarico, Topic::Pensioni, Priority::Urgente),
        4 * 3600
    );
}

#[test]
fn policy_errors_carry_line_and_reason() {
    let cases = [
        ("[sla]\nwarning = 75\ncritical = 70\n", 3, "critical"),
        (
            "[sla]\n[sla.default]\npresa_in_carico = \"8x\"\n",
            3,
            "not a target",
        ),
        (
            "[sla]\n[sla.default]\npresa_in_carico = \"8h\"\nfirst_reply = \"1d\"\nnext_reply = \"1d\"\nresolution = \"2d\"\n[sla.targets.pensione.urgente]\n",
            7,
            "unknown topic",
        ),
        ("[sla]\nwarnin = 3\n", 2, "unknown field"),
        (
            "[sla]\n[sla.default]\npresa_in_carico = \"8h\"\n",
            1,
            "lacks a target",
        ),
        ("[sla\n", 1, ""),
    ];
    for (text, line, reason) in cases {
        let err = Policy::from_toml(text, "policy.toml").unwrap_err();
        assert_eq!(err.file, "policy.toml");
        assert_eq!(err.line, line, "{text}: {err}");
        assert!(err.reason.contains(reason), "{text}: {err}");
    }
}

#[test]
fn config_example_documents_the_embedded_policy() {
    let example = include_str!("../../../config.example.toml");
    assert_eq!(
        Policy::from_toml(example, "config.example.toml"),
        Policy::embedded()
    );
}

#[test]
fn crossings_are_the_instants_countdown_changes_level() {
    use crate::domain::calendar::CalendarSet;
    let calendars = CalendarSet::from_registry(2027..=2027, |_, _| {}).unwrap();
    let policy = Policy::embedded().unwrap();
    // Monday 15 March 2027, 08:00 in Rome (CET, UTC+1): first reply due in 30 business hours.
    let filed: Timestamp = "2027-03-15T07:00:00Z".parse().unwrap();
    let change = ClockChange {
        event: SlaEvent::Filed,
        at: filed,
        office: "RM01",
        topic: Topic::Pensioni,
        priority: Priority::Normale,
    };
    let clocks = on_transition(&[], &change, &policy);
    let clock = clocks
        .iter()
        .find(|c| c.kind == ClockKind::FirstReply)
        .unwrap();
    let now: Timestamp = "2027-03-15T08:00:00Z".parse().unwrap();
    let standing = countdown(clock, now, &calendars).unwrap();
    let c = crossings(clock, &standing, now, &calendars)
        .unwrap()
        .unwrap();
    // 75 % = 22.5 h: Monday and Tuesday (20 h) + 2.5 h on Wednesday → 10:30 Rome.
    assert_eq!(c.warning, "2027-03-17T09:30:00Z".parse().unwrap());
    // 90 % = 27 h → Wednesday 15:00 Rome; 100 % = 30 h → Wednesday 18:00 Rome.
    assert_eq!(c.critical, "2027-03-17T14:00:00Z".parse().unwrap());
    assert_eq!(c.breach, "2027-03-17T17:00:00Z".parse().unwrap());
    assert_eq!(Some(c.breach), standing.due_at);
    let second = jiff::SignedDuration::from_secs(1);
    for (at, level) in [
        (c.warning, SlaState::Warning),
        (c.critical, SlaState::Critical),
        (c.breach, SlaState::Breached),
    ] {
        assert_eq!(countdown(clock, at, &calendars).unwrap().state, level);
        assert_ne!(
            countdown(clock, at - second, &calendars).unwrap().state,
            level
        );
        // Asked later, the instants do not move while the clock runs.
        let later = countdown(clock, at, &calendars).unwrap();
        assert_eq!(
            crossings(clock, &later, at, &calendars)
                .unwrap()
                .unwrap()
                .breach,
            c.breach
        );
    }
    // Past a threshold, its instant is reported at or before the asking instant.
    let late: Timestamp = "2027-03-18T08:00:00Z".parse().unwrap();
    let after = countdown(clock, late, &calendars).unwrap();
    let c = crossings(clock, &after, late, &calendars).unwrap().unwrap();
    assert!(c.warning <= late && c.critical <= late && c.breach <= late);
}
