-- Presence: who has which ticket open. Each console refreshes the rows of
-- its open ticket pages and deletes them when the pages close; a row left
-- by a stopped server expires (expires_at, Unix milliseconds, compared as
-- a number on both backends). Not transactional data: no history, no
-- events.
CREATE TABLE ticket_viewers (
    company_id BIGINT  NOT NULL REFERENCES companies (id),
    ticket_id  BIGINT  NOT NULL,
    session    TEXT    NOT NULL,
    user_id    BIGINT  NOT NULL DEFAULT 0,
    name       TEXT    NOT NULL DEFAULT '',
    expires_at BIGINT  NOT NULL,
    PRIMARY KEY (company_id, ticket_id, session)
);
