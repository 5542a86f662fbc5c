//! Proof that whoever connects a WhatsApp number holds it: before a number
//! is bound to a clinic (and the messages that arrived for it unrouted
//! move there), the server asks the Graph API for that very
//! `phone_number_id` with the access token given. Only a token that may
//! read the number gets it back; a junk token (code 190) or one of another
//! business (code 100, the object "does not exist") proves nothing.

use std::time::Duration;

use serde::Deserialize;

/// Largest answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// How the Graph API is reached for proofs.
#[derive(Debug, Clone)]
pub struct Graph {
    pub client: reqwest::Client,
    /// `https://graph.facebook.com/v21.0`, no trailing slash.
    pub url: String,
}

impl Graph {
    pub fn new(url: &str, timeout: Duration) -> Result<Graph, reqwest::Error> {
        Ok(Graph {
            client: super::graph_client(timeout)?,
            url: url.trim_end_matches('/').to_string(),
        })
    }
}

/// What the Graph API said about a number the token may read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Proven {
    pub id: String,
    #[serde(default)]
    pub display_phone_number: Option<String>,
    #[serde(default)]
    pub verified_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnershipError {
    #[error("the Graph API refused the access token (code {code}): {message}")]
    TokenRefused { code: i64, message: String },
    #[error(
        "the access token may not read WhatsApp number {phone_number_id} (Graph API code \
         {code}): it is another business's number, or the token lacks whatsapp_business_management"
    )]
    NotTheirs { phone_number_id: String, code: i64 },
    #[error("the Graph API could not be asked: {0}")]
    Unavailable(String),
}

impl OwnershipError {
    pub fn code(&self) -> &'static str {
        match self {
            OwnershipError::TokenRefused { .. } => "token_refused",
            OwnershipError::NotTheirs { .. } => "number_not_owned",
            OwnershipError::Unavailable(_) => "graph_unavailable",
        }
    }
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphErrorInner,
}

#[derive(Deserialize)]
struct GraphErrorInner {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// Asks the Graph API for `phone_number_id` with `token`.
pub async fn prove(
    graph: &Graph,
    phone_number_id: &str,
    token: &str,
) -> Result<Proven, OwnershipError> {
    let url = format!(
        "{}/{phone_number_id}?fields=id,display_phone_number,verified_name",
        graph.url
    );
    let response = graph
        .client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| OwnershipError::Unavailable(e.without_url().to_string()))?;
    let status = response.status();
    let body = read_limited(response).await?;
    if status.is_success() {
        let proven: Proven = serde_json::from_slice(&body)
            .map_err(|e| OwnershipError::Unavailable(format!("unexpected answer: {e}")))?;
        if proven.id != phone_number_id {
            return Err(OwnershipError::NotTheirs {
                phone_number_id: phone_number_id.to_string(),
                code: 0,
            });
        }
        return Ok(proven);
    }
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(OwnershipError::Unavailable(format!("HTTP {status}")));
    }
    let error = serde_json::from_slice::<GraphErrorBody>(&body)
        .map(|b| b.error)
        .unwrap_or(GraphErrorInner {
            code: 0,
            message: format!("HTTP {status}"),
        });
    match error.code {
        // Invalid, expired or revoked tokens.
        102 | 190 => Err(OwnershipError::TokenRefused {
            code: error.code,
            message: error.message.chars().take(300).collect(),
        }),
        4 | 17 | 32 | 613 | 80007 => Err(OwnershipError::Unavailable(format!(
            "rate limited (code {})",
            error.code
        ))),
        // 100 (no such object for this token), 10 and 200–299 (missing
        // permission) and anything else: nothing is proved.
        code => Err(OwnershipError::NotTheirs {
            phone_number_id: phone_number_id.to_string(),
            code,
        }),
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, OwnershipError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| OwnershipError::Unavailable(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(OwnershipError::Unavailable("answer too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
