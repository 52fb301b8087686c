//! Staging TLS (`[target.tls]`): a private CA, a leaf for 127.0.0.1 and a client
//! certificate, all made in the test, and an HTTPS app served in-process on
//! 127.0.0.1:0. The scanner must refuse the unknown CA with an error naming the fix,
//! and scan once the CA is trusted, verification is off, or the mTLS pair is given.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use prodready::config::{Overrides, ProcessSource};
use prodready::engine::ScanError;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A CA (CA:TRUE), a server leaf for 127.0.0.1 and a client leaf, written as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    ca_der: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

impl Pki {
    fn new() -> Pki {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "prodready test staging CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

        let leaf = |san: &str, purpose: ExtendedKeyUsagePurpose| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![san.to_string()]).unwrap();
            params.is_ca = IsCa::ExplicitNoCa;
            params.extended_key_usages = vec![purpose];
            (params.signed_by(&key, &ca).unwrap(), key)
        };
        // An IP SAN: the scan's URL is https://127.0.0.1:PORT/.
        let (server, server_key) = leaf("127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
        let (client, client_key) = leaf("prodready-scanner", ExtendedKeyUsagePurpose::ClientAuth);

        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
        write("ca.pem", ca.pem());
        write("client.pem", client.pem());
        write("client-key.pem", client_key.serialize_pem());
        Pki {
            ca_der: ca.der().clone(),
            server_chain: vec![server.der().clone()],
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
            dir,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// The server's TLS config; `require_client` demands a client certificate the CA signed.
    fn server_config(&self, require_client: bool) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        builder
            .with_single_cert(
                self.server_chain.clone(),
                PrivateKeyDer::Pkcs8(self.server_key.clone_key()),
            )
            .unwrap()
    }
}

/// An HTTPS app on 127.0.0.1:0 that counts the requests that got through TLS.
struct HttpsApp {
    url: String,
    requests: Arc<AtomicU64>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for HttpsApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Completes each TLS handshake before handing the connection to axum; a failed
/// handshake (an untrusting client, a missing client certificate) is dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

async fn https_app(config: rustls::ServerConfig) -> HttpsApp {
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}/", tcp.local_addr().unwrap());
    let requests = Arc::new(AtomicU64::new(0));
    let counter = requests.clone();
    let app = Router::new().fallback(move |uri: Uri| {
        counter.fetch_add(1, Ordering::Relaxed);
        async move {
            if uri.path() == "/" {
                (
                    StatusCode::OK,
                    Html("<!doctype html><title>staging</title><p>hello</p>"),
                )
            } else {
                (StatusCode::NOT_FOUND, Html("<p>not found</p>"))
            }
        }
    });
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    HttpsApp {
        url,
        requests,
        server,
    }
}

