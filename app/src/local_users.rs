//! What the server's word does to the people known on this workstation:
//! a user removed from the organisation can no longer unlock it offline,
//! and an offline unlock grants the role the server gives now. The sync
//! engine applies these as it learns them; logging in and unlocking are
//! [`crate::workstation`]'s.

use rusqlite::params;
use uuid::Uuid;

use crate::roles::Role;
use crate::store::{self, Store, StoreError};

/// Meta key: "1" while the workstation is locked.
pub(crate) const LOCKED: &str = "locked";

/// A user the server removed from the organisation: their verifier goes,
/// so they can no longer unlock this workstation offline, and if they are
/// the one working on it, it locks.
pub fn forget(store: &mut Store, user: Uuid) -> Result<(), StoreError> {
    let tx = store.transaction()?;
    tx.execute(
        "DELETE FROM local_users WHERE user_id = ?1",
        [user.to_string()],
    )?;
    // Nobody signs notes as them here again.
    tx.execute(
        "DELETE FROM signing_keys WHERE user_id = ?1",
        [user.to_string()],
    )?;
    if store::meta(&tx, "user_id")?.as_deref() == Some(user.to_string().as_str()) {
        tx.set_meta(LOCKED, "1")?;
    }
    tx.audit(
        chrono::Utc::now().timestamp_millis(),
        &user.to_string(),
        &store::meta(&tx, "device_id")?.unwrap_or_default(),
        "workstation.forget_user",
        None,
        Some("removed from the organisation"),
    )?;
    tx.commit()
}

/// The role the server now gives `user`: what an offline unlock grants
/// from here on.
pub fn set_local_role(tx: &store::StoreTx<'_>, user: Uuid, role: Role) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE local_users SET role = ?2 WHERE user_id = ?1",
        params![user.to_string(), role.as_str()],
    )?;
    Ok(())
}
