-- Two-factor sign-in (TOTP): one enrolment per user (pending until its
-- first code confirms it), the digests of its single-use recovery codes,
-- the short-lived challenges between the password and the code, and the
-- requirement per company (company_id 0 holds the platform's).
CREATE TABLE user_totp (
    user_id         BIGINT      NOT NULL PRIMARY KEY,
    company_id      BIGINT      NOT NULL DEFAULT 0,
    secret          TEXT        NOT NULL,
    confirmed_at    TIMESTAMPTZ,
    last_step       BIGINT      NOT NULL DEFAULT 0,
    failures        INTEGER     NOT NULL DEFAULT 0,
    last_failure_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL
);
--bun:split
CREATE TABLE user_recovery_codes (
    user_id    BIGINT      NOT NULL,
    digest     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (user_id, digest)
);
--bun:split
CREATE TABLE login_challenges (
    digest     TEXT        NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    company_id BIGINT      NOT NULL DEFAULT 0,
    attempts   INTEGER     NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
--bun:split
CREATE TABLE two_factor_policies (
    company_id    BIGINT      NOT NULL PRIMARY KEY,
    require_staff BOOLEAN     NOT NULL DEFAULT FALSE,
    require_all   BOOLEAN     NOT NULL DEFAULT FALSE,
    updated_at    TIMESTAMPTZ NOT NULL
);
