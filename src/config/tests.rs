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
