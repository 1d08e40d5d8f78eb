//! Agenda appuntamenti endpoints.

use super::endpoints::{Versioned, set_query, versioned_detail};
use super::transport::Call;
use super::{Client, ClientError, IdempotencyKey};
use crate::api::{
    AppointmentList, AppointmentQuery, CancelAppointment, MoveRequest, NewAppointment,
    RequestDetail, RescheduleAppointment, SlotQuery, Slots,
};
use crate::domain::request::RequestId;

impl Client {
    /// `GET /v1/offices/{office}/slots`: the office's slots of the days asked, with places left.
    pub async fn slots(&self, office: &str, query: &SlotQuery) -> Result<Slots, ClientError> {
        let mut url = self.url(&["v1", "offices", office, "slots"]);
        set_query(&mut url, query)?;
        self.execute(Call::get(url)).await?.json()
    }

    /// `GET /v1/appointments`: appointments in the caller's scope, by start.
    pub async fn appointments(
        &self,
        query: &AppointmentQuery,
    ) -> Result<AppointmentList, ClientError> {
        let mut url = self.url(&["v1", "appointments"]);
        set_query(&mut url, query)?;
        self.execute(Call::get(url)).await?.json()
    }

    /// `POST /v1/requests/{id}/appointments` with `If-Match`: books a slot. The last place
    /// taken meanwhile is HTTP 409 `slot_full`.
    pub async fn book_appointment(
        &self,
        id: &RequestId,
        version: u64,
        body: &NewAppointment,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        let url = self.url(&["v1", "requests", id.as_str(), "appointments"]);
        let mut call = Call::post(url, body, key)?;
        call.if_match = Some(version);
        versioned_detail(&self.execute(call).await?)
    }

    /// `POST …/appointments/{appointment}/reschedule`.
    pub async fn reschedule_appointment(
        &self,
        id: &RequestId,
        appointment: i64,
        version: u64,
        body: &RescheduleAppointment,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        self.appointment_call(id, appointment, "reschedule", version, body, key)
            .await
    }

    /// `POST …/appointments/{appointment}/cancel`.
    pub async fn cancel_appointment(
        &self,
        id: &RequestId,
        appointment: i64,
        version: u64,
        body: &CancelAppointment,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        self.appointment_call(id, appointment, "cancel", version, body, key)
            .await
    }

    /// `POST …/appointments/{appointment}/move-request` (patronato clients).
    pub async fn ask_to_move_appointment(
        &self,
        id: &RequestId,
        appointment: i64,
        version: u64,
        body: &MoveRequest,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        self.appointment_call(id, appointment, "move-request", version, body, key)
            .await
    }

    async fn appointment_call(
        &self,
        id: &RequestId,
        appointment: i64,
        verb: &str,
        version: u64,
        body: &impl serde::Serialize,
        key: &IdempotencyKey,
    ) -> Result<Versioned<RequestDetail>, ClientError> {
        let number = appointment.to_string();
        let url = self.url(&["v1", "requests", id.as_str(), "appointments", &number, verb]);
        let mut call = Call::post(url, body, key)?;
        call.if_match = Some(version);
        versioned_detail(&self.execute(call).await?)
    }
}
