-- Single sign-on (OpenID Connect) settings per company. client_secret is
-- stored as given, like the integrations' secrets: the API never returns
-- it. allowed_domains holds the lower-case email domains between commas
-- (",example.com,example.org,") so that a sign-in typed as an email finds
-- its company with one LIKE.
CREATE TABLE sso_settings (
    company_id       BIGINT      NOT NULL PRIMARY KEY REFERENCES companies (id),
    enabled          BOOLEAN     NOT NULL DEFAULT FALSE,
    issuer           TEXT        NOT NULL DEFAULT '',
    client_id        TEXT        NOT NULL DEFAULT '',
    client_secret    TEXT        NOT NULL DEFAULT '',
    allowed_domains  TEXT        NOT NULL DEFAULT ',',
    default_role     TEXT        NOT NULL DEFAULT 'requester',
    create_users     BOOLEAN     NOT NULL DEFAULT FALSE,
    password_sign_in BOOLEAN     NOT NULL DEFAULT TRUE,
    version          BIGINT      NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
