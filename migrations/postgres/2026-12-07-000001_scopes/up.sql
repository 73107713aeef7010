-- Scopes (issue 14). A token's scopes, sorted and space-separated as in a JWT's
-- `scope` claim; existing tokens and grants keep full access ('api'), so an upgrade
-- changes nothing. A workspace's service scopes, and those every member may put on
-- a token (a subset; the others only admins), in the same form; none by default.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'api';
ALTER TABLE oauth_grants ADD COLUMN scopes TEXT NOT NULL DEFAULT 'api';
ALTER TABLE workspaces ADD COLUMN service_scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN member_service_scopes TEXT NOT NULL DEFAULT '';
