-- Users choose their language (the web console's profile); sessions are
-- revoked per user when a password changes.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
--bun:split
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
