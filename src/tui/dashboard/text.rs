//! Every string of the cruscotto, in Italian (default) and English.

/// UI language of the cruscotto.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    It,
    En,
}

impl From<crate::i18n::Lang> for Lang {
    fn from(lang: crate::i18n::Lang) -> Self {
        match lang {
            crate::i18n::Lang::It => Lang::It,
            crate::i18n::Lang::En => Lang::En,
        }
    }
}

/// What the figures cover, as the header shows it (untrusted codes sanitised).
pub fn scope_label(scope: &crate::api::dashboard::DashboardScope, lang: Lang) -> String {
    use crate::api::dashboard::DashboardScope;
    use crate::domain::sanitize::inline;
    match (scope, lang) {
        (DashboardScope::Office(code), Lang::It) => format!("Sede {}", inline(code, 16)),
        (DashboardScope::Office(code), Lang::En) => format!("Office {}", inline(code, 16)),
        (DashboardScope::Region(region), Lang::It) => format!("Regione {}", inline(region, 24)),
        (DashboardScope::Region(region), Lang::En) => format!("Region {}", inline(region, 24)),
        (DashboardScope::National, Lang::It) => "Nazionale".to_string(),
        (DashboardScope::National, Lang::En) => "National".to_string(),
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
    pub drill_down_elsewhere: &'static str,
    pub export_elsewhere: &'static str,
    pub idle_timeout: &'static str,
}

pub const IT: Text = Text {
    title: "Cruscotto",
    read_only: "SOLA LETTURA",
    office: "Sede",
    topic: "Area",
    all_topics: "(tutte)",
    open: "Aperte",
    at_risk: "A rischio",
    breached: "Scadute",
    paused: "Sospese",
    sla_today: "SLA oggi",
    sla_7d: "SLA 7g",
    sla_30d: "SLA 30g",
    first_reply_median: "1ª risp. med",
    first_reply_p90: "1ª risp. p90",
    resolution_median: "Chius. med",
    resolution_p90: "Chius. p90",
    age: "Arretrato gg lav. <1 1-2 3-5 6-10 >10",
    reopen: "Riaperte",
    hops: "Trasf.",
    patronati: "Patronati (30 giorni)",
    patronato: "Patronato",
    volume: "Volume",
    integrations: "Integraz.",
    defect: "Difettosità",
    trend_filed: "Ricevute al giorno (30 g)",
    trend_within: "Risposte entro SLA al giorno (30 g)",
    workload: "Carico",
    workload_aggregated: "operatori",
    unassigned: "non assegnate",
    hints: "↑↓ muovi  Invio apri coda  e esporta CSV  r aggiorna  q esci",
    hints_workstation: "↑↓ muovi  Invio apri coda  e esporta CSV  Ctrl-R aggiorna  Esc indietro",
    refused_read_only: "Sola lettura: l'azione non è consentita",
    not_here: "Azione non disponibile nel cruscotto: apri la coda con Invio",
    exported: "Esportato",
    empty: "Nessuna richiesta nel perimetro",
    drill_down_elsewhere: "la coda si apre nella postazione (combipat)",
    export_elsewhere: "Esportazione non disponibile via SSH: usare combipat dashboard --csv",
    idle_timeout: "combipat: sessione chiusa per inattività",
};

pub const EN: Text = Text {
    title: "Dashboard",
    read_only: "READ-ONLY",
    office: "Office",
    topic: "Topic",
    all_topics: "(all)",
    open: "Open",
    at_risk: "At risk",
    breached: "Breached",
    paused: "Paused",
    sla_today: "SLA today",
    sla_7d: "SLA 7d",
    sla_30d: "SLA 30d",
    first_reply_median: "1st rep. med",
    first_reply_p90: "1st rep. p90",
    resolution_median: "Resol. med",
    resolution_p90: "Resol. p90",
    age: "Backlog bus. days <1 1-2 3-5 6-10 >10",
    reopen: "Reopened",
    hops: "Fwd",
    patronati: "Patronati (30 days)",
    patronato: "Patronato",
    volume: "Volume",
    integrations: "Integr.",
    defect: "Defective",
    trend_filed: "Filed per day (30 d)",
    trend_within: "Answered within SLA per day (30 d)",
    workload: "Workload",
    workload_aggregated: "operators",
    unassigned: "unassigned",
    hints: "↑↓ move  Enter open queue  e export CSV  r refresh  q quit",
    hints_workstation: "↑↓ move  Enter open queue  e export CSV  Ctrl-R refresh  Esc back",
    refused_read_only: "Read-only: the action is not allowed",
    not_here: "Not available in the dashboard: open the queue with Enter",
    exported: "Exported",
    empty: "No requests in scope",
    drill_down_elsewhere: "queues open in the workstation (combipat)",
    export_elsewhere: "Export is not available over SSH: use combipat dashboard --csv",
    idle_timeout: "combipat: session closed after inactivity",
};

impl Lang {
    pub fn text(self) -> &'static Text {
        match self {
            Lang::It => &IT,
            Lang::En => &EN,
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
