//! OAuth 2.0 API tokens over real HTTP: generating one, using its access token as
//! Bearer, refreshing with rotation and reuse detection, expiry on a clock the test
//! moves, disable and delete, the JWKS checked by an independent Ed25519 library,
//! workspaces kept apart, and the token endpoint's RFC 6749 errors.

mod common;

use access_tokens::domain::Role;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{
    generate, s, spawn_app_as_shipped, workspace_on_clock, Generate, TestApp, ADMIN, MEMBER,
    PASSWORD,
};
use serde_json::{json, Value};

/// Asserts an RFC 6749 §5.2 error; returns its `error`.
async fn oauth_error(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert!(body["error_description"].is_string(), "{body}");
    body["error"].as_str().unwrap().to_owned()
}

async fn grants(app: &TestApp, user: &str) -> Vec<Value> {
    let body: Value = app.get_as(user, "/v4/oauthTokens").await.1;
    body["data"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn a_refresh_rotates_and_a_reused_refresh_token_disables_the_grant() {
    let (app, _clock) = workspace_on_clock().await;
    let created = generate(&app, Generate::oauth(ADMIN)).await.body;
    assert_eq!(created["expiresIn"], 3600);
    assert_eq!(created["tokenInfo"]["status"], "Active");
    let (access, first) = (s(&created["accessToken"]), s(&created["refreshToken"]));
    assert!(first.starts_with("art_"));
    assert_eq!(
        app.bearer_status(&access).await,
        200,
        "any API route takes it"
    );

    let response = app.refresh(&first).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "api", "the grant's scopes: full access");
    let (access2, second) = (s(&body["access_token"]), s(&body["refresh_token"]));
    assert_ne!(second, first, "a new refresh token each time");
    assert_eq!(app.bearer_status(&access2).await, 200);

    // The rotated one is refused, and presenting it disables the whole grant:
    // the newest refresh token no longer works either.
    assert_eq!(
        oauth_error(app.refresh(&first).await).await,
        "invalid_grant"
    );
    assert_eq!(
        oauth_error(app.refresh(&second).await).await,
        "invalid_grant"
    );
    let listed = grants(&app, ADMIN).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "Disabled");
    assert!(listed[0]["lastUsed"].is_string());

    // Recorded, and no token value in the log.
    let mut conn = app.pool.get().unwrap();
    use access_tokens::db::schema::audit_events::dsl::*;
    use diesel::prelude::*;
    let rows: Vec<(String, Option<String>)> = audit_events
        .select((action, detail))
        .load(&mut *conn)
        .unwrap();
    assert!(rows.iter().any(|(a, d)| a == "oauth_token.disabled"
        && d.as_deref() == Some("refresh token reused: disabled")));
    let text = format!("{rows:?}");
    for secret in [&first[41..], &second[41..], &access[..]] {
        assert!(!text.contains(secret));
    }
}

