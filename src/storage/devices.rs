//! Devices, device groups and CLIs.

use async_trait::async_trait;

use super::StoreResult;
use crate::model::{Device, DeviceGroup};

/// How a new device gets its PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinChoice {
    /// `length` random digits, unused by any device.
    Random(usize),
    Pinless,
    Given(String),
}

/// A device row to insert (spec D.6, E.2).
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub user_id: i64,
    /// Owner scope whose Default Device template fills the unset fields.
    pub template_owner: i64,
    pub device_type: String,
    /// Explicit device username; `None` means "the extension".
    pub username: Option<String>,
    /// Explicit extension; `None` means the smallest free one in `extension_range`.
    pub extension: Option<String>,
    pub extension_range: (i64, i64),
    pub secret: String,
    pub sip_realm: String,
    pub pin: PinChoice,
    pub description: String,
    /// `None` means the user's `primary` group, created if missing.
    pub devicegroup_id: Option<i64>,
    pub callerid: String,
    pub location_id: Option<i64>,
    pub timeout: Option<i64>,
    pub fromuser: String,
    pub clis: Vec<(String, &'static str)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedDevice {
    pub id: i64,
    pub username: String,
    pub secret: String,
    pub pin: Option<String>,
    pub extension: String,
}

#[async_trait]
pub trait DeviceStore: Send + Sync {
    async fn device_by_id(&self, id: i64) -> StoreResult<Option<Device>>;
    /// Exact match on the device (SIP) username.
    async fn device_by_username(&self, username: &str) -> StoreResult<Option<Device>>;
    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>>;
    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool>;
    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool>;
    /// Whether a device uses this text as its extension or its username.
    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool>;
    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice>;
}
