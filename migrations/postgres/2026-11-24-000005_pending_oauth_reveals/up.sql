-- A new OAuth API token's access token and refresh token waiting for the page that
-- shows them once: sealed like pending_reveals (the key is only in the browser's
-- encrypted session cookie), deleted when shown or, at the latest, once expired.
CREATE TABLE pending_oauth_reveals (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    -- nonce || ciphertext || tag
    sealed BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX pending_oauth_reveals_expiry ON pending_oauth_reveals (expires_at);
