//! What every request handler shares: the store, a short-lived settings cache and the config.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::secrets::PasswordCost;
use crate::settings::{Resolved, StoredSettings};
use crate::storage::{DynStore, StoreResult};

/// How long a cached settings scope may be served: the spec lets every server sharing a
/// database take up to one second to apply a changed setting (spec H).
const SETTINGS_TTL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// argon2id cost for user login passwords.
    pub password_cost: PasswordCost,
}

#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub settings: Arc<SettingsCache>,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(store: DynStore, config: Config) -> AppState {
        AppState {
            settings: Arc::new(SettingsCache::new(store.clone())),
            store,
            config: Arc::new(config),
        }
    }
}

pub struct SettingsCache {
    store: DynStore,
    scopes: Mutex<HashMap<i64, (Instant, Arc<StoredSettings>)>>,
}

impl SettingsCache {
    pub fn new(store: DynStore) -> SettingsCache {
        SettingsCache {
            store,
            scopes: Mutex::new(HashMap::new()),
        }
    }

    async fn stored(&self, owner_id: i64) -> StoreResult<Arc<StoredSettings>> {
        if let Ok(scopes) = self.scopes.lock()
            && let Some((at, settings)) = scopes.get(&owner_id)
            && at.elapsed() < SETTINGS_TTL
        {
            return Ok(settings.clone());
        }
        let settings = Arc::new(self.store.settings(owner_id).await?);
        if let Ok(mut scopes) = self.scopes.lock() {
            scopes.insert(owner_id, (Instant::now(), settings.clone()));
        }
        Ok(settings)
    }

    /// The settings in force for an owner scope (0 = admin).
    pub async fn resolved(&self, scope: i64) -> StoreResult<Resolved> {
        let admin = self.stored(0).await?;
        let own = if scope == 0 {
            admin.clone()
        } else {
            self.stored(scope).await?
        };
        Ok(Resolved::new(own, admin))
    }

    /// Forgets cached values (after this process changed a setting).
    pub fn clear(&self) {
        if let Ok(mut scopes) = self.scopes.lock() {
            scopes.clear();
        }
    }
}