/// An anonymous scan of `url` with `[target.tls]` set to `tls`, quick enough for a test.
fn config(url: &str, tls: &str) -> prodready::config::ScanConfig {
    let text = format!(
        "[target]\nurl = \"{url}\"\n[target.tls]\n{tls}\n[limits]\nrate = 2000\nconcurrency = 8\nmax_pages = 5\n"
    );
    prodready::config::from_text(&text, "tls.toml", &ProcessSource, &Overrides::default())
        .expect("config resolves")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_is_refused_with_the_fix_and_a_trusted_one_scans() {
    let pki = Pki::new();
    let app = https_app(pki.server_config(false)).await;

    let err = match prodready::engine::scan(config(&app.url, ""), None).await {
        Err(e) => e,
        Ok(_) => panic!("a scan trusting only the system roots reached the private-CA server"),
    };
    assert!(matches!(err, ScanError::Tls { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("target.tls.ca") && message.contains("insecure = true"),
        "{message}"
    );
    assert!(message.contains("UnknownIssuer"), "{message}");
    assert_eq!(app.requests.load(Ordering::Relaxed), 0);

    let ca = format!("ca = \"{}\"", pki.path("ca.pem"));
    let report = prodready::engine::scan(config(&app.url, &ca), None)
        .await
        .expect("the scan trusts the configured CA");
    assert!(report.report.requests_sent > 0);
    assert!(app.requests.load(Ordering::Relaxed) > 0);
    assert!(!report.report.tls_insecure);
    assert!(
        !report
            .report
            .warnings
            .iter()
            .any(|w| w.contains("insecure")),
        "{:?}",
        report.report.warnings
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_ca_certificate_as_the_servers_own_gets_its_own_explanation() {
    // What `openssl req -x509` makes by default, and what the staging box served:
    // one self-signed certificate with CA:TRUE, trusted through `ca`, still refused.
    let pki = Pki::new();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let path = pki.dir.path().join("self-signed.pem");
    std::fs::write(&path, cert.pem()).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    let app = https_app(server).await;

    let ca = format!("ca = \"{}\"", path.display());
    let err = match prodready::engine::scan(config(&app.url, &ca), None).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("webpki accepted a CA certificate as the server's own"),
    };
    assert!(
        err.contains("CaUsedAsEndEntity") && err.contains("CA:TRUE"),
        "{err}"
    );
    assert!(err.contains("insecure = true"), "{err}");
    prodready::engine::scan(config(&app.url, "insecure = true"), None)
        .await
        .expect("insecure mode scans the self-signed box");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_mode_scans_and_is_recorded() {
    let pki = Pki::new();
    let app = https_app(pki.server_config(false)).await;
    let report = prodready::engine::scan(config(&app.url, "insecure = true"), None)
        .await
        .expect("insecure mode accepts the unknown CA")
        .report;
    assert!(report.tls_insecure);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("target.tls.insecure = true")),
        "{:?}",
        report.warnings
    );
    let json = prodready::report::render(
        &report,
        prodready::report::Format::Json,
        &prodready::report::Style {
            color: false,
            width: 100,
        },
    );
    assert!(json.contains("\"tls_insecure\": true"), "{json}");
    let table = prodready::report::render(
        &report,
        prodready::report::Format::Table,
        &prodready::report::Style {
            color: false,
            width: 100,
        },
    );
    assert!(
        table.contains("WARNING: TLS certificates were not verified"),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mtls_gate_lets_in_the_configured_client_certificate_only() {
    let pki = Pki::new();
    let app = https_app(pki.server_config(true)).await;
    let ca = format!("ca = \"{}\"", pki.path("ca.pem"));

    let err = match prodready::engine::scan(config(&app.url, &ca), None).await {
        Err(e) => e,
        Ok(_) => panic!("the mTLS server let in a scan without a client certificate"),
    };
    let message = err.to_string();
    assert!(
        message.contains("target.tls.client_cert") && message.contains("target.tls.client_key"),
        "{message}"
    );
    assert_eq!(app.requests.load(Ordering::Relaxed), 0);

    let mtls = format!(
        "{ca}\nclient_cert = \"{}\"\nclient_key = \"{}\"",
        pki.path("client.pem"),
        pki.path("client-key.pem")
    );
    let result = prodready::engine::scan(config(&app.url, &mtls), None)
        .await
        .expect("the client certificate opens the mTLS gate");
    assert!(result.report.requests_sent > 0);
    assert!(app.requests.load(Ordering::Relaxed) > 0);
}

fn prodready() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("prodready").expect("binary built");
    cmd.env("NO_COLOR", "1").env_remove("PRODREADY_LOG");
    cmd
}

/// Runs the binary off the runtime, so the in-process app keeps serving.
async fn run(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || prodready().args(args).output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_exits_3_naming_the_fix_and_its_flags_scan() {
    let pki = Pki::new();
    let app = https_app(pki.server_config(false)).await;
    let args = |extra: &[&str]| {
        let mut a: Vec<String> = ["scan", app.url.as_str(), "--rate", "2000"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    let out = run(args(&["-q"])).await;
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("target.tls.ca"),
        "{stderr}"
    );

    let ca = pki.path("ca.pem");
    let out = run(args(&["--ca-cert", &ca, "-f", "json"])).await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tls_insecure"));

    let out = run(args(&["--insecure"])).await;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("WARNING: TLS certificates were not verified"),
        "{stdout}"
    );

    let out = run(args(&["--ca-cert", "/nonexistent/ca.pem"])).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--ca-cert") && stderr.contains("/nonexistent/ca.pem"),
        "{stderr}"
    );
}
