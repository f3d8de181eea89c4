//! Typed database ids, so an organization id can never be passed where a pass id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

id_type!(
    /// An organization: the partner, a customer organization or a sub-organization.
    OrgId
);
id_type!(
    /// A person with a log-in (cardholder or administrator).
    UserId
);
id_type!(
    /// A person's membership of one organization, as the browser names it: random (positive, below 2^53, so
    /// it survives JavaScript numbers), unique, and never the same number as the account's [`UserId`].
    /// Everything sent to the browser that names a member uses this, so that an id carries no information
    /// about the account behind it (a sequential [`UserId`] would tell whether an e-mail already had an
    /// account in another tenant: older accounts have lower ids). The server resolves it within the caller's
    /// organization only (`storage::OrgAdmin::member`).
    MemberId
);
id_type!(
    /// A charging pass (RFID card or tag) registered in one organization.
    PassId
);
id_type!(
    /// A charging station registered in one organization.
    StationId
);
id_type!(
    /// A charging session; also the OCPP `transactionId` the station was given.
    TransactionId
);
id_type!(
    /// A command to a station (a central-system CALL), in its station's history.
    CommandId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print_as_plain_numbers() {
        assert_eq!(" 42 ".parse::<OrgId>().unwrap(), OrgId(42));
        assert_eq!(PassId(7).to_string(), "7");
        assert!("x".parse::<UserId>().is_err());
        assert_eq!(
            "9007199254740991".parse::<MemberId>().unwrap(),
            MemberId(9_007_199_254_740_991)
        );
        assert_eq!(serde_json::to_string(&OrgId(3)).unwrap(), "3");
    }
}
