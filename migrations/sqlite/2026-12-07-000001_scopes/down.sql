ALTER TABLE workspaces DROP COLUMN member_service_scopes;
ALTER TABLE workspaces DROP COLUMN service_scopes;
ALTER TABLE oauth_grants DROP COLUMN scopes;
ALTER TABLE api_tokens DROP COLUMN scopes;
