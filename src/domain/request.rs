//! A COMBIPAT request (richiesta) and its explicit status machine.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

use super::coded::coded_enum;
use super::codice_fiscale::CodiceFiscale;

/// `CBP-YYYY-NNNNNNN`: year of filing and a 7-digit sequence number within that year.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "CBP-2026-0001234")]
pub struct RequestId(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("request id {0:?} is not of the form CBP-YYYY-NNNNNNN")]
pub struct RequestIdError(pub String);

impl RequestId {
    pub fn new(year: i16, number: u32) -> Self {
        RequestId(format!("CBP-{year:04}-{number:07}"))
    }

    pub fn parse(text: &str) -> Result<Self, RequestIdError> {
        let bad = || RequestIdError(text.to_string());
        let rest = text.strip_prefix("CBP-").ok_or_else(bad)?;
        let (year, number) = rest.split_once('-').ok_or_else(bad)?;
        let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(year, 4) || !all_digits(number, 7) {
            return Err(bad());
        }
        Ok(RequestId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn year(&self) -> i16 {
        self.0[4..8].parse().unwrap_or(0)
    }

    pub fn number(&self) -> u32 {
        self.0[9..].parse().unwrap_or(0)
    }
}

impl TryFrom<String> for RequestId {
    type Error = RequestIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        RequestId::parse(&value)
    }
}

impl From<RequestId> for String {
    fn from(id: RequestId) -> String {
        id.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

coded_enum! {
    /// Priority chosen by the patronato when filing.
    #[derive(
        Debug,
        Clone,
        Copy,
        PartialEq,
        Eq,
        Hash,
        PartialOrd,
        Ord,
        Serialize,
        Deserialize,
        utoipa::ToSchema,
    )]
    pub enum Priority {
        Normale = "normale",
        Urgente = "urgente",
    }
}

coded_enum! {
    /// Area tematica. The first cut follows the central directorates that issued INPS message 3813/2021.
    #[derive(
        Debug,
        Clone,
        Copy,
        PartialEq,
        Eq,
        Hash,
        PartialOrd,
        Ord,
        Serialize,
        Deserialize,
        utoipa::ToSchema,
    )]
    pub enum Topic {
        Pensioni = "pensioni",
        AmmortizzatoriSociali = "ammortizzatori_sociali",
        InvaliditaCivile = "invalidita_civile",
        AssegnoUnico = "assegno_unico",
        Contributi = "contributi",
    }
}

coded_enum! {
    /// Status of a request. Transitions are only those of [`Status::apply`].
    #[derive(
        Debug,
        Clone,
        Copy,
        PartialEq,
        Eq,
        Hash,
        PartialOrd,
        Ord,
        Serialize,
        Deserialize,
        utoipa::ToSchema,
    )]
    pub enum Status {
        /// Filed, nobody has taken it.
        Nuova = "nuova",
        /// Taken in charge by an operator.
        InLavorazione = "in_lavorazione",
        /// INPS asked the patronato for documents; SLA clocks paused.
        InAttesaIntegrazione = "in_attesa_integrazione",
        /// The office answered; the patronato may still add information.
        RispostaInviata = "risposta_inviata",
        /// Closed with an outcome.
        Chiusa = "chiusa",
        /// Reopened after an answer or a close.
        Riaperta = "riaperta",
        /// Forwarded to the competent office, waiting to be taken there.
        Trasferita = "trasferita",
    }
}

impl Status {
    pub fn is_open(self) -> bool {
        self != Status::Chiusa
    }

    /// The status machine. Every illegal pair is a typed error; nothing else changes status.
    pub fn apply(self, transition: Transition) -> Result<Status, TransitionError> {
        use Status::*;
        use Transition as T;
        let next = match (self, transition) {
            (Nuova | Riaperta | Trasferita, T::Take) => InLavorazione,
            (Nuova | Riaperta | Trasferita | InLavorazione, T::Assign) => InLavorazione,
            (InLavorazione, T::Release) => Nuova,
            (InLavorazione | Riaperta, T::Reply) => RispostaInviata,
            (InLavorazione | Riaperta, T::RequestIntegration) => InAttesaIntegrazione,
            (InAttesaIntegrazione, T::PatronatoMessage) => InLavorazione,
            (RispostaInviata, T::PatronatoMessage) => Riaperta,
            (s @ (Nuova | InLavorazione | Riaperta | Trasferita), T::PatronatoMessage) => s,
            (Nuova | InLavorazione | Riaperta | Trasferita | InAttesaIntegrazione, T::Forward) => {
                Trasferita
            }
            (InLavorazione | RispostaInviata | Riaperta | InAttesaIntegrazione, T::Close) => Chiusa,
            (Chiusa | RispostaInviata, T::Reopen) => Riaperta,
            (s, T::InternalNote | T::Tag) => s,
            (s, T::Appointment) if s != Chiusa => s,
            (from, transition) => return Err(TransitionError { from, transition }),
        };
        Ok(next)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Everything that can happen to a request, as far as its status is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Take,
    Release,
    Assign,
    Reply,
    InternalNote,
    RequestIntegration,
    PatronatoMessage,
    Forward,
    Close,
    Reopen,
    Tag,
    /// An appointment booked, moved, cancelled or asked to be moved (Agenda appuntamenti).
    Appointment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("cannot {transition:?} a request in status {from}")]
pub struct TransitionError {
    pub from: Status,
    pub transition: Transition,
}

/// Kind of an entry in a request's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Written by the patronato (the first message is the request body).
    PatronatoMessage,
    /// Answer from the office, visible to the patronato.
    Reply,
    /// Visible to INPS staff only.
    InternalNote,
    /// Asks the patronato for documents; pauses the SLA clocks.
    IntegrationRequest,
}

