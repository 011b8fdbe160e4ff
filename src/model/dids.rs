//! DIDs and their life cycle.

/// A DID's status (spec D.7): stored lowercase, printed capitalised by `dids_get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DidStatus {
    Free,
    Reserved,
    Active,
    Closed,
    Terminated,
}

impl DidStatus {
    pub const ALL: [DidStatus; 5] = [
        DidStatus::Free,
        DidStatus::Reserved,
        DidStatus::Active,
        DidStatus::Closed,
        DidStatus::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DidStatus::Free => "free",
            DidStatus::Reserved => "reserved",
            DidStatus::Active => "active",
            DidStatus::Closed => "closed",
            DidStatus::Terminated => "terminated",
        }
    }

    /// The form `dids_get` prints: `Free`, `Reserved`, ….
    pub fn label(self) -> &'static str {
        match self {
            DidStatus::Free => "Free",
            DidStatus::Reserved => "Reserved",
            DidStatus::Active => "Active",
            DidStatus::Closed => "Closed",
            DidStatus::Terminated => "Terminated",
        }
    }

    /// Case-insensitive.
    pub fn parse(text: &str) -> Option<DidStatus> {
        DidStatus::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(text))
    }
}

/// A DID row (spec D.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Did {
    pub id: i64,
    pub did: String,
    pub provider_id: i64,
    pub status: DidStatus,
    pub reseller_id: i64,
    pub user_id: i64,
    pub device_id: i64,
    /// 0 = unlimited.
    pub call_limit: i64,
    pub language: String,
    pub custom_sip_header: String,
    pub comment: String,
    pub reseller_comment: String,
}
