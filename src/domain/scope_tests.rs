use super::*;

fn set(names: &str) -> ScopeSet {
    ScopeSet::from_stored(Some(names))
}

fn name(n: &str) -> ScopeName {
    ScopeName::parse(n).unwrap()
}

fn services(all: &[&str], members: &[&str]) -> ServiceScopes {
    ServiceScopes::parse(all, members).unwrap()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn names_follow_the_rule() {
    for ok in ["deploy", "reports:read", "a.b-c_d", "x1"] {
        assert!(ScopeName::parse(ok).is_ok(), "{ok}");
    }
    assert_eq!(ScopeName::parse(""), Err(ScopeNameError::Empty));
    for bad in ["Deploy", "with space", "é", "a/b", "a*"] {
        assert_eq!(
            ScopeName::parse(bad),
            Err(ScopeNameError::Characters),
            "{bad}"
        );
    }
    assert_eq!(
        ScopeName::parse(&"a".repeat(MAX_NAME_CHARS + 1)),
        Err(ScopeNameError::TooLong)
    );
}

#[test]
fn a_set_is_sorted_and_absent_means_full_access() {
    assert_eq!(
        set("tokens read_api deploy").to_stored(),
        "deploy read_api tokens"
    );
    assert_eq!(ScopeSet::from_stored(None).to_stored(), "api");
    assert_eq!(ScopeSet::default().to_stored(), "api");
}

#[test]
fn api_covers_read_api_tokens_and_admin_only_for_an_admin() {
    let api = set("api");
    assert!(api.covers(&name("read_api"), false));
    assert!(api.covers(&name("tokens"), false));
    assert!(!api.covers(&name("admin"), false));
    assert!(api.covers(&name("admin"), true));
    assert!(
        !api.covers(&name("deploy"), true),
        "api never implies a service scope"
    );
    assert!(!set("tokens").covers(&name("api"), true));
    assert!(!set("tokens").covers(&name("read_api"), true));
    assert!(!set("read_api").covers(&name("tokens"), true));
    assert!(
        !set("admin").covers(&name("admin"), false),
        "admin dies with the role"
    );
}

#[test]
fn routes_open_by_area_and_method() {
    use RouteArea::*;
    let ok = |s: &str, area, read| permits(&set(s), area, read).is_ok();
    assert!(
        ok("api", OwnTokens, false) && ok("api", WorkspaceAdmin, false) && ok("api", Other, false)
    );
    assert!(
        ok("read_api", OwnTokens, true)
            && ok("read_api", WorkspaceAdmin, true)
            && ok("read_api", Other, true)
    );
    assert_eq!(
        permits(&set("read_api"), OwnTokens, false),
        Err(Builtin::Tokens)
    );
    assert_eq!(permits(&set("read_api"), Other, false), Err(Builtin::Api));
    assert!(ok("tokens", OwnTokens, false) && ok("tokens", OwnTokens, true));
    assert_eq!(
        permits(&set("tokens"), WorkspaceAdmin, true),
        Err(Builtin::Admin)
    );
    assert_eq!(permits(&set("tokens"), Other, true), Err(Builtin::ReadApi));
    assert!(ok("admin", WorkspaceAdmin, false));
    assert_eq!(
        permits(&set("admin"), OwnTokens, true),
        Err(Builtin::Tokens)
    );
    assert_eq!(
        permits(&set("deploy"), OwnTokens, true),
        Err(Builtin::Tokens)
    );
    assert!(ok("deploy", Open, false));
}

#[test]
fn a_removed_service_scope_stops_counting() {
    let token = set("admin deploy reports:read tokens");
    let now = services(&["reports:read"], &[]);
    assert_eq!(
        token.effective(&now, true).to_stored(),
        "admin reports:read tokens"
    );
    assert_eq!(
        token.effective(&now, false).to_stored(),
        "reports:read tokens"
    );
}

#[test]
fn service_scope_lists_are_checked() {
    assert!(matches!(
        ServiceScopes::parse(&["api"], &[]),
        Err(ServiceScopesError::Builtin(_))
    ));
    assert!(matches!(
        ServiceScopes::parse(&["deploy"], &["other"]),
        Err(ServiceScopesError::MemberNotDefined(_))
    ));
    assert!(matches!(
        ServiceScopes::parse(&["Bad"], &[]),
        Err(ServiceScopesError::Name { .. })
    ));
    let s = services(&["deploy", "deploy", "a"], &["a"]);
    assert_eq!(s.to_stored(), ("a deploy".into(), "a".into()));
    assert_eq!(
        ServiceScopes::from_stored("a deploy", "a zz"),
        services(&["a", "deploy"], &["a"])
    );
}

#[test]
fn a_refresh_only_narrows() {
    let grant = set("deploy read_api");
    assert_eq!(
        grant.narrow_to(&set("deploy")).unwrap().to_stored(),
        "deploy"
    );
    assert_eq!(grant.narrow_to(&set("api")), Err(strings(&["api"])));
}

#[test]
fn a_name_a_proxy_requires_is_covered_as_on_the_api() {
    let token = set("api deploy");
    assert!(token.covers_name("deploy", false));
    assert!(token.covers_name("read_api", false), "api covers read_api");
    assert!(!token.covers_name("reports:read", false));
    assert!(
        !set("api").covers_name("deploy", true),
        "api implies no service scope"
    );
    assert!(
        !token.covers_name("Deploy", true),
        "a malformed name is covered by nothing"
    );
    assert!(!set("admin").covers_name("admin", false));
}
