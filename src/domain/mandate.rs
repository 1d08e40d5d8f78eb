//! Mandato di assistenza and the citizen's dossier (fascicolo).

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::codice_fiscale::CodiceFiscale;
use super::request::Topic;

/// A citizen's mandate to a patronato. Dossier access needs an active one (protocol §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mandate {
    pub id: u64,
    #[schema(value_type = String)]
    pub citizen: CodiceFiscale,
    pub patronato: String,
    #[schema(value_type = String, format = Date)]
    pub valid_from: Date,
    /// Last day of validity, inclusive; `None` = open-ended.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    /// When the citizen revoked it; takes effect at once.
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MandateState {
    Active,
    NotYetValid,
    Expired,
    Revoked,
}

impl Mandate {
    /// State at `now`, judged on `today` (the civil date in Europe/Rome at `now`).
    pub fn state(&self, now: Timestamp, today: Date) -> MandateState {
        if self.revoked_at.is_some_and(|r| r <= now) {
            MandateState::Revoked
        } else if today < self.valid_from {
            MandateState::NotYetValid
        } else if self.valid_until.is_some_and(|until| today > until) {
            MandateState::Expired
        } else {
            MandateState::Active
        }
    }
}

/// Citizen (assistito) data held by INPS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citizen {
    #[schema(value_type = String)]
    pub codice_fiscale: CodiceFiscale,
    pub surname: String,
    pub name: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    /// Name of the birth comune or foreign state.
    pub birth_place: String,
    /// Residence comune.
    pub residence: String,
}

/// A benefit application (domanda) with its INPS protocol number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Application {
    pub protocol: String,
    pub topic: Topic,
    /// e.g. "NASpI", "Pensione di vecchiaia", "Assegno unico e universale".
    pub benefit: String,
    #[schema(value_type = String, format = Date)]
    pub filed_on: Date,
    /// Free text state as INPS systems report it ("in istruttoria", "accolta", "respinta"…).
    pub state: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mandate() -> Mandate {
        Mandate {
            id: 1,
            citizen: CodiceFiscale::parse("RSSMRA85T10A562S").expect("valid"),
            patronato: "INCA".into(),
            valid_from: jiff::civil::date(2025, 1, 1),
            valid_until: Some(jiff::civil::date(2025, 12, 31)),
            revoked_at: None,
        }
    }

    #[test]
    fn states() {
        let now: Timestamp = "2025-06-01T10:00:00Z".parse().unwrap();
        let m = mandate();
        assert_eq!(
            m.state(now, jiff::civil::date(2025, 6, 1)),
            MandateState::Active
        );
        assert_eq!(
            m.state(now, jiff::civil::date(2024, 12, 31)),
            MandateState::NotYetValid
        );
        assert_eq!(
            m.state(now, jiff::civil::date(2026, 1, 1)),
            MandateState::Expired
        );
        assert_eq!(
            m.state(now, jiff::civil::date(2025, 12, 31)),
            MandateState::Active
        );
        let revoked = Mandate {
            revoked_at: Some("2025-05-01T00:00:00Z".parse().unwrap()),
            ..m
        };
        assert_eq!(
            revoked.state(now, jiff::civil::date(2025, 6, 1)),
            MandateState::Revoked
        );
    }
}
