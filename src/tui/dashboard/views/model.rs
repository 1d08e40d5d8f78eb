//! What the cruscotto's views are made of: the views themselves, the period selector, the
//! columns of the office × topic table and the trend rows, each named in the i18n catalog.

use jiff::civil::{Date, Weekday};

use crate::domain::dashboard::{CellFigures, Dashboard, PatronatoFigures, Share, TrendDay};

/// The views of the cruscotto, in the order of the tab line (digits `1`…`7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    /// Office × topic table (the cruscotto's first screen).
    #[default]
    Offices,
    /// The protocol's §5 indicators per patronato.
    Patronati,
    /// Breached and at-risk requests per office and topic.
    Deadlines,
    /// Open requests by age per office.
    Backlog,
    /// Open requests per operator (aggregated unless named).
    Workload,
    /// Filed, answered, closed by day or week.
    Trend,
    /// Breaches ahead at each office's closing rate.
    Forecast,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Offices,
        Tab::Patronati,
        Tab::Deadlines,
        Tab::Backlog,
        Tab::Workload,
        Tab::Trend,
        Tab::Forecast,
    ];

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// Catalog key stem: `views.tab.<stem>` (short, tab line) and `views.title.<stem>`.
    pub fn key(self) -> &'static str {
        match self {
            Tab::Offices => "offices",
            Tab::Patronati => "patronati",
            Tab::Deadlines => "deadlines",
            Tab::Backlog => "backlog",
            Tab::Workload => "workload",
            Tab::Trend => "trend",
            Tab::Forecast => "forecast",
        }
    }

    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    pub fn previous(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// The period of the within-SLA figures and of the patronati view (`p` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Period {
    Today,
    #[default]
    Last7Days,
    Last30Days,
}

impl Period {
    pub fn next(self) -> Period {
        match self {
            Period::Today => Period::Last7Days,
            Period::Last7Days => Period::Last30Days,
            Period::Last30Days => Period::Today,
        }
    }

    /// Catalog key of the period's name ("Oggi", "7 giorni", "30 giorni").
    pub fn label_key(self) -> &'static str {
        match self {
            Period::Today => "views.period.today",
            Period::Last7Days => "views.period.7d",
            Period::Last30Days => "views.period.30d",
        }
    }

    /// Catalog key of the within-SLA column title of the period.
    pub fn sla_title_key(self) -> &'static str {
        match self {
            Period::Today => "dash.sla_today",
            Period::Last7Days => "dash.sla_7d",
            Period::Last30Days => "dash.sla_30d",
        }
    }

    /// A row's share answered within SLA over the period.
    pub fn within_sla(self, cell: &CellFigures) -> Share {
        match self {
            Period::Today => cell.within_sla_today,
            Period::Last7Days => cell.within_sla_7d,
            Period::Last30Days => cell.within_sla_30d,
        }
    }

    /// The patronati figures of the period.
    pub fn patronati(self, figures: &Dashboard) -> &[PatronatoFigures] {
        let by_period = &figures.patronati_by_period;
        match self {
            Period::Today => &by_period.today,
            Period::Last7Days => &by_period.last_7_days,
            // Figures from a service that predates the periods carry only `patronati`.
            Period::Last30Days if by_period.last_30_days.is_empty() => &figures.patronati,
            Period::Last30Days => &by_period.last_30_days,
        }
    }
}

/// Trend rows: one per day, or one per calendar week (Monday to Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TrendScale {
    #[default]
    Day,
    Week,
}

/// The scrollable columns of the office × topic table, in their order; any can be hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfficeColumn {
    Open,
    Breached,
    AtRisk,
    Paused,
    WithinSla,
    FirstReplyMedian,
    FirstReplyP90,
    ResolutionMedian,
    ResolutionP90,
    Reopen,
    Forwarded,
    ForwardHops,
}

impl OfficeColumn {
    pub const ALL: [OfficeColumn; 12] = [
        OfficeColumn::Open,
        OfficeColumn::Breached,
        OfficeColumn::AtRisk,
        OfficeColumn::Paused,
        OfficeColumn::WithinSla,
        OfficeColumn::FirstReplyMedian,
        OfficeColumn::FirstReplyP90,
        OfficeColumn::ResolutionMedian,
        OfficeColumn::ResolutionP90,
        OfficeColumn::Reopen,
        OfficeColumn::Forwarded,
        OfficeColumn::ForwardHops,
    ];

