//! The settings navigation: which pages a signed-in user may open, in the groups the
//! side navigation (and, on a phone, the user menu) shows them.

/// One link of the navigation.
pub struct NavLink {
    pub href: &'static str,
    /// The label in the side navigation, under its group's title.
    pub label: &'static str,
    /// The label in the user menu, after "Group > ": the page's full name.
    pub menu_label: &'static str,
    /// Whether this is the page being shown (`aria-current="page"`).
    pub current: bool,
}

/// A titled group of links: Preferences, Admin or Instance.
pub struct NavGroup {
    pub title: &'static str,
    pub links: Vec<NavLink>,
}

/// What decides which groups and links a user sees.
pub struct NavAccess {
    pub is_admin: bool,
    pub is_instance_admin: bool,
    /// The instance switch for the token pages.
    pub api_access_tokens: bool,
}

/// The groups for this user, with the link of `path` (or of the page `path` sits
/// under, such as a token's delete confirmation) marked current.
pub fn groups(access: &NavAccess, path: &str) -> Vec<NavGroup> {
    let tokens = access.api_access_tokens;
    let mut groups = vec![group(
        "Preferences",
        &[
            (tokens, "/preferences/access-tokens", "Access Tokens"),
            (tokens, "/preferences/oauth-tokens", "OAuth 2.0 API Tokens"),
            (true, "/preferences/sessions", "Sessions"),
            (true, "/preferences/password", "Change Password"),
            (
                true,
                "/preferences/invitations",
                "Invitations|Workspace Invitations",
            ),
        ],
        path,
    )];
    if access.is_admin {
        groups.push(group(
            "Admin",
            &[
                (tokens, "/admin/access-tokens", "Access Tokens"),
                (tokens, "/admin/oauth-tokens", "OAuth 2.0 API Tokens"),
                (true, "/admin/people", "People"),
                (true, "/admin/workspace-settings", "Workspace Settings"),
                (true, "/admin/audit-log", "Audit Log"),
            ],
            path,
        ));
    }
    if access.is_instance_admin {
        groups.push(group(
            "Instance",
            &[
                (true, "/instance/accounts", "Accounts"),
                (true, "/instance/audit-log", "Audit Log"),
            ],
            path,
        ));
    }
    groups
}

fn group(
    title: &'static str,
    links: &[(bool, &'static str, &'static str)],
    path: &str,
) -> NavGroup {
    NavGroup {
        title,
        links: links
            .iter()
            .filter(|(shown, _, _)| *shown)
            .map(|&(_, href, labels)| {
                // "Short|Full" where the side navigation has less room than the menu.
                let (label, menu_label) = labels.split_once('|').unwrap_or((labels, labels));
                NavLink {
                    href,
                    label,
                    menu_label,
                    current: is_under(path, href),
                }
            })
            .collect(),
    }
}

/// `path` is `href` itself or a page below it (`/admin/people/x/remove`).
fn is_under(path: &str, href: &str) -> bool {
    path.strip_prefix(href)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(is_admin: bool, is_instance_admin: bool) -> NavAccess {
        NavAccess {
            is_admin,
            is_instance_admin,
            api_access_tokens: true,
        }
    }

    fn titles(groups: &[NavGroup]) -> Vec<&str> {
        groups.iter().map(|g| g.title).collect()
    }

    #[test]
    fn a_member_sees_only_preferences() {
        assert_eq!(titles(&groups(&access(false, false), "/")), ["Preferences"]);
    }

    #[test]
    fn an_admin_sees_admin_and_an_instance_admin_sees_instance() {
        assert_eq!(
            titles(&groups(&access(true, true), "/")),
            ["Preferences", "Admin", "Instance"]
        );
        assert_eq!(
            titles(&groups(&access(false, true), "/")),
            ["Preferences", "Instance"]
        );
    }

    #[test]
    fn the_current_page_and_the_pages_below_it_mark_one_link() {
        for path in [
            "/admin/access-tokens",
            "/admin/access-tokens/0bc1d49f-5475-4c62-a0ba-6ad269389ada/delete",
        ] {
            let current: Vec<_> = groups(&access(true, true), path)
                .into_iter()
                .flat_map(|g| g.links)
                .filter(|l| l.current)
                .map(|l| l.href)
                .collect();
            assert_eq!(current, ["/admin/access-tokens"], "{path}");
        }
        assert!(!is_under("/admin/access-tokens-x", "/admin/access-tokens"));
    }

    #[test]
    fn without_the_token_feature_the_token_pages_are_not_offered() {
        let hrefs: Vec<_> = groups(
            &NavAccess {
                api_access_tokens: false,
                ..access(true, false)
            },
            "/",
        )
        .into_iter()
        .flat_map(|g| g.links)
        .map(|l| l.href)
        .collect();
        assert!(hrefs.iter().all(|h| !h.contains("tokens")), "{hrefs:?}");
    }
}
