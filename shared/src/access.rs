//! The organization-tree rules: who may see and change what.
//!
//! Organizations form a tree (partner → customers → sub-organizations, any depth). An administrator of an
//! organization administers it and everything below it; a cardholder administers nothing and sees only their own
//! passes. The functions take an organization's *ancestry*: the organization itself followed by its ancestors up
//! to the root, as the storage layer returns it.

use crate::ids::{OrgId, UserId};
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// A user's role in one organization. A user may belong to several organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The organization.
    pub org: OrgId,
    /// The user's role in it.
    pub role: Role,
}

impl Membership {
    /// Whether this membership makes the user an administrator of `org`.
    fn administers(&self, org: OrgId) -> bool {
        self.role == Role::Administrator && self.org == org
    }
}

/// `ancestry` = the target organization followed by its ancestors up to the root (target first). An administrator
/// of an organization administers it and everything below it (any depth); a cardholder administers nothing.
pub fn may_administer(memberships: &[Membership], ancestry: &[OrgId]) -> bool {
    ancestry
        .iter()
        .any(|&org| memberships.iter().any(|m| m.administers(org)))
}

/// How many levels deep organizations may be nested: a partner (level 1), its customers (level 2), their
/// sub-organizations, and so on down to this level. Well below the 64 levels every tree query of the storage
/// layer walks, so that each of them always sees a whole tree.
pub const MAX_ORG_DEPTH: usize = 12;

/// Whether the organization `name` at `ancestry` (itself followed by its ancestors, as everywhere here) may get a
/// sub-organization: `Err` with the message shown at the name field when the new organization would be nested
/// deeper than [`MAX_ORG_DEPTH`]. The message does not say how many levels are above (a sub-organization's
/// administrator does not see them).
pub fn check_sub_organization_depth(ancestry: &[OrgId], name: &str) -> Result<(), String> {
    if ancestry.len() < MAX_ORG_DEPTH {
        Ok(())
    } else {
        Err(format!(
            "Organizations can be nested at most {MAX_ORG_DEPTH} levels deep; \"{name}\" is at the deepest \
             level and cannot have sub-organizations."
        ))
    }
}

/// Whether an existing account lies within the caller's own tree: it is a member of at least one organization the
/// caller administers. `account_orgs` holds the ancestry of each organization the account is a member of.
///
/// Inside, "+ Add User" with its e-mail reuses the account openly (its stored name, and the page says so);
/// outside, the caller must learn nothing about it, not even that it exists.
pub fn account_within_reach(caller: &[Membership], account_orgs: &[Vec<OrgId>]) -> bool {
    account_orgs
        .iter()
        .any(|ancestry| may_administer(caller, ancestry))
}

/// The organization shown as "My organization": the first administrator membership in the given order, else None.
/// Storage passes the memberships oldest first, so being added to another organization later never changes it.
pub fn home_org(memberships: &[Membership]) -> Option<OrgId> {
    memberships
        .iter()
        .find(|m| m.role == Role::Administrator)
        .map(|m| m.org)
}

/// The part of `ancestry` the caller may see as a breadcrumb: from the highest organization they administer down to
/// the target, returned top-down (root side first). Empty if they may not administer the target.
pub fn visible_path(memberships: &[Membership], ancestry: &[OrgId]) -> Vec<OrgId> {
    let highest = ancestry
        .iter()
        .rposition(|&org| memberships.iter().any(|m| m.administers(org)));
    match highest {
        Some(index) => ancestry[..=index].iter().rev().copied().collect(),
        None => Vec::new(),
    }
}

/// Whether a caller may see a user's passes: administrators of an ancestor of (or the) owning org, or the user
/// themself. `owner_ancestry` is the ancestry of the organization the passes belong to.
pub fn may_view_passes_of(
    caller: UserId,
    memberships: &[Membership],
    owner: UserId,
    owner_ancestry: &[OrgId],
) -> bool {
    caller == owner || may_administer(memberships, owner_ancestry)
}

/// Whether an organization's "Require two-factor authentication for administrators" reaches this user: some
/// administrator membership lies in an organization that requires it or below one. `admin_ancestries` holds, for
/// each membership, its ancestry (the membership's organization first, as everywhere here); `requiring` the
/// organizations that require two-factor authentication. Cardholder memberships are never covered.
pub fn two_factor_required(
    memberships: &[Membership],
    ancestries: &[Vec<OrgId>],
    requiring: &[OrgId],
) -> bool {
    memberships.iter().zip(ancestries).any(|(m, ancestry)| {
        m.role == Role::Administrator
            && ancestry.first() == Some(&m.org)
            && ancestry.iter().any(|org| requiring.contains(org))
    })
}