    /// Catalog key of the column title (the within-SLA one follows the period).
    pub fn title_key(self, period: Period) -> &'static str {
        match self {
            OfficeColumn::Open => "dash.open",
            OfficeColumn::Breached => "dash.breached",
            OfficeColumn::AtRisk => "dash.at_risk",
            OfficeColumn::Paused => "dash.paused",
            OfficeColumn::WithinSla => period.sla_title_key(),
            OfficeColumn::FirstReplyMedian => "dash.first_reply_median",
            OfficeColumn::FirstReplyP90 => "dash.first_reply_p90",
            OfficeColumn::ResolutionMedian => "dash.resolution_median",
            OfficeColumn::ResolutionP90 => "dash.resolution_p90",
            OfficeColumn::Reopen => "dash.reopen",
            OfficeColumn::Forwarded => "views.col.forwarded",
            OfficeColumn::ForwardHops => "dash.hops",
        }
    }

    /// Which count of the row the column shows, for a drill-down into those requests.
    pub fn figure(self) -> FigureColumn {
        match self {
            OfficeColumn::Open => FigureColumn::Open,
            OfficeColumn::Breached => FigureColumn::Breached,
            OfficeColumn::AtRisk => FigureColumn::AtRisk,
            OfficeColumn::Paused => FigureColumn::Paused,
            _ => FigureColumn::Other,
        }
    }
}

/// The figure under the column cursor, for drilling into its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureColumn {
    Open,
    Breached,
    AtRisk,
    Paused,
    /// A share or a duration: no set of requests of its own (drills into the open ones).
    Other,
}

/// Scrollable columns of the views other than the office × topic table (whose chooser decides).
pub fn scrollable_columns(tab: Tab) -> usize {
    match tab {
        Tab::Offices => OfficeColumn::ALL.len(),
        Tab::Patronati => 10,
        Tab::Deadlines => DEADLINE_FIGURES.len(),
        Tab::Backlog => 1 + crate::domain::dashboard::AGE_BUCKETS.len(),
        Tab::Workload => 0,
        Tab::Trend => 6,
        Tab::Forecast => 9,
    }
}

/// The counts of the deadlines view's columns, in order: breached, at risk, awaiting, open and
/// the two oldest age buckets.
pub const DEADLINE_FIGURES: [FigureColumn; 6] = [
    FigureColumn::Breached,
    FigureColumn::AtRisk,
    FigureColumn::Paused,
    FigureColumn::Open,
    FigureColumn::Other,
    FigureColumn::Other,
];

/// One row of the trend view: a day, or the days of one week present in the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendRow {
    pub first: Date,
    pub last: Date,
    pub filed: u32,
    pub answered: u32,
    pub answered_within_sla: u32,
    pub closed: u32,
}

impl TrendRow {
    fn of(day: &TrendDay) -> Self {
        TrendRow {
            first: day.date,
            last: day.date,
            filed: day.filed,
            answered: day.answered,
            answered_within_sla: day.answered_within_sla,
            closed: day.closed,
        }
    }

    pub fn within_sla(&self) -> Share {
        Share {
            hits: self.answered_within_sla,
            total: self.answered,
        }
    }
}

/// Trend rows, newest first: days as they are, or summed per week from Monday (the first and
/// last week may be partial; their rows say which days they cover).
pub fn trend_rows(days: &[TrendDay], scale: TrendScale) -> Vec<TrendRow> {
    let mut rows: Vec<TrendRow> = Vec::new();
    for day in days {
        let row = TrendRow::of(day);
        let same_week = |last: &TrendRow| {
            scale == TrendScale::Week
                && day.date.weekday() != Weekday::Monday
                && day.date > last.last
                && day
                    .date
                    .since(last.first)
                    .is_ok_and(|span| span.get_days() < 7)
        };
        match rows.last_mut() {
            Some(last) if same_week(last) => {
                last.last = day.date;
                last.filed += row.filed;
                last.answered += row.answered;
                last.answered_within_sla += row.answered_within_sla;
                last.closed += row.closed;
            }
            _ => rows.push(row),
        }
    }
    rows.reverse();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, filed: u32) -> TrendDay {
        TrendDay {
            date: date.parse().unwrap(),
            filed,
            answered: filed,
            answered_within_sla: filed / 2,
            closed: 1,
        }
    }

    #[test]
    fn weeks_start_on_monday_and_partial_weeks_keep_their_dates() {
        // 2026-11-20 is a Friday; 2026-11-23 a Monday.
        let days: Vec<_> = [
            "2026-11-20",
            "2026-11-21",
            "2026-11-22",
            "2026-11-23",
            "2026-11-24",
        ]
        .iter()
        .zip(1..)
        .map(|(d, n)| day(d, n))
        .collect();
        let weeks = trend_rows(&days, TrendScale::Week);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].first.to_string(), "2026-11-23");
        assert_eq!(weeks[0].last.to_string(), "2026-11-24");
        assert_eq!(weeks[0].filed, 4 + 5);
        assert_eq!(weeks[1].first.to_string(), "2026-11-20");
        assert_eq!(weeks[1].last.to_string(), "2026-11-22");
        assert_eq!((weeks[1].filed, weeks[1].closed), (1 + 2 + 3, 3));
        let by_day = trend_rows(&days, TrendScale::Day);
        assert_eq!(by_day.len(), 5);
        assert_eq!(by_day[0].first.to_string(), "2026-11-24");
    }

    #[test]
    fn periods_cycle_and_tabs_wrap() {
        assert_eq!(Period::Last30Days.next(), Period::Today);
        assert_eq!(Tab::Forecast.next(), Tab::Offices);
        assert_eq!(Tab::Offices.previous(), Tab::Forecast);
    }
}
