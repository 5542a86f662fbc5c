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
