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

/// The fields `device_update` changes; `None` leaves a field as it is (spec F.8).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceChanges {
    /// New SIP username (the peer `name` follows it).
    pub username: Option<String>,
    pub secret: Option<String>,
    /// Realm of the HA1 recomputed when the username or the secret changes.
    pub sip_realm: String,
    pub host: Option<String>,
    pub ipaddr: Option<String>,
    pub port: Option<i64>,
    pub callerid: Option<String>,
    pub call_limit: Option<i64>,
    pub timeout: Option<i64>,
    pub extension: Option<String>,
    /// `Some(None)` makes the device pinless.
    pub pin: Option<Option<String>>,
    pub hidden: Option<bool>,
    pub comment: Option<String>,
    pub fromuser: Option<String>,
    pub istrunk: Option<i64>,
    pub location_id: Option<i64>,
}

/// A device in a user's list, and whether it is the user's primary (lowest-id) device.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedDevice {
    pub device: Device,
    pub primary: bool,
}

/// What `delete_device` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceDeletion {
    Deleted,
    NotFound,
    /// A DID is assigned to the device; nothing was removed.
    HasDids,
}

#[async_trait]
pub trait DeviceStore: Send + Sync {
    async fn device_by_id(&self, id: i64) -> StoreResult<Option<Device>>;
    /// Exact match on the device (SIP) username.
    async fn device_by_username(&self, username: &str) -> StoreResult<Option<Device>>;
    /// The user's devices by id ascending, at most `limit`, hidden ones only with `include_hidden`.
    async fn user_devices(&self, user_id: i64, include_hidden: bool, limit: usize) -> StoreResult<Vec<ListedDevice>>;
    async fn device_group(&self, id: i64) -> StoreResult<Option<DeviceGroup>>;
    async fn pin_in_use(&self, pin: &str) -> StoreResult<bool>;
    async fn cli_in_use(&self, cli: &str) -> StoreResult<bool>;
    /// Whether a device uses this text as its extension or its username.
    async fn device_name_in_use(&self, name: &str) -> StoreResult<bool>;
    /// Like [`device_name_in_use`](Self::device_name_in_use), ignoring the device `except_id`.
    async fn device_name_used_by_other(&self, name: &str, except_id: i64) -> StoreResult<bool>;
    async fn create_device(&self, device: NewDevice) -> StoreResult<CreatedDevice>;
    /// Applies `changes` atomically. A PIN, extension or username already used by another device
    /// (extension and username share one namespace) is `Conflict(Pin | Extension |
    /// DeviceUsername)`. `Ok(None)` when the device no longer exists.
    async fn update_device(&self, id: i64, changes: DeviceChanges) -> StoreResult<Option<Device>>;
    /// Removes the device and its CLIs in one transaction, unless a DID is assigned to it.
    async fn delete_device(&self, id: i64) -> StoreResult<DeviceDeletion>;
}
