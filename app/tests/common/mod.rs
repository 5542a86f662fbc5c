//! Helpers shared by the integration tests that run several workstations.

use std::path::Path;

use arcada_core::store::{self, Store};
use arcada_core::{projection, sync};

/// Applies every change `from` holds to `to`, as a pull would: documents
/// merged, projections updated incrementally, in one transaction.
pub fn merge(from: &Path, to: &Path) {
    let source = Store::open(&from.join(store::FILE_NAME)).expect("open from");
    let mut target = Store::open(&to.join(store::FILE_NAME)).expect("open to");
    let cpf = sync::local_cpf_index(&mut target).expect("cpf");
    let tx = target.transaction().expect("tx");
    for (id, class) in store::document_ids(source.conn()).expect("ids") {
        let doc = store::load(source.conn(), id)
            .expect("load")
            .expect("doc")
            .doc;
        let merged = tx
            .apply_changes(id, class, doc.get_changes(&[]))
            .expect("apply");
        projection::apply(&tx, id, class, &merged, &cpf).expect("project");
    }
    tx.commit().expect("commit");
}

/// Starts workstation `to` from a copy of `from`'s store, as another
/// device (hence another Automerge actor) and, with `new_user`, another
/// person signed in.
pub fn copy_workstation(from: &Path, to: &Path, new_user: bool) {
    std::fs::create_dir_all(to).expect("dir");
    std::fs::copy(from.join(store::FILE_NAME), to.join(store::FILE_NAME)).expect("copy");
    let mut s = Store::open(&to.join(store::FILE_NAME)).expect("open");
    let tx = s.transaction().expect("tx");
    tx.set_meta("device_id", &uuid::Uuid::now_v7().to_string())
        .expect("meta");
    if new_user {
        tx.set_meta("user_id", &uuid::Uuid::now_v7().to_string())
            .expect("meta");
    }
    tx.commit().expect("commit");
}
