-- A person's tokens are listed newest first, ties broken by id (the Access Tokens
-- page, GET /v4/apiAccessTokens). With id in the index the rows come out of it in
-- that order, so the list needs no sort of its own on every request.
DROP INDEX api_tokens_owner;
CREATE INDEX api_tokens_owner ON api_tokens (workspace_id, user_id, created_at, id);
