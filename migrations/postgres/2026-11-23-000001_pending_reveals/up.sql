-- A new token's value waiting for the page that shows it once, sealed
-- (ChaCha20-Poly1305) under a one-time key that only the browser's encrypted
-- session cookie holds: this row alone cannot reveal the value, and it is deleted
-- when shown or, at the latest, once expired. Any instance can show it.
CREATE TABLE pending_reveals (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_id TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    -- nonce || ciphertext || tag
    sealed BYTEA NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX pending_reveals_expiry ON pending_reveals (expires_at);