#[actix_web::test]
async fn access_tokens_expire_after_an_hour_and_refresh_tokens_after_their_lifetime() {
    let (app, clock) = workspace_on_clock().await;
    let created = generate(&app, Generate::oauth(ADMIN).days(1)).await.body;
    let access = s(&created["accessToken"]);

    clock.advance(3599);
    assert_eq!(app.bearer_status(&access).await, 200);
    clock.advance(1);
    assert_eq!(
        app.bearer_status(&access).await,
        401,
        "one hour and no more"
    );

    let body: Value = app
        .refresh(&s(&created["refreshToken"]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.bearer_status(&s(&body["access_token"])).await, 200);

    clock.advance(86_400);
    let error = oauth_error(app.refresh(&s(&body["refresh_token"])).await).await;
    assert_eq!(error, "invalid_grant", "the grant lived one day");
    assert_eq!(grants(&app, ADMIN).await[0]["status"], "Expired");
}

#[actix_web::test]
async fn disable_and_delete_stop_the_refresh_token_at_once_and_the_access_token_within_the_hour() {
    let (app, clock) = workspace_on_clock().await;
    let disabled = generate(&app, Generate::oauth(ADMIN)).await.body;
    let deleted = generate(&app, Generate::oauth(ADMIN)).await.body;
    let id = |v: &Value| s(&v["tokenInfo"]["tokenId"]);

    let client = app.api_client();
    let r = client
        .post(app.url(&format!("/v4/oauthTokens/{}/disable", id(&disabled))))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "Disabled");
    let r = client
        .delete(app.url(&format!("/v4/oauthTokens/{}", id(&deleted))))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    for grant in [&disabled, &deleted] {
        let error = oauth_error(app.refresh(&s(&grant["refreshToken"])).await).await;
        assert_eq!(error, "invalid_grant");
        assert_eq!(app.bearer_status(&s(&grant["accessToken"])).await, 200);
    }
    let listed = grants(&app, ADMIN).await;
    assert_eq!(listed.len(), 1, "the deleted one is gone");
    assert_eq!(listed[0]["tokenId"], id(&disabled));

    clock.advance(3600);
    for grant in [&disabled, &deleted] {
        assert_eq!(app.bearer_status(&s(&grant["accessToken"])).await, 401);
    }
    let again = client
        .delete(app.url(&format!("/v4/oauthTokens/{}", id(&deleted))))
        .basic_auth(ADMIN, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}

#[actix_web::test]
async fn another_service_verifies_an_access_token_with_the_published_keys() {
    let (app, _clock) = workspace_on_clock().await;
    let access = s(&generate(&app, Generate::oauth(MEMBER)).await.body["accessToken"]);

    let response = app
        .api_client()
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    let jwks: Value = response.json().await.unwrap();

    // ed25519-dalek and base64 only: nothing of the server's JWT library.
    let parts: Vec<&str> = access.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's key is published");
    assert_eq!(
        (&key["kty"], &key["crv"], &key["use"]),
        (&json!("OKP"), &json!("Ed25519"), &json!("sig"))
    );
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(s(&key["x"]))
        .unwrap()
        .try_into()
        .unwrap();
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&x).unwrap();
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap()
        .try_into()
        .unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    verifying
        .verify_strict(
            signed.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .expect("a valid signature");

    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(claims["usr"], MEMBER);
    assert_eq!(claims["rol"], "member");
    assert_eq!(claims["scope"], "api", "RFC 9068's scope claim");
    for claim in ["sub", "wid", "tid", "jti", "iss"] {
        assert!(claims[claim].is_string(), "{claim}");
    }

    // A changed claim breaks the signature, for them and for the server.
    let mut forged = claims.clone();
    forged["rol"] = json!("admin");
    let forged_payload = URL_SAFE_NO_PAD.encode(forged.to_string());
    let forged_token = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert!(verifying
        .verify_strict(
            format!("{}.{}", parts[0], forged_payload).as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature)
        )
        .is_err());
    assert_eq!(app.bearer_status(&forged_token).await, 401);
}

/// The same check as another team would write it: an off-the-shelf JWT library
/// (jwt-simple, unrelated to the server's jsonwebtoken), the key picked from the
/// JWKS by `kid`, the issuer and expiry checked.
#[actix_web::test]
async fn an_independent_jwt_library_verifies_an_access_token_from_the_jwks() {
    use jwt_simple::prelude::{
        Duration, Ed25519PublicKey, EdDSAPublicKeyLike, JWTClaims, Token, VerificationOptions,
    };
    use std::collections::HashSet;

    #[derive(serde::Deserialize, serde::Serialize)]
    struct Ours {
        usr: String,
        wid: String,
        wsn: String,
        rol: String,
        tid: String,
    }

    let (app, _clock) = workspace_on_clock().await;
    let created = generate(&app, Generate::oauth(MEMBER)).await.body;
    let access = s(&created["accessToken"]);
    let jwks: Value = app
        .api_client()
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let metadata = Token::decode_metadata(&access).unwrap();
    assert_eq!(metadata.algorithm(), "EdDSA");
    let kid = metadata.key_id().expect("a kid").to_owned();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == json!(kid))
        .expect("the kid is published");
    let x = URL_SAFE_NO_PAD.decode(s(&jwk["x"])).unwrap();
    let key = Ed25519PublicKey::from_bytes(&x).unwrap().with_key_id(&kid);
    let options = VerificationOptions {
        allowed_issuers: Some(HashSet::from(["access-tokens".to_owned()])),
        required_key_id: Some(kid.clone()),
        time_tolerance: Some(Duration::from_secs(0)),
        ..VerificationOptions::default()
    };
    let claims: JWTClaims<Ours> = key.verify_token(&access, Some(options.clone())).unwrap();
    assert_eq!(claims.custom.usr, MEMBER);
    assert_eq!(claims.custom.rol, "member");
    assert_eq!(claims.custom.wsn, "default");
    assert_eq!(claims.custom.tid, s(&created["tokenInfo"]["tokenId"]));
    let (iat, exp) = (claims.issued_at.unwrap(), claims.expires_at.unwrap());
    assert_eq!((exp - iat).as_secs(), 3600);

    // A token with one character of its payload changed does not verify.
    let mut parts: Vec<String> = access.split('.').map(str::to_owned).collect();
    let flipped = if parts[1].ends_with('A') { 'B' } else { 'A' };
    parts[1].pop();
    parts[1].push(flipped);
    assert!(key
        .verify_token::<Ours>(&parts.join("."), Some(options))
        .is_err());
}

