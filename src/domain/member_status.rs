//! How a member stands in a workspace, in the words the API and the pages use.

/// A member's standing: the account's, the membership's, or the invitation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    /// Invited and not yet signed up: no password set.
    Invited,
    /// Suspended in this workspace by one of its admins.
    Suspended,
    /// The account is deactivated (in every workspace).
    Deactivated,
}

impl MemberStatus {
    /// The account's deactivation wins over the membership's suspension, which
    /// wins over an open invitation.
    pub fn of(deactivated: bool, suspended: bool, invited: bool) -> Self {
        if deactivated {
            MemberStatus::Deactivated
        } else if suspended {
            MemberStatus::Suspended
        } else if invited {
            MemberStatus::Invited
        } else {
            MemberStatus::Active
        }
    }

    /// The API's word.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Invited => "invited",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Deactivated => "deactivated",
        }
    }

    /// The page's word.
    pub fn label(self) -> &'static str {
        match self {
            MemberStatus::Active => "Active",
            MemberStatus::Invited => "Invited",
            MemberStatus::Suspended => "Suspended",
            MemberStatus::Deactivated => "Deactivated",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deactivation_wins_over_suspension_which_wins_over_an_invitation() {
        assert_eq!(
            MemberStatus::of(true, true, true),
            MemberStatus::Deactivated
        );
        assert_eq!(MemberStatus::of(false, true, true), MemberStatus::Suspended);
        assert_eq!(MemberStatus::of(false, false, true).as_str(), "invited");
        assert_eq!(MemberStatus::of(false, false, false).label(), "Active");
    }
}
