//! TLS to PostgreSQL. A database URL with `sslmode=require` is served over
//! TLS with rustls, the server's certificate verified — chain and name —
//! against `--database-ca` (a PEM file: a private CA, or a cloud provider's
//! bundle) or, without one, the Mozilla roots. A certificate listed in
//! that file is also accepted as itself (pinned: a self-signed certificate,
//! such as Debian's own, proves the server by its key alone). Any other
//! `sslmode` (`disable`, or `prefer`, the default) connects in plain text,
//! as before: on loopback, or on a network the operator trusts.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::{ServerName, UnixTime};
use tokio_postgres::config::SslMode;

use super::StorageError;

/// How a connection is made.
#[derive(Clone)]
pub enum Connector {
    Plain,
    Tls(tokio_postgres_rustls::MakeRustlsConnect),
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Connector::Plain => "Plain",
            Connector::Tls(_) => "Tls",
        })
    }
}

/// The connector `config` asks for, verifying with `ca` if given.
pub fn connector(
    config: &tokio_postgres::Config,
    ca: Option<&Path>,
) -> Result<Connector, StorageError> {
    if config.get_ssl_mode() != SslMode::Require {
        if ca.is_some() {
            return Err(StorageError::Postgres(
                "a database CA was given but the URL does not ask for TLS: add sslmode=require"
                    .into(),
            ));
        }
        return Ok(Connector::Plain);
    }
    let mut roots = rustls::RootCertStore::empty();
    let mut pinned = Vec::new();
    match ca {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| {
                    StorageError::Postgres(format!("database CA {}: {e}", path.display()))
                })?;
            pinned = certs.clone();
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(StorageError::Postgres(format!(
                    "database CA {}: no certificate in it",
                    path.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| StorageError::Postgres(format!("database CA: {e}")))?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StorageError::Postgres(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedOrChain {
            pinned,
            chain,
            provider,
        }))
        .with_no_client_auth();
    // Every connection makes a full handshake: PostgreSQL (OpenSSL) and
    // rustls disagree on resuming TLS 1.3 sessions, and the pool keeps its
    // connections open anyway.
    tls.resumption = rustls::client::Resumption::disabled();
    Ok(Connector::Tls(
        tokio_postgres_rustls::MakeRustlsConnect::new(tls),
    ))
}

/// A certificate in the CA file is accepted as itself; any other must
/// chain to one of them and name the host. Handshake signatures are
/// checked either way: the server proves it holds the key.
#[derive(Debug)]
struct PinnedOrChain {
    pinned: Vec<CertificateDer<'static>>,
    chain: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedOrChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Ok(ServerCertVerified::assertion());
        }
        self.chain
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
