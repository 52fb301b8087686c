//! `[target.tls]`: the files that let the scanner trust a staging server's certificate
//! and, for mTLS, prove its own. They are read and checked when the config resolves, so
//! a wrong path or a wrong file is a config error naming its key, not a handshake that
//! fails mid-scan.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::file::RawTls;
use super::{ConfigError, Secret, Source, invalid};

/// How the scanner trusts the target's certificate and proves its own (`[target.tls]`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// Certificates (DER) trusted besides the platform's roots (`target.tls.ca`).
    pub extra_roots: Vec<Vec<u8>>,
    /// The client certificate chain followed by its private key, as one PEM text
    /// (`target.tls.client_cert` and `target.tls.client_key`). Secret: it holds the key.
    pub client_identity: Option<Secret>,
    /// Accept any server certificate (`target.tls.insecure`); reported on the scorecard.
    pub insecure: bool,
}

// Certificates are long and the key is secret: Debug says what is configured, not what it is.
impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("extra_roots", &self.extra_roots.len())
            .field("client_identity", &self.client_identity.is_some())
            .field("insecure", &self.insecure)
            .finish()
    }
}

/// Resolves `[target.tls]`; an absent table means platform roots, no client certificate.
pub(super) fn resolve(raw: Option<&RawTls>, source: &dyn Source) -> Result<TlsConfig, ConfigError> {
    let Some(raw) = raw else {
        return Ok(TlsConfig::default());
    };
    let extra_roots = match &raw.ca {
        Some(path) => read_ca("target.tls.ca", path, source)?,
        None => Vec::new(),
    };
    let client_identity = match (&raw.client_cert, &raw.client_key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(read_client_identity(cert, key, source)?),
        (Some(_), None) => {
            return Err(invalid(
                "target.tls.client_cert",
                "needs `target.tls.client_key` too: set both (mTLS) or neither",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "target.tls.client_key",
                "needs `target.tls.client_cert` too: set both (mTLS) or neither",
            ));
        }
    };
    Ok(TlsConfig {
        extra_roots,
        client_identity,
        insecure: raw.insecure,
    })
}

/// Reads a CA bundle: one or more PEM certificates, each usable as a trust anchor.
pub(super) fn read_ca(
    key: &str,
    path: &str,
    source: &dyn Source,
) -> Result<Vec<Vec<u8>>, ConfigError> {
    let text = read_pem(key, path, source)?;
    let certs = certificates(key, path, &text)?;
    for (n, cert) in certs.iter().enumerate() {
        // The same parse the verifier does when it loads the root, so a broken
        // certificate is named here instead of failing the client's start.
        rustls::RootCertStore::empty()
            .add(cert.clone())
            .map_err(|e| {
                invalid(
                    key,
                    format!(
                        "{path}: certificate {} of {} is not a usable CA certificate ({e})",
                        n + 1,
                        certs.len()
                    ),
                )
            })?;
    }
    Ok(certs.into_iter().map(|c| c.as_ref().to_vec()).collect())
}

/// Reads the client certificate chain and its key, checks they belong together, and
/// returns them as one PEM text in the order TLS clients load them.
fn read_client_identity(
    cert_path: &str,
    key_path: &str,
    source: &dyn Source,
) -> Result<Secret, ConfigError> {
    let cert_key = "target.tls.client_cert";
    let key_key = "target.tls.client_key";
    let chain = certificates(cert_key, cert_path, &read_pem(cert_key, cert_path, source)?)?;
    let key_text = read_pem(key_key, key_path, source)?;
    let private_key = PrivateKeyDer::from_pem_slice(key_text.as_bytes()).map_err(|e| {
        let hint = if key_text.contains("ENCRYPTED PRIVATE KEY") {
            "the key is encrypted; write a decrypted copy (`openssl pkey -in KEY -out PLAIN.pem`)"
                .to_string()
        } else {
            format!(
                "holds no PEM private key (`-----BEGIN PRIVATE KEY-----`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`): {e}"
            )
        };
        invalid(key_key, format!("{key_path}: {hint}"))
    })?;
    let pem = identity_pem(&chain, &private_key);
    // Loading the key with the crypto provider the client uses proves it is usable and
    // that it is the key of the certificate, which a mixed-up pair of files is not.
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    rustls::sign::CertifiedKey::from_der(chain, private_key, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => invalid(
            key_key,
            format!(
                "{key_path} is not the key of the certificate in `{cert_key}` ({cert_path}); point both at the same pair"
            ),
        ),
        other => invalid(key_key, format!("{key_path}: the key cannot be used ({other})")),
    })?;
    Ok(Secret::new(pem))
}

fn read_pem(key: &str, path: &str, source: &dyn Source) -> Result<String, ConfigError> {
    source.read_file(Path::new(path)).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::InvalidData {
            // read_to_string fails on binary content: most likely DER, not PEM.
            "is not a PEM text file (DER? convert it with `openssl x509 -inform der -in FILE -out FILE.pem`)"
                .to_string()
        } else {
            format!("cannot be read: {e}")
        };
        invalid(key, format!("{path} {reason}"))
    })
}

/// Every `CERTIFICATE` block of a PEM text; at least one.
fn certificates(
    key: &str,
    path: &str,
    text: &str,
) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(key, format!("{path} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        let found = if text.contains("PRIVATE KEY-----") {
            " (it holds a private key: is this the key file?)"
        } else {
            ""
        };
        return Err(invalid(
            key,
            format!("{path} holds no `-----BEGIN CERTIFICATE-----` block{found}"),
        ));
    }
    Ok(certs)
}

