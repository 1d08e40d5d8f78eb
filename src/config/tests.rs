use super::*;

fn parse(text: &str, profile: Option<&str>) -> Result<Config, ConfigError> {
    Config::parse(&Source::new("c.toml", text), profile)
}

#[test]
fn empty_file_gives_defaults() {
    let config = parse("", None).unwrap();
    assert_eq!(config.lang, Lang::It);
    assert_eq!(config.theme, "dark");
    assert_eq!(config.keymap, KeymapPreset::Default);
    assert!(!config.dashboard.named_operators);
    assert!(!config.canned_replies.is_empty());
}

#[test]
fn locate_finds_profile_section_first() {
    let text = "[server]\ntoken = \"a\"\n[profiles.x.server]\ntoken = \"b\"\n";
    let src = Source::new("c.toml", text);
    assert_eq!(
        src.locate(Some("x"), "server", "token")
            .map(|o| src.line_col(o).0),
        Some(4)
    );
    assert_eq!(
        src.locate(None, "server", "token")
            .map(|o| src.line_col(o).0),
        Some(2)
    );
}

#[test]
fn saved_filters_parse_and_unknown_fields_name_the_line() {
    let text = "[[filters]]\nname = \"Urgenti INCA\"\npatronato = \"INCA\"\npriority = \"urgente\"\n\n[[filters]]\nname = \"Arretrati\"\ntag = \"arretrati\"\n";
    let config = parse(text, None).unwrap();
    assert_eq!(config.filters.len(), 2);
    assert_eq!(config.filters[0].name, "Urgenti INCA");
    assert_eq!(
        config.filters[0].priority,
        Some(crate::domain::request::Priority::Urgente)
    );
    assert_eq!(config.filters[1].tag.as_deref(), Some("arretrati"));
    let err = parse("[[filters]]\nname = \"x\"\npatronat = \"INCA\"\n", None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("c.toml:3"), "{err}");
    assert!(err.contains("patronat"), "{err}");
}

#[test]
fn take_before_reply_is_on_unless_a_file_or_profile_turns_it_off() {
    assert!(parse("", None).unwrap().take_before_reply);
    let text = "[profiles.prudente]\ntake_before_reply = false\n";
    assert!(parse(text, None).unwrap().take_before_reply);
    assert!(!parse(text, Some("prudente")).unwrap().take_before_reply);
    assert!(parse("take_before_reply = \"sì\"\n", None).is_err());
}
