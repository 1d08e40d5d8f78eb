-- Initial schema. Timestamps used for ordering are INTEGER microseconds since the Unix epoch (UTC).

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
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id          INTEGER PRIMARY KEY,
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
    is_open              INTEGER NOT NULL,
    assignee             TEXT,
    tags_json            TEXT NOT NULL DEFAULT '[]',
    outcome              TEXT,
    created_us           INTEGER NOT NULL,
    updated_us           INTEGER NOT NULL,
    version              INTEGER NOT NULL,
    thread_json          TEXT NOT NULL DEFAULT '[]',
    history_json         TEXT NOT NULL DEFAULT '[]',
    appointments_json    TEXT NOT NULL DEFAULT '[]',
    -- SLA clocks (issue 3); updated where transitions are applied.
    clocks_json          TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX requests_office_created ON requests (office, created_us DESC, id DESC);
CREATE INDEX requests_patronato_created ON requests (patronato, created_us DESC, id DESC);
CREATE INDEX requests_created ON requests (created_us DESC, id DESC);
CREATE INDEX requests_office_open ON requests (office, is_open, assignee, topic, status);
CREATE INDEX requests_assignee ON requests (assignee, is_open);
CREATE INDEX requests_citizen ON requests (citizen);
CREATE INDEX requests_status_updated ON requests (status, updated_us);

-- Transactional outbox: every change appends here in the same transaction; SSE streams it by seq.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    request_id TEXT,
    office     TEXT,
    patronato  TEXT,
    internal   INTEGER NOT NULL DEFAULT 0,
    data_json  TEXT NOT NULL
);

-- Append-only, hash-chained audit log.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    remote_addr TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE idempotency (
    username     TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body_json    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (username, key)
);
