-- What a person sees of their login sessions: the device (User-Agent) and
-- address that opened each, when, and when it was last seen (written at
-- most once a minute). restricted marks a session that may only enrol in
-- two-factor sign-in. Whether a session is live stays the business of its
-- refresh tokens.
CREATE TABLE sessions (
    id           TEXT        NOT NULL PRIMARY KEY,
    user_id      BIGINT      NOT NULL,
    company_id   BIGINT      NOT NULL DEFAULT 0,
    user_agent   TEXT        NOT NULL DEFAULT '',
    ip           TEXT        NOT NULL DEFAULT '',
    restricted   BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE INDEX sessions_company_id_user_id_idx ON sessions (company_id, user_id, created_at);
