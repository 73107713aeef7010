-- Admin > Access Tokens lists every token of a workspace, sorted by creation,
-- expiry or last use, in pages of 50 over thousands of rows: each sort (and the
-- status filters on the same columns) reads an index instead of scanning. The
-- owner filter uses api_tokens_owner (workspace_id, user_id, created_at).
CREATE INDEX api_tokens_workspace_created ON api_tokens (workspace_id, created_at);
CREATE INDEX api_tokens_workspace_expires ON api_tokens (workspace_id, expires_at);
CREATE INDEX api_tokens_workspace_last_used ON api_tokens (workspace_id, last_used_at);
