//! moray: a server for Kolmisoft MOR's XML HTTP API.
//!
//! Layout: [`api`] holds the wire contract (parameters, hash, pre-checks, one module per method
//! family); [`storage`] the `Store` trait and one module per database backend; [`cli`] the
//! `moray` command; [`server`] the HTTP app and its serve seam.
#![deny(unsafe_code)]

pub mod admin;
pub mod api;
pub mod cli;
pub mod logging;
pub mod model;
pub mod secrets;
pub mod server;
pub mod settings;
pub mod state;
pub mod storage;
pub mod xml;
