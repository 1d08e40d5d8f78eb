-- PostgreSQL schema, version 1: the same tables as the SQLite store (see migrations/sqlite).
-- Timestamps used for ordering are BIGINT microseconds since the Unix epoch (UTC); JSON
-- documents are TEXT so both stores decode them the same way.

CREATE TABLE offices (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    comune   TEXT NOT NULL,
    province TEXT NOT NULL,
    region   TEXT NOT NULL
);
CREATE INDEX offices_region ON offices (region);

CREATE TABLE operators (
    username  TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    role      TEXT NOT NULL,
    office    TEXT,
    region    TEXT,
    patronato TEXT
);

CREATE TABLE tokens (
    id         BIGSERIAL PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    username   TEXT NOT NULL REFERENCES operators (username),
    label      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE citizens (
    codice_fiscale TEXT PRIMARY KEY,
    surname        TEXT NOT NULL,
    name           TEXT NOT NULL,
    birth_date     TEXT NOT NULL,
    birth_place    TEXT NOT NULL,
    residence      TEXT NOT NULL
);

CREATE TABLE mandates (
    id          BIGINT PRIMARY KEY,
    citizen     TEXT NOT NULL,
    patronato   TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_until TEXT,
    revoked_at  TEXT
);
CREATE INDEX mandates_citizen ON mandates (citizen, patronato);

CREATE TABLE applications (
    protocol TEXT PRIMARY KEY,
    citizen  TEXT NOT NULL,
    json     TEXT NOT NULL
);
CREATE INDEX applications_citizen ON applications (citizen);

CREATE TABLE requests (
    id                   TEXT PRIMARY KEY,
    patronato            TEXT NOT NULL,
    office               TEXT NOT NULL,
    topic                TEXT NOT NULL,
    citizen              TEXT NOT NULL,
    application_protocol TEXT,
    subject              TEXT NOT NULL,
    priority             TEXT NOT NULL,
    status               TEXT NOT NULL,
    is_open              BOOLEAN NOT NULL,
    assignee             TEXT,
    tags_json            TEXT NOT NULL DEFAULT '[]',
    outcome              TEXT,
    created_us           BIGINT NOT NULL,
    updated_us           BIGINT NOT NULL,
    version              BIGINT NOT NULL,
    thread_json          TEXT NOT NULL DEFAULT '[]',
    history_json         TEXT NOT NULL DEFAULT '[]',
    appointments_json    TEXT NOT NULL DEFAULT '[]',
    clocks_json          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX requests_office_created ON requests (office, created_us DESC, id DESC);
CREATE INDEX requests_patronato_created ON requests (patronato, created_us DESC, id DESC);
CREATE INDEX requests_created ON requests (created_us DESC, id DESC);
CREATE INDEX requests_office_open ON requests (office, is_open, assignee, topic, status);
CREATE INDEX requests_assignee ON requests (assignee, is_open);
CREATE INDEX requests_citizen ON requests (citizen);
CREATE INDEX requests_status_updated ON requests (status, updated_us);

-- Transactional outbox. Positions come from outbox_head, incremented inside the writing
-- transaction while it holds the cluster-wide write lock: they are assigned in commit order,
-- without gaps, on every node (a sequence would hand out values in start order, and a reader
-- could pass over an event that commits late).
CREATE TABLE outbox_head (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    highest  BIGINT NOT NULL
);
INSERT INTO outbox_head (highest) VALUES (0);

CREATE TABLE events (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    request_id TEXT,
    office     TEXT,
    patronato  TEXT,
    internal   BOOLEAN NOT NULL DEFAULT FALSE,
    data_json  TEXT NOT NULL
);

-- Append-only, hash-chained audit log.
CREATE TABLE audit (
    seq         BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    remote_addr TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only';
END;
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TABLE idempotency (
    username     TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body_json    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (username, key)
);

CREATE TABLE sla_alerts (
    request_id       TEXT NOT NULL REFERENCES requests (id),
    clock_kind       TEXT NOT NULL,
    clock_started_us BIGINT NOT NULL,
    level            INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    raised_at        TEXT NOT NULL,
    PRIMARY KEY (request_id, clock_kind, clock_started_us)
);
