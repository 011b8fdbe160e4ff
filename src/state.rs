//! What every request handler shares: the store, a short-lived settings cache and the config.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

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
    passwords: Arc<PasswordThreads>,
}

impl AppState {
    pub fn new(store: DynStore, config: Config) -> AppState {
        AppState {
            settings: Arc::new(SettingsCache::new(store.clone())),
            store,
            config: Arc::new(config),
            passwords: Arc::new(PasswordThreads::start()),
        }
    }

    /// Runs argon2id work (hashing or checking a login password) on the password threads, one
    /// per core, and waits for its result without blocking the async threads. The work gets the
    /// thread's argon2 memory to hash in (see [`crate::secrets::PasswordCost::hash_in`]).
    pub async fn password_work<T, F>(&self, work: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce(&mut PasswordMemory) -> T + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: PasswordJob = Box::new(move |memory| {
            let _ = answer.send(work(memory));
        });
        if self.passwords.jobs.send(job).is_err() {
            return Err("the password threads have stopped".into());
        }
        answered.await.map_err(|_| "the password work failed".to_owned())
    }
}

/// The argon2 blocks one password thread hashes in, reused from one password to the next.
pub type PasswordMemory = Vec<argon2::Block>;

type PasswordJob = Box<dyn FnOnce(&mut PasswordMemory) + Send>;

/// A fixed set of threads, one per core, for argon2id, each with its own memory of the cost
/// (19 MiB by default). On the blocking pool a burst of sign-ups computed one hash per waiting
/// request at once, each in a fresh allocation, for no gain in speed (the cores were busy
/// anyway) and with hundreds of MiB of RSS left behind in the allocator.
struct PasswordThreads {
    jobs: mpsc::Sender<PasswordJob>,
}

impl PasswordThreads {
    fn start() -> PasswordThreads {
        let (jobs, queue) = mpsc::channel::<PasswordJob>();
        let queue = Arc::new(Mutex::new(queue));
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for n in 0..cores {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("moray-password-{n}"))
                .spawn(move || {
                    let mut memory = PasswordMemory::new();
                    // Ends when every sender is gone, i.e. with the last AppState clone.
                    while let Ok(job) = queue.lock().map_err(drop).and_then(|q| q.recv().map_err(drop)) {
                        // A panic loses its own answer only (the caller sees an error).
                        let _ = catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
                    }
                });
            if spawned.is_err() {
                tracing::error!(target: "moray::state", "cannot start a password thread");
            }
        }
        PasswordThreads { jobs }
    }
}

pub struct SettingsCache {
    store: DynStore,
    /// Read by every request, written about once a second: a read lock does not make the
    /// worker threads wait on each other.
    scopes: RwLock<HashMap<i64, (Instant, Arc<StoredSettings>)>>,
}

impl SettingsCache {
    pub fn new(store: DynStore) -> SettingsCache {
        SettingsCache {
            store,
            scopes: RwLock::new(HashMap::new()),
        }
    }

    async fn stored(&self, owner_id: i64) -> StoreResult<Arc<StoredSettings>> {
        if let Ok(scopes) = self.scopes.read()
            && let Some((at, settings)) = scopes.get(&owner_id)
            && at.elapsed() < SETTINGS_TTL
        {
            return Ok(settings.clone());
        }
        let settings = Arc::new(self.store.settings(owner_id).await?);
        if let Ok(mut scopes) = self.scopes.write() {
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
        if let Ok(mut scopes) = self.scopes.write() {
            scopes.clear();
        }
    }
}
