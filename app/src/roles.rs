//! Who may read and write which class of document (DOMAIN.md, "Roles and
//! what they may touch"). The server enforces it at sync time; the desktop
//! uses it to hide what a role may not use. One table, used by both.

use crate::documents::DocClass;

string_enum! {
    /// The seven roles a member of an organisation can have.
    pub enum Role ("role") {
        Admin => "admin",
        Gerente => "gerente",
        Recepcao => "recepcao",
        Comercial => "comercial",
        Clinico => "clinico",
        Financeiro => "financeiro",
        Viewer => "viewer",
    }
}

/// What a role may do with a class of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// The document never reaches the workstation.
    None,
    Read,
    /// Read and write.
    Write,
}

impl Role {
    /// The roles matrix. A document with no declared class is judged as a
    /// chart, the most restricted class (see [`class_or_most_restricted`]).
    pub fn access(self, class: DocClass) -> Access {
        use Access::{None as N, Read as R, Write as W};
        use DocClass::*;
        match (class, self) {
            (_, Role::Admin) => W,
            (Directory, Role::Gerente) => W,
            (Directory, _) => R,
            (Patient, Role::Gerente | Role::Recepcao | Role::Clinico) => W,
            (Patient, Role::Comercial | Role::Financeiro) => R,
            (Patient, Role::Viewer) => N,
            (Chart, Role::Clinico) => W,
            (Chart, _) => N,
            (Agenda, Role::Gerente | Role::Recepcao | Role::Clinico) => W,
            (Agenda, Role::Comercial | Role::Financeiro) => R,
            (Agenda, Role::Viewer) => N,
            (Ledger, Role::Gerente | Role::Recepcao | Role::Financeiro) => W,
            (Ledger, Role::Clinico) => R,
            (Ledger, Role::Comercial | Role::Viewer) => N,
            (Conversation, Role::Gerente | Role::Recepcao | Role::Comercial) => W,
            (Conversation, Role::Clinico) => R,
            (Conversation, Role::Financeiro | Role::Viewer) => N,
        }
    }

    pub fn can_read(self, class: DocClass) -> bool {
        self.access(class) >= Access::Read
    }

    pub fn can_write(self, class: DocClass) -> bool {
        self.access(class) == Access::Write
    }

    /// Whether a member with this role may give `role` to someone (or to
    /// themselves): never a role that reads a class this one cannot read,
    /// so no one widens their own reach (a gerente cannot make anyone,
    /// themselves included, a clínico: charts are not theirs to read).
    pub fn may_grant(self, role: Role) -> bool {
        DocClass::ALL
            .iter()
            .all(|c| !role.can_read(*c) || self.can_read(*c))
    }

    /// The classes this role may read.
    pub fn readable(self) -> Vec<DocClass> {
        DocClass::ALL
            .iter()
            .copied()
            .filter(|c| self.can_read(*c))
            .collect()
    }
}

/// The class a document is judged by: its declared class, or, when it
/// declares none, the most restricted one.
pub fn class_or_most_restricted(declared: Option<DocClass>) -> DocClass {
    declared.unwrap_or(DocClass::Chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::{None as N, Read as R, Write as W};

    /// DOMAIN.md's table, row by row, columns admin, gerente, recepção,
    /// comercial, clínico, financeiro, viewer.
    #[test]
    fn matches_the_domain_table() {
        let table = [
            (DocClass::Directory, [W, W, R, R, R, R, R]),
            (DocClass::Patient, [W, W, W, R, W, R, N]),
            (DocClass::Chart, [W, N, N, N, W, N, N]),
            (DocClass::Agenda, [W, W, W, R, W, R, N]),
            (DocClass::Ledger, [W, W, W, N, R, W, N]),
            (DocClass::Conversation, [W, W, W, W, R, N, N]),
        ];
        for (class, row) in table {
            for (role, expected) in Role::ALL.iter().zip(row) {
                assert_eq!(role.access(class), expected, "{role} on {class}");
            }
        }
        assert_eq!(class_or_most_restricted(None), DocClass::Chart);
        assert!(Role::Admin.may_grant(Role::Clinico));
        assert!(Role::Gerente.may_grant(Role::Recepcao));
        assert!(!Role::Gerente.may_grant(Role::Clinico), "charts");
        assert!(!Role::Gerente.may_grant(Role::Admin));
        assert!(!Role::Financeiro.may_grant(Role::Recepcao), "conversations");
        assert!(!Role::Recepcao.readable().contains(&DocClass::Chart));
    }
}
