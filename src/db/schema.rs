//! The Diesel table definitions, written by hand to match `migrations/`.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        created_at -> BigInt,
        deactivated_at -> Nullable<BigInt>,
        session_epoch -> BigInt,
        instance_admin -> Bool,
        password_must_change -> Bool,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
        tokens_enabled -> Bool,
        members_may_generate -> Bool,
        max_lifetime_days -> BigInt,
        allow_never_expires -> Bool,
        allow_legacy_tokens -> Bool,
        service_scopes -> Text,
        member_service_scopes -> Text,
    }
}

diesel::table! {
    memberships (workspace_id, user_id) {
        workspace_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> BigInt,
        suspended_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    membership_invitations (workspace_id, user_id) {
        workspace_id -> Text,
        user_id -> Text,
        role -> Text,
        invited_by -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::joinable!(membership_invitations -> users (user_id));
diesel::joinable!(membership_invitations -> workspaces (workspace_id));

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        workspace_id -> Text,
        description -> Nullable<Text>,
        secret_digest -> Binary,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        scopes -> Text,
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    invites (id) {
        id -> Text,
        workspace_id -> Text,
        user_id -> Text,
        secret_digest -> Binary,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        workspace_id -> Nullable<Text>,
        occurred_at -> BigInt,
        actor_id -> Nullable<Text>,
        actor_name -> Nullable<Text>,
        action -> Text,
        target_id -> Nullable<Text>,
        target_name -> Nullable<Text>,
        detail -> Nullable<Text>,
        address -> Nullable<Text>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(api_tokens -> workspaces (workspace_id));
diesel::joinable!(invites -> users (user_id));

diesel::table! {
    pending_reveals (id) {
        id -> Text,
        user_id -> Text,
        token_id -> Text,
        sealed -> Binary,
        expires_at -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    users,
    workspaces,
    memberships,
    api_tokens,
    settings,
    pending_reveals,
    invites,
    audit_events,
    oauth_grants,
    oauth_refresh_tokens,
    signing_keys,
    revoked_access_tokens,
    sessions,
    membership_invitations
);

diesel::table! {
    oauth_grants (id) {
        id -> Text,
        user_id -> Text,
        workspace_id -> Text,
        name -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        disabled_at -> Nullable<BigInt>,
        last_used_at -> Nullable<BigInt>,
        scopes -> Text,
    }
}

diesel::table! {
    oauth_refresh_tokens (digest) {
        digest -> Binary,
        grant_id -> Text,
        issued_at -> BigInt,
        rotated_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        algorithm -> Text,
        private_key -> Binary,
        public_key -> Binary,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(oauth_grants -> users (user_id));
diesel::joinable!(oauth_grants -> workspaces (workspace_id));
diesel::joinable!(oauth_refresh_tokens -> oauth_grants (grant_id));

diesel::table! {
    pending_oauth_reveals (id) {
        id -> Text,
        user_id -> Text,
        grant_id -> Text,
        sealed -> Binary,
        expires_at -> BigInt,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Text,
        grant_id -> Text,
        workspace_id -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::table! {
    auth_changes (seq) {
        seq -> BigInt,
        changed_at -> BigInt,
        token_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        workspace_id -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        secret_digest -> Binary,
        user_id -> Text,
        workspace_id -> Nullable<Text>,
        epoch -> BigInt,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    revoked_grants (grant_id) {
        grant_id -> Text,
        workspace_id -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}
