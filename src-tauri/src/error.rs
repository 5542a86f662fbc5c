//! The one error type every command returns: a stable `code` the UI
//! translates (pt-BR first), the core's precise `message`, and for form
//! input the `field` it is about.

use arcada_core::clinic;
use arcada_core::patient::PatientError;
use arcada_core::sync::SyncError;
use arcada_core::workstation::WorkstationError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ApiError"))]
#[error("{code}: {message}")]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub field: Option<&'static str>,
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Nobody is signed in on this workstation.
    pub fn locked() -> CommandError {
        CommandError::new("locked", "nobody is signed in on this workstation")
    }

    fn internal(e: impl std::fmt::Display) -> CommandError {
        tracing::error!(error = %e, "command failed");
        CommandError::new("internal", e.to_string())
    }
}

impl From<clinic::Error> for CommandError {
    fn from(e: clinic::Error) -> Self {
        let field = match &e {
            clinic::Error::Patient(p) => Some(match p {
                PatientError::NameMissing | PatientError::Name(_) => "name",
                PatientError::Cpf(_) => "cpf",
                PatientError::Phone(_) => "phones",
                PatientError::BirthDate(_) => "birth_date",
                PatientError::Email(_) => "email",
                PatientError::Sex(_) => "sex",
            }),
            clinic::Error::DuplicateCpf { .. } => Some("cpf"),
            clinic::Error::Invalid { field, .. } => Some(*field),
            _ => None,
        };
        match e.code() {
            "internal" => CommandError::internal(e),
            code => CommandError {
                code,
                message: e.to_string(),
                field,
            },
        }
    }
}

impl CommandError {
    /// A refusal of the server's HTTP API (not of the sync protocol): its
    /// own code where the UI knows it, and for a refused field the field.
    pub fn from_server(e: SyncError) -> CommandError {
        let SyncError::Refused { status, error } = &e else {
            return e.into();
        };
        let code = match (*status, error.code.as_str()) {
            (400, "invalid") => "invalid",
            (403, _) => "forbidden",
            (404, _) => "not_found",
            (409, "exists") => "exists",
            (503, "whatsapp_not_configured") => "whatsapp_not_configured",
            _ => return e.into(),
        };
        // "invalid access_token: …": the field the server names
        let field = [
            "phone_number_id",
            "display_phone_number",
            "waba_id",
            "access_token",
        ]
        .into_iter()
        .find(|f| error.message.starts_with(&format!("invalid {f}:")));
        CommandError {
            code,
            message: error.message.clone(),
            field,
        }
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        let code = match &e {
            SyncError::Refused { status: 401, .. } => "login_refused",
            SyncError::Refused { status: 429, .. } => "throttled",
            SyncError::Refused { .. } | SyncError::Protocol(_) => "sync",
            SyncError::Transport(_) => "server_unreachable",
            SyncError::NotLoggedIn | SyncError::SessionEnded | SyncError::Removed => "needs_login",
            SyncError::Session(_)
            | SyncError::NoClinic(_)
            | SyncError::Store(_)
            | SyncError::Projection(_) => return CommandError::internal(e),
        };
        CommandError::new(code, e.to_string())
    }
}

impl From<WorkstationError> for CommandError {
    fn from(e: WorkstationError) -> Self {
        let code = match e {
            WorkstationError::Sync(s) => return s.into(),
            WorkstationError::Io { .. }
            | WorkstationError::Store(_)
            | WorkstationError::Hash(_) => return CommandError::internal(e),
            WorkstationError::OtherClinic { .. } => "other_clinic",
            WorkstationError::UnknownUser(_) => "unknown_user",
            WorkstationError::WrongPassword => "wrong_password",
            WorkstationError::ServerAddress(_) => "invalid_server",
            WorkstationError::NotMember { .. } | WorkstationError::NoOrganization(_) => {
                "no_organization"
            }
            WorkstationError::ChooseOrganization { .. } => "choose_organization",
        };
        CommandError::new(code, e.to_string())
    }
}

impl From<arcada_core::store::StoreError> for CommandError {
    fn from(e: arcada_core::store::StoreError) -> Self {
        CommandError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_errors_name_their_field() {
        let e: CommandError = clinic::Error::Patient(PatientError::NameMissing).into();
        assert_eq!((e.code, e.field), ("invalid_name", Some("name")));
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json["field"], "name");
        assert_eq!(json["code"], "invalid_name");
    }

    #[test]
    fn a_refused_login_is_not_an_unreachable_server() {
        let e: CommandError = SyncError::Transport("connection refused".into()).into();
        assert_eq!(e.code, "server_unreachable");
        let e: CommandError = WorkstationError::WrongPassword.into();
        assert_eq!(e.code, "wrong_password");
        assert!(serde_json::to_value(&e)
            .expect("json")
            .get("field")
            .is_none());
    }

    #[test]
    fn the_servers_refusals_keep_their_code_and_field() {
        let refused = |status: u16, code: &str, message: &str| {
            CommandError::from_server(SyncError::Refused {
                status,
                error: arcada_core::protocol::ApiError {
                    code: code.into(),
                    message: message.into(),
                },
            })
        };
        let e = refused(400, "invalid", "invalid waba_id: 1 to 32 digits, not \"x\"");
        assert_eq!((e.code, e.field), ("invalid", Some("waba_id")));
        assert_eq!(refused(409, "exists", "taken").code, "exists");
        assert_eq!(refused(403, "forbidden", "no").code, "forbidden");
        assert_eq!(refused(404, "not_found", "none").code, "not_found");
        let e = refused(503, "whatsapp_not_configured", "no key");
        assert_eq!((e.code, e.field), ("whatsapp_not_configured", None));
        // a session the server ended is still a login, not a refusal
        assert_eq!(
            refused(401, "unauthorized", "expired").code,
            "login_refused"
        );
        assert_eq!(refused(500, "internal", "boom").code, "sync");
        let e = CommandError::from_server(SyncError::Transport("refused".into()));
        assert_eq!(e.code, "server_unreachable");
    }
}
