//! TLS for the one client: what `[target.tls]` asks of reqwest, and which failed
//! exchanges were certificate problems (as opposed to a server that is down), so the
//! scan can say which setting fixes them.

use std::error::Error as StdError;

use rustls::AlertDescription;
use rustls::CertificateError;

use crate::config::TlsConfig;

/// A TLS failure the scan's config can do something about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProblem {
    /// The certificate is signed by a CA the scanner does not trust (an internal CA,
    /// or a self-signed leaf).
    UnknownIssuer,
    /// The server presents a CA certificate (`CA:TRUE`) as its own, which certificate
    /// verification refuses even when that certificate is trusted.
    CaAsServerCertificate,
    /// The certificate has expired or is not valid yet.
    Expired,
    /// The certificate was not issued for the host name scanned.
    WrongName,
    /// Any other verdict on the server's certificate (bad signature, revoked, ...).
    OtherCertificate,
    /// The server asks for a client certificate (mTLS) and none is configured.
    ClientCertificateRequired,
    /// The server refused the configured client certificate.
    ClientCertificateRejected,
}

/// Applies `tls` to a client under construction.
pub(super) fn configure(
    mut builder: reqwest::ClientBuilder,
    tls: &TlsConfig,
) -> Result<reqwest::ClientBuilder, reqwest::Error> {
    if !tls.extra_roots.is_empty() {
        let roots = tls
            .extra_roots
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        // Merged with the platform roots: a staging CA is trusted in addition, so
        // in-scope origins on public certificates keep working.
        builder = builder.tls_certs_merge(roots);
    }
    if let Some(pem) = &tls.client_identity {
        builder = builder.identity(reqwest::Identity::from_pem(pem.expose().as_bytes())?);
    }
    if tls.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// The certificate problem behind a failed exchange, if that is what it was, with
/// the TLS library's own words for it. `client_certificate` says whether one was
/// presented, which decides how a certificate alert from the server reads.
pub(super) fn problem(
    error: &(dyn StdError + 'static),
    client_certificate: bool,
) -> Option<(TlsProblem, String)> {
    let tls = find_rustls_error(error)?;
    classify(tls, client_certificate).map(|p| (p, tls.to_string()))
}

fn classify(tls: &rustls::Error, client_certificate: bool) -> Option<TlsProblem> {
    match tls {
        rustls::Error::InvalidCertificate(e) => Some(match e {
            CertificateError::UnknownIssuer => TlsProblem::UnknownIssuer,
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsProblem::Expired,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsProblem::WrongName
            }
            // webpki's verdict arrives type-erased inside `Other`; its text is the only
            // stable handle on this one (rustls prints it as `CaUsedAsEndEntity`).
            CertificateError::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
                TlsProblem::CaAsServerCertificate
            }
            _ => TlsProblem::OtherCertificate,
        }),
        rustls::Error::AlertReceived(alert) => match (alert, client_certificate) {
            (AlertDescription::CertificateRequired, false) => {
                Some(TlsProblem::ClientCertificateRequired)
            }
            (
                AlertDescription::CertificateRequired
                | AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnknownCA
                | AlertDescription::AccessDenied,
                true,
            ) => Some(TlsProblem::ClientCertificateRejected),
            _ => None,
        },
        _ => None,
    }
}

/// The rustls error somewhere down the chain. The TLS stream reports it wrapped in an
/// `io::Error`, whose `source()` skips the wrapped error, so look inside those too.
fn find_rustls_error<'e>(error: &'e (dyn StdError + 'static)) -> Option<&'e rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && let Some(tls) = find_rustls_error(inner)
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_wrapped(e: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn certificate_verdicts_are_told_apart_through_io_errors() {
        let cases = [
            (
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                TlsProblem::UnknownIssuer,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::Expired),
                TlsProblem::Expired,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
                TlsProblem::WrongName,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                TlsProblem::OtherCertificate,
            ),
        ];
        for (error, want) in cases {
            assert_eq!(problem(&io_wrapped(error), false).map(|p| p.0), Some(want));
        }
    }

    #[test]
    fn alerts_read_by_whether_a_client_certificate_was_sent() {
        let required = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        let (problem_seen, message) = problem(&io_wrapped(required.clone()), false).unwrap();
        assert_eq!(problem_seen, TlsProblem::ClientCertificateRequired);
        assert!(message.contains("CertificateRequired"), "{message}");
        assert_eq!(
            problem(&io_wrapped(required), true).map(|p| p.0),
            Some(TlsProblem::ClientCertificateRejected)
        );
        let unknown_ca = rustls::Error::AlertReceived(AlertDescription::UnknownCA);
        assert_eq!(problem(&io_wrapped(unknown_ca), false), None);
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(problem(&refused, false), None);
    }
}