#[actix_web::test]
async fn a_token_acts_only_in_the_workspace_it_was_made_in() {
    let (app, _clock) = workspace_on_clock().await;
    app.add_workspace("beta", ADMIN);
    let in_default = generate(&app, Generate::oauth(ADMIN)).await.value;
    let beta_export = Generate::oauth(ADMIN)
        .name("beta export")
        .in_workspace("beta");
    let in_beta = generate(&app, beta_export).await.value;

    let workspace_of = |token: String| {
        let app = &app;
        async move {
            let settings: Value = app
                .api_client()
                .get(app.url("/v4/workspaceSettings"))
                .bearer_auth(token)
                // Ignored: a token acts in its own workspace only.
                .header("X-Workspace", "default")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            s(&settings["workspaceName"])
        }
    };
    assert_eq!(workspace_of(in_default.clone()).await, "default");
    assert_eq!(workspace_of(in_beta.clone()).await, "beta");

    let listed: Value = app
        .api_client()
        .get(app.url("/v4/oauthTokens"))
        .bearer_auth(&in_beta)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["data"][0]["name"], "beta export");
}

#[actix_web::test]
async fn the_token_endpoint_answers_errors_as_rfc_6749_says() {
    let (app, _clock) = workspace_on_clock().await;
    let post = |form: Vec<(&'static str, &'static str)>| {
        app.api_client()
            .post(app.url("/oauth2/token"))
            .form(&form)
            .send()
    };
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "invalid_request"),
        (vec![("refresh_token", "x")], "invalid_request"),
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("grant_type", "refresh_token")], "invalid_request"),
        (
            vec![("grant_type", "refresh_token"), ("grant_type", "refresh_token"), ("refresh_token", "x")],
            "invalid_request",
        ),
        (vec![("grant_type", "refresh_token"), ("refresh_token", "garbage")], "invalid_grant"),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", "art_bab908f7-dcc2-4962-85bd-c1e96d0cacbd.0000000000000000000000000000000000000000000000000000000000000000"),
            ],
            "invalid_grant",
        ),
    ];
    for (form, expected) in cases {
        let shown = format!("{form:?}");
        assert_eq!(
            oauth_error(post(form).await.unwrap()).await,
            expected,
            "{shown}"
        );
    }
    let json_body = app
        .api_client()
        .post(app.url("/oauth2/token"))
        .json(&json!({"grant_type": "refresh_token", "refresh_token": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_body.status(), 400);
    let said: Value = json_body.json().await.unwrap();
    assert_eq!(said["error"], "invalid_request");
    let description = said["error_description"].as_str().unwrap();
    assert!(
        description.contains("application/x-www-form-urlencoded"),
        "JSON is told what to send instead: {description}"
    );
}

#[actix_web::test]
async fn generating_follows_the_workspace_policy_like_access_tokens() {
    let app = spawn_app_as_shipped().await;
    app.create_user(MEMBER, PASSWORD, Role::Member);
    let response = app
        .api_client()
        .post(app.url("/v4/oauthTokens"))
        .basic_auth(MEMBER, Some(PASSWORD))
        .json(&json!({"name": "mine", "lifetimeDays": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["exception"]["name"], "AccessControlException");

    app.create_user(ADMIN, PASSWORD, Role::Admin);
    for (body, field) in [
        (json!({"name": "x", "lifetimeDays": 366}), "lifetimeDays"),
        (json!({"name": "x", "lifetimeDays": 0}), "lifetimeDays"),
        (json!({"name": "  ", "lifetimeDays": 30}), "name"),
    ] {
        let r = app
            .api_client()
            .post(app.url("/v4/oauthTokens"))
            .basic_auth(ADMIN, Some(PASSWORD))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["exception"]["details"]["field"], field);
    }
}