/// The organization whose requirement an organization inherits: the nearest strict ancestor in `ancestry` (the
/// organization first) that requires two-factor authentication of administrators, if any.
pub fn two_factor_required_by(ancestry: &[OrgId], requiring: &[OrgId]) -> Option<OrgId> {
    ancestry
        .iter()
        .skip(1)
        .find(|org| requiring.contains(org))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tree used below:
    //
    //   1 partner
    //   ├── 2 customer A
    //   │   ├── 4 sub-customer A1
    //   │   │   └── 6 sub-sub-customer A1a
    //   │   └── 5 sub-customer A2
    //   └── 3 customer B
    //   9 another partner (separate root)
    const PARTNER: OrgId = OrgId(1);
    const CUST_A: OrgId = OrgId(2);
    const CUST_B: OrgId = OrgId(3);
    const SUB_A1: OrgId = OrgId(4);
    const SUB_A2: OrgId = OrgId(5);
    const SUB_A1A: OrgId = OrgId(6);
    const OTHER_ROOT: OrgId = OrgId(9);

    fn ancestry(org: OrgId) -> Vec<OrgId> {
        let parent = |o: OrgId| match o.0 {
            2 | 3 => Some(PARTNER),
            4 | 5 => Some(CUST_A),
            6 => Some(SUB_A1),
            _ => None,
        };
        let mut chain = vec![org];
        while let Some(p) = parent(*chain.last().unwrap()) {
            chain.push(p);
        }
        chain
    }

    fn admin(org: OrgId) -> Membership {
        Membership {
            org,
            role: Role::Administrator,
        }
    }

    fn cardholder(org: OrgId) -> Membership {
        Membership {
            org,
            role: Role::Cardholder,
        }
    }

    #[test]
    fn ancestry_helper_is_target_first() {
        assert_eq!(ancestry(SUB_A1A), vec![SUB_A1A, SUB_A1, CUST_A, PARTNER]);
        assert_eq!(ancestry(PARTNER), vec![PARTNER]);
    }

    #[test]
    fn who_administers_what() {
        let all = [PARTNER, CUST_A, CUST_B, SUB_A1, SUB_A2, SUB_A1A, OTHER_ROOT];
        // (memberships, organizations they administer)
        let table: Vec<(Vec<Membership>, Vec<OrgId>)> = vec![
            // Partner administrator: the whole tree below the partner, any depth.
            (
                vec![admin(PARTNER)],
                vec![PARTNER, CUST_A, CUST_B, SUB_A1, SUB_A2, SUB_A1A],
            ),
            // Customer administrator: the customer and its subtree, not the partner nor the sibling customer.
            (vec![admin(CUST_A)], vec![CUST_A, SUB_A1, SUB_A2, SUB_A1A]),
            // Sub-customer administrator: only its own branch.
            (vec![admin(SUB_A1)], vec![SUB_A1, SUB_A1A]),
            (vec![admin(CUST_B)], vec![CUST_B]),
            // Cardholders administer nothing, not even their own organization.
            (vec![cardholder(CUST_A)], vec![]),
            (vec![cardholder(PARTNER)], vec![]),
            // No memberships at all.
            (vec![], vec![]),
            // Several memberships: the union of the administered subtrees; cardholder ones add nothing.
            (
                vec![cardholder(PARTNER), admin(SUB_A2), admin(CUST_B)],
                vec![CUST_B, SUB_A2],
            ),
            (
                vec![admin(SUB_A1), admin(OTHER_ROOT)],
                vec![SUB_A1, SUB_A1A, OTHER_ROOT],
            ),
        ];
        for (memberships, administered) in table {
            for org in all {
                assert_eq!(
                    may_administer(&memberships, &ancestry(org)),
                    administered.contains(&org),
                    "{memberships:?} on {org}"
                );
            }
        }
        assert!(!may_administer(&[admin(PARTNER)], &[]));
    }

    #[test]
    fn home_org_is_the_first_administrator_membership() {
        let table: Vec<(Vec<Membership>, Option<OrgId>)> = vec![
            (vec![admin(CUST_A)], Some(CUST_A)),
            (vec![cardholder(PARTNER)], None),
            (vec![], None),
            (vec![cardholder(PARTNER), admin(SUB_A2)], Some(SUB_A2)),
            (vec![admin(CUST_B), admin(PARTNER)], Some(CUST_B)),
        ];
        for (memberships, expected) in table {
            assert_eq!(home_org(&memberships), expected, "{memberships:?}");
        }
    }

    #[test]
    fn an_account_is_within_reach_when_a_membership_is_administered_by_the_caller() {
        // (caller, the account's organizations, within reach)
        let table: Vec<(Vec<Membership>, Vec<OrgId>, bool)> = vec![
            // A member of the caller's own organization or anywhere below it.
            (vec![admin(CUST_A)], vec![CUST_A], true),
            (vec![admin(CUST_A)], vec![SUB_A1A], true),
            (vec![admin(PARTNER)], vec![CUST_B], true),
            // One administered membership among others is enough.
            (vec![admin(CUST_A)], vec![OTHER_ROOT, SUB_A2], true),
            // Above, beside, or in another tenant: outside.
            (vec![admin(SUB_A1)], vec![CUST_A], false),
            (vec![admin(SUB_A1)], vec![SUB_A2], false),
            (vec![admin(CUST_B)], vec![CUST_A, SUB_A1], false),
            (vec![admin(OTHER_ROOT)], vec![PARTNER], false),
            // A cardholder administers nothing, not even the organization they share with the account.
            (vec![cardholder(CUST_A)], vec![CUST_A], false),
            // An account without memberships is nobody's.
            (vec![admin(PARTNER)], vec![], false),
        ];
        for (caller, orgs, expected) in table {
            let ancestries: Vec<Vec<OrgId>> = orgs.iter().map(|&o| ancestry(o)).collect();
            assert_eq!(
                account_within_reach(&caller, &ancestries),
                expected,
                "{caller:?} and an account in {orgs:?}"
            );
        }
    }

    #[test]
    fn sub_organizations_stop_at_the_maximum_depth() {
        let chain =
            |levels: usize| -> Vec<OrgId> { (1..=levels as i64).rev().map(OrgId).collect() };
        assert!(check_sub_organization_depth(&chain(1), "Partner").is_ok());
        assert!(check_sub_organization_depth(&chain(MAX_ORG_DEPTH - 1), "Depot").is_ok());
        let refused = check_sub_organization_depth(&chain(MAX_ORG_DEPTH), "Depot").unwrap_err();
        assert!(
            refused.starts_with(&format!(
                "Organizations can be nested at most {MAX_ORG_DEPTH} levels deep;"
            )),
            "{refused}"
        );
        assert!(
            refused
                .ends_with("\"Depot\" is at the deepest level and cannot have sub-organizations."),
            "{refused}"
        );
        assert!(check_sub_organization_depth(&chain(MAX_ORG_DEPTH + 3), "Deep").is_err());
        // Well inside what the storage layer's tree queries walk (64 levels).
        const { assert!(MAX_ORG_DEPTH >= 10 && MAX_ORG_DEPTH <= 16) };
    }

    #[test]
    fn breadcrumb_starts_at_the_highest_administered_organization() {
        let table: Vec<(Vec<Membership>, OrgId, Vec<OrgId>)> = vec![
            (vec![admin(PARTNER)], PARTNER, vec![PARTNER]),
            (
                vec![admin(PARTNER)],
                SUB_A1A,
                vec![PARTNER, CUST_A, SUB_A1, SUB_A1A],
            ),
            (vec![admin(CUST_A)], SUB_A1A, vec![CUST_A, SUB_A1, SUB_A1A]),
            (vec![admin(CUST_A)], CUST_A, vec![CUST_A]),
            // The partner stays hidden from a customer administrator.
            (vec![admin(SUB_A1)], SUB_A1A, vec![SUB_A1, SUB_A1A]),
            // Sibling branch: nothing.
            (vec![admin(SUB_A1)], SUB_A2, vec![]),
            (vec![admin(CUST_B)], SUB_A1, vec![]),
            (vec![cardholder(PARTNER)], CUST_A, vec![]),
            // Two administrator memberships on the same path: the higher one wins, whatever the order.
            (
                vec![admin(SUB_A1), admin(CUST_A)],
                SUB_A1A,
                vec![CUST_A, SUB_A1, SUB_A1A],
            ),
            (
                vec![admin(CUST_A), admin(SUB_A1)],
                SUB_A1A,
                vec![CUST_A, SUB_A1, SUB_A1A],
            ),
            // A cardholder membership higher up does not extend the breadcrumb.
            (
                vec![cardholder(PARTNER), admin(SUB_A1)],
                SUB_A1A,
                vec![SUB_A1, SUB_A1A],
            ),
        ];
        for (memberships, target, expected) in table {
            assert_eq!(
                visible_path(&memberships, &ancestry(target)),
                expected,
                "{memberships:?} on {target}"
            );
        }
        assert_eq!(visible_path(&[admin(PARTNER)], &[]), Vec::<OrgId>::new());
    }

    #[test]
    fn who_may_view_a_users_passes() {
        let me = UserId(10);
        let other = UserId(11);
        // (caller, caller's memberships, owner, owner's organization, allowed)
        let table: Vec<(UserId, Vec<Membership>, UserId, OrgId, bool)> = vec![
            // A cardholder sees their own passes, nobody else's.
            (me, vec![cardholder(CUST_A)], me, CUST_A, true),
            (me, vec![cardholder(CUST_A)], other, CUST_A, false),
            // Even with no memberships, a user sees their own passes.
            (me, vec![], me, SUB_A1, true),
            // Administrators see the passes of users in their organization and below.
            (me, vec![admin(CUST_A)], other, CUST_A, true),
            (me, vec![admin(CUST_A)], other, SUB_A1A, true),
            (me, vec![admin(PARTNER)], other, SUB_A2, true),
            // ... but not above or beside it.
            (me, vec![admin(SUB_A1)], other, CUST_A, false),
            (me, vec![admin(SUB_A1)], other, SUB_A2, false),
            (me, vec![admin(CUST_B)], other, SUB_A1, false),
            (me, vec![admin(OTHER_ROOT)], other, PARTNER, false),
            // Several memberships.
            (
                me,
                vec![cardholder(PARTNER), admin(CUST_B)],
                other,
                CUST_B,
                true,
            ),
            (
                me,
                vec![cardholder(PARTNER), admin(CUST_B)],
                other,
                CUST_A,
                false,
            ),
        ];
        for (caller, memberships, owner, org, allowed) in table {
            assert_eq!(
                may_view_passes_of(caller, &memberships, owner, &ancestry(org)),
                allowed,
                "{caller} {memberships:?} viewing {owner} in {org}"
            );
        }
    }

    #[test]
    fn two_factor_reaches_administrators_at_and_below_a_requiring_organization() {
        let covered = |memberships: Vec<Membership>, requiring: &[OrgId]| {
            let ancestries: Vec<Vec<OrgId>> = memberships.iter().map(|m| ancestry(m.org)).collect();
            two_factor_required(&memberships, &ancestries, requiring)
        };
        // (memberships, organizations requiring it, covered)
        let table: Vec<(Vec<Membership>, Vec<OrgId>, bool)> = vec![
            // Nothing required anywhere.
            (vec![admin(PARTNER)], vec![], false),
            // The partner requires it: its own administrators and those of every organization below, any depth.
            (vec![admin(PARTNER)], vec![PARTNER], true),
            (vec![admin(CUST_A)], vec![PARTNER], true),
            (vec![admin(SUB_A1A)], vec![PARTNER], true),
            // A customer requires it: its branch only, not the partner above nor the sibling customer.
            (vec![admin(SUB_A1)], vec![CUST_A], true),
            (vec![admin(PARTNER)], vec![CUST_A], false),
            (vec![admin(CUST_B)], vec![CUST_A], false),
            (vec![admin(SUB_A2)], vec![SUB_A1], false),
            // Another tenant's requirement reaches nobody here.
            (vec![admin(CUST_A)], vec![OTHER_ROOT], false),
            // Cardholders are never covered, wherever they are.
            (vec![cardholder(CUST_A)], vec![PARTNER, CUST_A], false),
            (vec![cardholder(PARTNER)], vec![PARTNER], false),
            // One covered administrator membership among others is enough.
            (vec![admin(OTHER_ROOT), admin(SUB_A2)], vec![CUST_A], true),
            (vec![cardholder(CUST_A), admin(CUST_B)], vec![CUST_A], false),
            (vec![], vec![PARTNER], false),
        ];
        for (memberships, requiring, expected) in table {
            assert_eq!(
                covered(memberships.clone(), &requiring),
                expected,
                "{memberships:?} with {requiring:?} requiring"
            );
        }
        // An ancestry that does not belong to its membership counts for nothing.
        assert!(!two_factor_required(
            &[admin(CUST_B)],
            &[ancestry(CUST_A)],
            &[CUST_A]
        ));
    }

    #[test]
    fn an_inherited_requirement_names_the_nearest_requiring_ancestor() {
        assert_eq!(two_factor_required_by(&ancestry(SUB_A1A), &[]), None);
        // Its own requirement is not inherited.
        assert_eq!(two_factor_required_by(&ancestry(CUST_A), &[CUST_A]), None);
        assert_eq!(
            two_factor_required_by(&ancestry(SUB_A1A), &[PARTNER]),
            Some(PARTNER)
        );
        assert_eq!(
            two_factor_required_by(&ancestry(SUB_A1A), &[PARTNER, CUST_A, SUB_A1A]),
            Some(CUST_A)
        );
        assert_eq!(two_factor_required_by(&ancestry(CUST_B), &[CUST_A]), None);
    }

    #[test]
    fn membership_serializes_as_an_object() {
        let m = admin(CUST_A);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"org":2,"role":"administrator"}"#);
        assert_eq!(serde_json::from_str::<Membership>(&json).unwrap(), m);
    }
}
