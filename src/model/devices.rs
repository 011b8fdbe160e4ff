//! Devices and device groups.

/// Device types `device_create` accepts, in their stored spelling (spec E.2, G23).
pub const DEVICE_TYPES: &[&str] = &[
    "SIP", "PJSIP", "IAX2", "FAX", "Virtual", "H323", "dahdi", "ZAP", "Skype",
];

/// The stored spelling of a device type (case-insensitive; `ZAP` is stored as `dahdi`).
pub fn canonical_device_type(text: &str) -> Option<&'static str> {
    let found = DEVICE_TYPES.iter().find(|t| t.eq_ignore_ascii_case(text))?;
    Some(if *found == "ZAP" { "dahdi" } else { found })
}

/// A device row (spec D.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: i64,
    pub user_id: i64,
    pub device_type: String,
    pub name: String,
    pub username: String,
    pub secret: String,
    pub ha1: String,
    pub extension: String,
    /// `None` = pinless.
    pub pin: Option<String>,
    pub description: String,
    pub devicegroup_id: i64,
    pub callerid: String,
    pub host: String,
    pub ipaddr: String,
    pub port: i64,
    pub context: String,
    pub location_id: i64,
    pub call_limit: i64,
    pub timeout: i64,
    pub fromuser: String,
    pub istrunk: i64,
    pub hidden: bool,
    pub comment: String,
    pub dtmfmode: String,
    pub nat: String,
    pub qualify: String,
    pub canreinvite: String,
    /// Codec list, comma-separated (`alaw,ulaw`).
    pub allow: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceGroup {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
}
