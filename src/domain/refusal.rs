//! Why someone may not generate tokens, said so that they know what to do next:
//! which workspace admins to ask, and which setting to ask for. No I/O.

use super::policy::PolicyViolation;

/// How many admins a refusal names; the rest are counted ("and 3 more").
pub const ADMINS_NAMED: usize = 5;

/// A refusal of Generate as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationRefusal {
    /// The refusal itself ("Only workspace admins may generate access tokens in
    /// this workspace.").
    pub message: String,
    /// Whom to ask, for what; `None` when no admin can lift it (legacy tokens
    /// turned off: the way forward is OAuth 2.0 API tokens).
    pub ask_admin: Option<String>,
}

impl GenerationRefusal {
    /// `violation` explained, with the workspace's active admins (sorted by name).
    pub fn new(violation: &PolicyViolation, admins: &[String]) -> Self {
        let ask_admin = violation.admin_could_allow().then(|| {
            let whom = match names(admins) {
                Some(names) => format!("Ask a workspace admin ({names})"),
                None => "Ask a workspace admin".to_owned(),
            };
            match setting_to_turn_on(violation) {
                Some(label) => {
                    format!("{whom} to turn on \u{201c}{label}\u{201d} in Workspace Settings.")
                }
                None => format!("{whom} if you need one."),
            }
        });
        GenerationRefusal {
            message: violation.to_string(),
            ask_admin,
        }
    }
}

/// The Workspace Settings switch that would lift `violation`, by its label there.
fn setting_to_turn_on(violation: &PolicyViolation) -> Option<&'static str> {
    match violation {
        PolicyViolation::MembersMayNotGenerate => Some("Allow users to generate access tokens"),
        PolicyViolation::TokensDisabled => Some("API Access Token"),
        _ => None,
    }
}

/// "alice", "alice or bob", "alice, bob or carol", "a, b, c, d, e and 2 more".
fn names(admins: &[String]) -> Option<String> {
    match admins {
        [] => None,
        [one] => Some(one.clone()),
        _ if admins.len() > ADMINS_NAMED => Some(format!(
            "{} and {} more",
            admins[..ADMINS_NAMED].join(", "),
            admins.len() - ADMINS_NAMED
        )),
        [rest @ .., last] => Some(format!("{} or {last}", rest.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admins(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_member_is_told_whom_to_ask_and_for_which_setting() {
        let refusal = GenerationRefusal::new(
            &PolicyViolation::MembersMayNotGenerate,
            &admins(&["alice", "bob"]),
        );
        assert_eq!(
            refusal.message,
            "Only workspace admins may generate access tokens in this workspace."
        );
        assert_eq!(
            refusal.ask_admin.as_deref(),
            Some(
                "Ask a workspace admin (alice or bob) to turn on \u{201c}Allow users to \
                 generate access tokens\u{201d} in Workspace Settings."
            )
        );
    }

    #[test]
    fn many_admins_are_named_up_to_five_and_counted_beyond() {
        assert_eq!(names(&[]), None);
        assert_eq!(names(&admins(&["a"])).as_deref(), Some("a"));
        assert_eq!(
            names(&admins(&["a", "b", "c"])).as_deref(),
            Some("a, b or c")
        );
        assert_eq!(
            names(&admins(&["a", "b", "c", "d", "e", "f", "g"])).as_deref(),
            Some("a, b, c, d, e and 2 more")
        );
    }

    #[test]
    fn legacy_tokens_turned_off_asks_no_admin() {
        let refusal = GenerationRefusal::new(&PolicyViolation::LegacyTokensDisabled, &[]);
        assert_eq!(refusal.ask_admin, None);
    }
}
