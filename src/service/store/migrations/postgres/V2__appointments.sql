-- Agenda appuntamenti (issue 16): one row per appointment. Only `booked` rows take a place in
-- their slot; the capacity rule is the core's, run inside the serialised write.
CREATE TABLE appointments (
    id           BIGINT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    office       TEXT NOT NULL,
    patronato    TEXT NOT NULL,
    citizen      TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('in_sede', 'telefono', 'video')),
    start_us     BIGINT NOT NULL,
    end_us       BIGINT NOT NULL,
    operator     TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('booked', 'cancelled', 'done', 'missed')),
    move_request TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      BIGINT NOT NULL
);
CREATE INDEX appointments_office_start ON appointments (office, start_us);
CREATE INDEX appointments_request ON appointments (request_id);
