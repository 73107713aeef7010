//! The Diesel table definitions, written by hand to match `migrations/`.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    workspaces (id) {
        id -> Text,
        name -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    memberships (workspace_id, user_id) {
        workspace_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> BigInt,
    }
}

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
    }
}

diesel::table! {
    settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));

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
    pending_reveals
);
