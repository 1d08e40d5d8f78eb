//! Agenda appuntamenti on the wire: slots of an office, appointments of a request.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::agenda::{AppointmentState, Channel, Contact};
use crate::domain::request::RequestId;

/// An appointment as the API returns it (in a request's detail and in agenda lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Appointment {
    /// Stable id, for cancel and reschedule (0 for appointments recorded before the agenda).
    #[serde(default)]
    pub id: i64,
    /// The channel.
    pub mode: Channel,
    /// Start of the slot.
    #[schema(value_type = String)]
    pub at: Timestamp,
    /// End of the slot.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub ends_at: Option<Timestamp>,
    /// The start on Rome's wall clock, `YYYY-MM-DD HH:MM` (the office's time).
    #[serde(default)]
    pub rome_time: String,
    /// Login name of the operator who booked it (empty for patronati).
    pub booked_by: String,
    #[serde(default)]
    pub state: AppointmentState,
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub request_id: Option<RequestId>,
    #[serde(default)]
    pub patronato: String,
    /// The citizen's codice fiscale, masked.
    #[serde(default)]
    pub citizen: String,
    /// Where to go or how the call happens, for the channel.
    #[serde(default)]
    pub contact: Contact,
    /// The patronato asked to move it, with this message (cleared by a reschedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_request: Option<String>,
    /// Bumped by every change of this appointment.
    #[serde(default)]
    pub version: u64,
}

/// Query of `GET /v1/offices/{office}/slots`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// First day, `YYYY-MM-DD` (Europe/Rome).
    pub from: String,
    /// Last day, inclusive (default: `from`); at most 62 days after `from`.
    pub to: Option<String>,
}

/// One slot with its places.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlotView {
    #[schema(value_type = String)]
    pub start: Timestamp,
    #[schema(value_type = String)]
    pub end: Timestamp,
    /// `YYYY-MM-DD` in Rome.
    pub date: String,
    /// `HH:MM` in Rome.
    pub time: String,
    pub capacity: u16,
    pub remaining: u16,
}

/// One day of an office's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlotDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Why the office is closed that day (empty on a working day).
    pub closed: Vec<String>,
    /// Every slot of the day, full ones included (`remaining` 0).
    pub slots: Vec<SlotView>,
}

/// `GET /v1/offices/{office}/slots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Slots {
    pub office: String,
    pub slot_minutes: u16,
    pub capacity: u16,
    pub channels: Vec<Channel>,
    pub days: Vec<SlotDay>,
}

impl Slots {
    /// The slots of `office` from `from` to `to` (inclusive) on its calendar and rules, with the
    /// places `booked` (start instants, one per booked appointment) take.
    pub fn from_calendar(
        office: &str,
        spec: &crate::domain::calendar::CalendarSpec,
        rules: &crate::domain::agenda::SlotRules,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        booked: &[Timestamp],
    ) -> Result<Slots, crate::domain::agenda::SlotError> {
        use crate::domain::agenda;
        let free = agenda::slots_between(spec, rules, from, to, booked)?;
        let mut days = Vec::new();
        let mut day = from;
        while day <= to {
            let slots = free
                .iter()
                .filter(|f| agenda::rome_date(f.slot.start).ok() == Some(day))
                .map(|f| SlotView {
                    start: f.slot.start,
                    end: f.slot.end,
                    date: day.to_string(),
                    time: agenda::rome_hhmm(f.slot.start),
                    capacity: f.capacity,
                    remaining: f.remaining(),
                })
                .collect();
            days.push(SlotDay {
                date: day.to_string(),
                closed: agenda::closing_reasons(spec, day)
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                slots,
            });
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        Ok(Slots {
            office: office.to_string(),
            slot_minutes: rules.slot_minutes,
            capacity: rules.capacity,
            channels: rules.channels.clone(),
            days,
        })
    }
}

/// `POST /v1/requests/{id}/appointments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppointment {
    /// Start of a free slot (`GET /v1/offices/{office}/slots`).
    #[schema(value_type = String)]
    pub start: Timestamp,
    pub channel: Channel,
}

/// `POST /v1/requests/{id}/appointments/{appointment}/reschedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleAppointment {
    #[schema(value_type = String)]
    pub start: Timestamp,
    /// Default: the appointment's channel.
    #[serde(default)]
    pub channel: Option<Channel>,
}

/// `POST /v1/requests/{id}/appointments/{appointment}/cancel`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelAppointment {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /v1/requests/{id}/appointments/{appointment}/move-request` (patronato).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    pub message: String,
}

/// Query of `GET /v1/appointments`.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, utoipa::IntoParams,
)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AppointmentQuery {
    /// First day, `YYYY-MM-DD` (Europe/Rome).
    pub from: String,
    /// Last day, inclusive (default: `from`).
    pub to: Option<String>,
    /// Only this office's (within the caller's scope).
    pub office: Option<String>,
    /// Only those booked by this operator.
    pub operator: Option<String>,
    /// Cancelled ones too.
    #[serde(default)]
    pub include_cancelled: bool,
}

/// `GET /v1/appointments`: by start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppointmentList {
    pub items: Vec<Appointment>,
}
