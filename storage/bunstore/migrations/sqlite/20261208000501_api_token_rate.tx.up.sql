-- An API token may be granted a rate limit of its own (requests a second
-- and burst); zero keeps the server's.
ALTER TABLE api_tokens ADD COLUMN rate_limit DOUBLE PRECISION NOT NULL DEFAULT 0;
--bun:split
ALTER TABLE api_tokens ADD COLUMN rate_burst INTEGER NOT NULL DEFAULT 0;
