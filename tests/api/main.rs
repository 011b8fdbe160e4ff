//! Integration tests: the real router over real SQLite files, a few over a real socket.

#[macro_use]
mod common;
mod smoke;

mod devices;
mod dids;
mod reseller_groups;

mod registration;

mod cli;
mod prechecks;
mod transport;

mod device_methods;
mod did_methods;
mod provider_methods;
mod user_methods;