/// The chain and key re-encoded as PEM, leaving out whatever else the files held
/// (`EC PARAMETERS`, comments), which some PEM readers refuse.
fn identity_pem(chain: &[CertificateDer<'_>], key: &PrivateKeyDer<'_>) -> String {
    let mut out = String::new();
    for cert in chain {
        push_pem(&mut out, "CERTIFICATE", cert.as_ref());
    }
    let label = match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    push_pem(&mut out, label, key.secret_der());
    out
}

fn push_pem(out: &mut String, label: &str, der: &[u8]) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::{Overrides, from_text};

    /// Files by path; anything else is missing.
    struct Files(HashMap<&'static str, String>);

    impl Source for Files {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
        fn read_file(&self, path: &Path) -> std::io::Result<String> {
            path.to_str()
                .and_then(|p| self.0.get(p))
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "No such file"))
        }
    }

    struct Pki {
        ca: String,
        leaf: String,
        leaf_key: String,
        other_key: String,
    }

    fn pki() -> Pki {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["scanner".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        Pki {
            ca: ca.pem(),
            leaf: leaf.pem(),
            leaf_key: leaf_key.serialize_pem(),
            other_key: rcgen::KeyPair::generate().unwrap().serialize_pem(),
        }
    }

    fn config(tls: &str, files: &Files) -> Result<crate::config::ScanConfig, ConfigError> {
        let text = format!("[target]\nurl = \"https://127.0.0.1:8443\"\n[target.tls]\n{tls}\n");
        from_text(&text, "t", files, &Overrides::default())
    }

    fn files(pki: &Pki) -> Files {
        Files(HashMap::from([
            ("ca.pem", pki.ca.clone()),
            ("bundle.pem", format!("{}{}", pki.ca, pki.leaf)),
            ("leaf.pem", pki.leaf.clone()),
            ("leaf.key", pki.leaf_key.clone()),
            ("other.key", pki.other_key.clone()),
            ("garbage.pem", "not a certificate\n".to_string()),
            (
                "broken.pem",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_string(),
            ),
            (
                "encrypted.key",
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
                    .to_string(),
            ),
        ]))
    }

    fn error(tls: &str, files: &Files) -> String {
        config(tls, files).unwrap_err().to_string()
    }

    #[test]
    fn a_ca_bundle_and_a_client_pair_load() {
        let pki = pki();
        let files = files(&pki);
        let c = config("ca = \"bundle.pem\"", &files).unwrap();
        assert_eq!(c.tls.extra_roots.len(), 2);
        assert!(!c.tls.insecure && c.tls.client_identity.is_none());

        let c = config(
            "ca = \"ca.pem\"\nclient_cert = \"leaf.pem\"\nclient_key = \"leaf.key\"",
            &files,
        )
        .unwrap();
        let pem = c.tls.client_identity.as_ref().unwrap().expose();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        assert!(pem.contains("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        // The key never shows in debug output.
        let debug = format!("{:?}", c.tls);
        assert!(!debug.contains("PRIVATE"), "{debug}");
        assert!(debug.contains("client_identity: true"), "{debug}");

        let c = config("insecure = true", &files).unwrap();
        assert!(c.tls.insecure);
        assert_eq!(config("", &files).unwrap().tls, TlsConfig::default());
    }

    #[test]
    fn bad_files_are_named_by_key_and_path() {
        let pki = pki();
        let files = files(&pki);
        for (tls, wants) in [
            (
                "ca = \"missing.pem\"",
                &["`target.tls.ca`", "missing.pem", "cannot be read"][..],
            ),
            (
                "ca = \"garbage.pem\"",
                &["`target.tls.ca`", "garbage.pem", "BEGIN CERTIFICATE"],
            ),
            (
                "ca = \"leaf.key\"",
                &["`target.tls.ca`", "leaf.key", "is this the key file?"],
            ),
            (
                "ca = \"broken.pem\"",
                &[
                    "`target.tls.ca`",
                    "broken.pem",
                    "not a usable CA certificate",
                ],
            ),
            (
                "client_cert = \"leaf.pem\"",
                &["`target.tls.client_cert`", "target.tls.client_key"],
            ),
            (
                "client_key = \"leaf.key\"",
                &["`target.tls.client_key`", "target.tls.client_cert"],
            ),
            (
                "client_cert = \"leaf.pem\"\nclient_key = \"other.key\"",
                &[
                    "`target.tls.client_key`",
                    "other.key",
                    "leaf.pem",
                    "not the key",
                ],
            ),
            (
                "client_cert = \"leaf.pem\"\nclient_key = \"encrypted.key\"",
                &["`target.tls.client_key`", "encrypted.key", "encrypted"],
            ),
            (
                "client_cert = \"leaf.pem\"\nclient_key = \"leaf.pem\"",
                &["`target.tls.client_key`", "leaf.pem", "no PEM private key"],
            ),
            ("cacert = \"ca.pem\"", &["cacert"]),
        ] {
            let err = error(tls, &files);
            for want in wants {
                assert!(
                    err.contains(want),
                    "expected {want:?} for {tls:?} in: {err}"
                );
            }
        }
    }

    #[test]
    fn flags_override_the_file() {
        let pki = pki();
        let files = files(&pki);
        let text = "[target]\nurl = \"https://127.0.0.1:8443\"\n";
        let flags = Overrides {
            ca_cert: Some("bundle.pem".into()),
            insecure: true,
            ..Overrides::default()
        };
        let c = from_text(text, "t", &files, &flags).unwrap();
        assert_eq!(c.tls.extra_roots.len(), 2);
        assert!(c.tls.insecure);
        let flags = Overrides {
            ca_cert: Some("missing.pem".into()),
            ..Overrides::default()
        };
        let err = from_text(text, "t", &files, &flags)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`--ca-cert`") && err.contains("missing.pem"),
            "{err}"
        );
    }
}
