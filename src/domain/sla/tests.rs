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
