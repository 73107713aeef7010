DROP INDEX api_tokens_owner;
CREATE INDEX api_tokens_owner ON api_tokens (workspace_id, user_id, created_at);
