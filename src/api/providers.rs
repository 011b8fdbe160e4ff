//! Providers: `providers_get`, `provider_create`, `provider_update`, `provider_delete` (spec F.16, F.17).

use super::ApiMethod;

pub const METHODS: &[ApiMethod] = &[];
