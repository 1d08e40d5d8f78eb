//! Every label of the cruscotto, Italian (default) and English, read once from the i18n
//! catalog (`dash.*` keys in `crate::i18n`).

/// UI language of the cruscotto: the one language type of the project.
pub use crate::i18n::Lang;

/// What the figures cover, as the header shows it (untrusted codes sanitised).
pub fn scope_label(scope: &crate::api::dashboard::DashboardScope, lang: Lang) -> String {
    use crate::api::dashboard::DashboardScope;
    use crate::domain::sanitize::inline;
    use crate::i18n::{t, tf};
    match scope {
        DashboardScope::Office(code) => {
            tf(lang, "dash.scope_office", &[("code", &inline(code, 16))])
        }
        DashboardScope::Region(region) => tf(
            lang,
            "dash.scope_region",
            &[("region", &inline(region, 24))],
        ),
        DashboardScope::National => t(lang, "dash.scope_national").to_string(),
    }
}

/// The labels of one language.
#[derive(Debug)]
pub struct Text {
    pub title: &'static str,
    pub read_only: &'static str,
    pub office: &'static str,
    pub topic: &'static str,
    pub all_topics: &'static str,
    pub open: &'static str,
    pub at_risk: &'static str,
    pub breached: &'static str,
    pub paused: &'static str,
    pub sla_today: &'static str,
    pub sla_7d: &'static str,
    pub sla_30d: &'static str,
    pub first_reply_median: &'static str,
    pub first_reply_p90: &'static str,
    pub resolution_median: &'static str,
    pub resolution_p90: &'static str,
    pub age: &'static str,
    pub reopen: &'static str,
    pub hops: &'static str,
    pub patronati: &'static str,
    pub patronato: &'static str,
    pub volume: &'static str,
    pub integrations: &'static str,
    pub defect: &'static str,
    pub trend_filed: &'static str,
    pub trend_within: &'static str,
    pub workload: &'static str,
    pub workload_aggregated: &'static str,
    pub unassigned: &'static str,
    pub hints: &'static str,
    /// Hints when the cruscotto is open inside the workstation (q quits the workstation).
    pub hints_workstation: &'static str,
    pub refused_read_only: &'static str,
    pub not_here: &'static str,
    pub exported: &'static str,
    pub empty: &'static str,
    pub export_elsewhere: &'static str,
    pub idle_timeout: &'static str,
}

impl Text {
    /// The labels of `lang` from the i18n catalog (`dash.*` keys).
    fn from_catalog(lang: Lang) -> Self {
        let t = |key| crate::i18n::t(lang, key);
        Text {
            title: t("dash.title"),
            read_only: t("dash.read_only"),
            office: t("dash.office"),
            topic: t("dash.topic"),
            all_topics: t("dash.all_topics"),
            open: t("dash.open"),
            at_risk: t("dash.at_risk"),
            breached: t("dash.breached"),
            paused: t("dash.paused"),
            sla_today: t("dash.sla_today"),
            sla_7d: t("dash.sla_7d"),
            sla_30d: t("dash.sla_30d"),
            first_reply_median: t("dash.first_reply_median"),
            first_reply_p90: t("dash.first_reply_p90"),
            resolution_median: t("dash.resolution_median"),
            resolution_p90: t("dash.resolution_p90"),
            age: t("dash.age"),
            reopen: t("dash.reopen"),
            hops: t("dash.hops"),
            patronati: t("dash.patronati"),
            patronato: t("dash.patronato"),
            volume: t("dash.volume"),
            integrations: t("dash.integrations"),
            defect: t("dash.defect"),
            trend_filed: t("dash.trend_filed"),
            trend_within: t("dash.trend_within"),
            workload: t("dash.workload"),
            workload_aggregated: t("dash.workload_aggregated"),
            unassigned: t("dash.unassigned"),
            hints: t("dash.hints"),
            hints_workstation: t("dash.hints_workstation"),
            refused_read_only: t("dash.refused_read_only"),
            not_here: t("dash.not_here"),
            exported: t("dash.exported"),
            empty: t("dash.empty"),
            export_elsewhere: t("dash.export_elsewhere"),
            idle_timeout: t("dash.idle_timeout"),
        }
    }
}

impl Lang {
    pub fn text(self) -> &'static Text {
        static TEXTS: std::sync::OnceLock<[Text; 2]> = std::sync::OnceLock::new();
        let texts =
            TEXTS.get_or_init(|| [Text::from_catalog(Lang::It), Text::from_catalog(Lang::En)]);
        match self {
            Lang::It => &texts[0],
            Lang::En => &texts[1],
        }
    }
    /// Decimal separator of the language.
    pub fn decimal(self, value: f64) -> String {
        let text = format!("{value:.1}");
        match self {
            Lang::It => text.replace('.', ","),
            Lang::En => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_is_in_the_catalog_in_both_languages() {
        for lang in [Lang::It, Lang::En] {
            let labels = format!("{:?}", lang.text());
            assert!(!labels.contains(crate::i18n::MISSING), "{labels}");
        }
        assert_eq!(Lang::It.text().title, "Cruscotto");
        assert_eq!(Lang::En.text().title, "Dashboard");
        let scope = crate::api::dashboard::DashboardScope::Region("Lazio".into());
        assert_eq!(scope_label(&scope, Lang::It), "Regione Lazio");
    }
}
