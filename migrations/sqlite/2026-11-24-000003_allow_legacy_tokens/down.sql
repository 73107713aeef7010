ALTER TABLE workspaces DROP COLUMN allow_legacy_tokens;
