//! Providers.

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub hidden: bool,
}

/// Every provider column moray stores (spec D.5), for `providers_get` and the provider writes.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderDetails {
    pub id: i64,
    pub name: String,
    pub tech: String,
    pub tariff_id: i64,
    pub owner_id: i64,
    pub server_ip: String,
    pub port: i64,
    pub login: String,
    pub password: String,
    pub hidden: bool,
    pub active: bool,
    pub timeout: i64,
    pub dtmfmode: String,
    pub call_limit: i64,
    pub location_id: i64,
}

/// Provider technologies `provider_create` accepts, in their stored spelling (spec F.17).
pub const PROVIDER_TECHS: &[&str] = &["SIP", "IAX2", "H323"];

/// DTMF modes `provider_update` accepts (spec F.17).
pub const PROVIDER_DTMF_MODES: &[&str] = &["inband", "info", "rfc2833", "auto"];