impl MessageKind {
    pub fn transition(self) -> Transition {
        match self {
            MessageKind::PatronatoMessage => Transition::PatronatoMessage,
            MessageKind::Reply => Transition::Reply,
            MessageKind::InternalNote => Transition::InternalNote,
            MessageKind::IntegrationRequest => Transition::RequestIntegration,
        }
    }
}

coded_enum! {
    /// Closing outcome (esito).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
    pub enum Outcome {
        /// Answered in full.
        Evasa = "evasa",
        /// Not the competence of INPS or of this channel.
        NonDiCompetenza = "non_di_competenza",
        /// The patronato did not send the requested integration.
        IntegrazioneNonPervenuta = "integrazione_non_pervenuta",
        /// Duplicate of another request.
        Duplicata = "duplicata",
        /// Withdrawn by the patronato.
        Ritirata = "ritirata",
        /// Resolved in a meeting (Agenda appuntamenti).
        RisoltaInAppuntamento = "risolta_in_appuntamento",
    }
}

/// Who wrote or did something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActorRef {
    /// Operator username or patronato client id.
    pub id: String,
    /// Display name.
    pub name: String,
    pub role: super::roles::Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ThreadEntry {
    pub seq: u32,
    pub at: Timestamp,
    pub author: ActorRef,
    pub kind: MessageKind,
    pub body: String,
}

/// One line of a request's history (who did what, when).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub at: Timestamp,
    pub actor: ActorRef,
    pub transition: Transition,
    pub from: Status,
    pub to: Status,
    /// Free detail: target office of a forward, outcome of a close, tag added…
    pub detail: Option<String>,
}

/// A request as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Request {
    pub id: RequestId,
    /// Patronato code (see `registry::PATRONATI`).
    pub patronato: String,
    /// Code of the office currently competent.
    pub office: String,
    pub topic: Topic,
    #[schema(value_type = String)]
    pub citizen: CodiceFiscale,
    /// INPS protocol number of a related domanda, if any.
    pub application_protocol: Option<String>,
    pub subject: String,
    pub priority: Priority,
    pub status: Status,
    /// Operator username.
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub outcome: Option<Outcome>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Incremented on every change; the HTTP `ETag`.
    pub version: u64,
    pub thread: Vec<ThreadEntry>,
    pub history: Vec<HistoryEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_round_trip_and_rejects() {
        let id = RequestId::new(2026, 42);
        assert_eq!(id.as_str(), "CBP-2026-0000042");
        assert_eq!(RequestId::parse("CBP-2026-0000042"), Ok(id.clone()));
        assert_eq!(id.year(), 2026);
        assert_eq!(id.number(), 42);
        for bad in [
            "",
            "CBP-26-0000042",
            "CBP-2026-42",
            "cbp-2026-0000042",
            "CBP-2026-00000420",
            "CBP-2O26-0000042",
        ] {
            assert!(RequestId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn happy_path_and_illegal_transitions() {
        use Status::*;
        use Transition as T;
        let s = Nuova.apply(T::Take).unwrap();
        assert_eq!(s, InLavorazione);
        let s = s.apply(T::RequestIntegration).unwrap();
        assert_eq!(s, InAttesaIntegrazione);
        let s = s.apply(T::PatronatoMessage).unwrap();
        assert_eq!(s, InLavorazione);
        let s = s.apply(T::Reply).unwrap();
        assert_eq!(s, RispostaInviata);
        assert_eq!(s.apply(T::PatronatoMessage), Ok(Riaperta));
        let s = s.apply(T::Close).unwrap();
        assert_eq!(s, Chiusa);
        assert_eq!(
            Chiusa.apply(T::Take),
            Err(TransitionError {
                from: Chiusa,
                transition: T::Take
            })
        );
        assert_eq!(Chiusa.apply(T::Reply).unwrap_err().from, Chiusa);
        assert!(Nuova.apply(T::Reply).is_err());
        assert!(Nuova.apply(T::Close).is_err());
        assert!(InLavorazione.apply(T::Take).is_err());
        assert_eq!(Chiusa.apply(T::Reopen), Ok(Riaperta));
        assert_eq!(Nuova.apply(T::Forward), Ok(Trasferita));
        assert_eq!(Chiusa.apply(T::InternalNote), Ok(Chiusa));
    }

    #[test]
    fn every_pair_is_either_legal_or_a_typed_error() {
        use Transition as T;
        let all = [
            T::Take,
            T::Release,
            T::Assign,
            T::Reply,
            T::InternalNote,
            T::RequestIntegration,
            T::PatronatoMessage,
            T::Forward,
            T::Close,
            T::Reopen,
            T::Tag,
        ];
        let mut legal = 0;
        for from in Status::ALL {
            for t in all {
                match from.apply(t) {
                    Ok(_) => legal += 1,
                    Err(e) => assert_eq!((e.from, e.transition), (from, t)),
                }
            }
        }
        assert!(legal > 20 && legal < 77);
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.code())
            );
        }
        for t in Topic::ALL {
            assert_eq!(Topic::from_code(t.code()), Some(t));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::from_code(p.code()), Some(p));
        }
    }
}
