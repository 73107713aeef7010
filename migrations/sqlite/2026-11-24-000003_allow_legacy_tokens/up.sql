-- "Allow legacy access tokens" for the workspace: off, the workspace's legacy access
-- tokens (/v4/apiAccessTokens) are refused and none can be generated, while OAuth 2.0
-- API tokens keep working. On for every workspace, existing and new, so that an
-- upgrade changes nothing until an admin turns it off.
ALTER TABLE workspaces ADD COLUMN allow_legacy_tokens BOOLEAN NOT NULL DEFAULT TRUE;
