//! `moray settings list | get | set | unset`.

use anyhow::{Context, bail, ensure};

use super::SettingsCommand;
use crate::model::UserType;
use crate::settings::{self, SETTINGS, Scope};
use crate::state::SettingsCache;
use crate::storage::DynStore;

/// The owner scope named by `--owner` (admin = 0 when absent or `admin`).
async fn scope_of(store: &DynStore, owner: Option<&str>) -> anyhow::Result<i64> {
    let Some(name) = owner else { return Ok(0) };
    let user = store
        .user_by_username(name)
        .await?
        .with_context(|| format!("no user named {name:?}"))?;
    match user.usertype {
        UserType::Admin => Ok(0),
        UserType::Reseller => Ok(user.id),
        other => bail!("{name} is a {}; settings belong to admin or a reseller", other.as_str()),
    }
}

fn known(name: &str) -> anyhow::Result<&'static settings::Setting> {
    settings::find(name).with_context(|| format!("unknown setting {name:?}; see moray settings list"))
}

pub async fn run(store: DynStore, command: SettingsCommand) -> anyhow::Result<()> {
    let cache = SettingsCache::new(store.clone());
    match command {
        SettingsCommand::List { owner } => {
            let resolved = cache.resolved(scope_of(&store, owner.as_deref()).await?).await?;
            for setting in SETTINGS {
                println!("{}={}", setting.name, resolved.get(setting.name).replace('\n', "\\n"));
            }
        }
        SettingsCommand::Get { name, owner } => {
            let setting = known(&name)?;
            let resolved = cache.resolved(scope_of(&store, owner.as_deref()).await?).await?;
            println!("{}", resolved.get(setting.name));
        }
        SettingsCommand::Set { name, value, owner } => {
            let setting = known(&name)?;
            let scope = scope_of(&store, owner.as_deref()).await?;
            ensure!(
                scope == 0 || setting.scope == Scope::Owner,
                "{name} is a global setting: it has one value, admin's (drop --owner)"
            );
            setting.validate(&value).map_err(anyhow::Error::msg)?;
            let value = setting.canonical(&value);
            store.set_setting(scope, setting.name, &value).await?;
            println!("{}={}", setting.name, value.replace('\n', "\\n"));
        }
        SettingsCommand::Unset { name, owner } => {
            let setting = known(&name)?;
            let scope = scope_of(&store, Some(&owner)).await?;
            ensure!(scope != 0, "admin's settings cannot be unset; set them instead");
            store.unset_setting(scope, setting.name).await?;
            println!("{} now inherits admin's value", setting.name);
        }
    }
    Ok(())
}
