-- SLA alerts (issue 3): the highest level raised for each clock, so that each threshold crossing
-- is announced once, across restarts and concurrent scans. A clock is identified by its request,
-- kind and start instant: a restarted next-reply clock is a new clock and can alert again.
CREATE TABLE sla_alerts (
    request_id       TEXT NOT NULL REFERENCES requests (id),
    clock_kind       TEXT NOT NULL,
    clock_started_us INTEGER NOT NULL,
    -- 1 warning, 2 critical, 3 breach
    level            INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    raised_at        TEXT NOT NULL,
    PRIMARY KEY (request_id, clock_kind, clock_started_us)
);
