//! `cargo xtask verify --server` end to end against a server whose certificate `openssl req
//! -x509` made (`basicConstraints: CA:TRUE`), trusted with `--ca-cert` or `--pin-sha256`: the
//! built-in mock (plain HTTP) behind a TLS-terminating proxy on loopback that presents it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use vbo_contract::mock::{MockConfig, MockServer, Tls};

fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../client/tests/certs")
}

/// Accepts TLS with `ca-true.pem` on a loopback port and copies bytes to `upstream`.
async fn tls_proxy(upstream: std::net::SocketAddr) -> u16 {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let chain = CertificateDer::pem_file_iter(certs().join("ca-true.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(certs().join("ca-true.key")).unwrap();
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(config)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A handshake the client refuses ends here; nothing reaches the mock.
                let Ok((mut tls, _)) = acceptor.accept(stream, ()).await else {
                    return;
                };
                if let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    port
}

fn verify(port: u16, job: &str, trust: &[&str]) -> Output {
    let config = MockConfig::default();
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["verify", "--quiet", "--server"])
        .arg(format!("https://127.0.0.1:{port}"))
        .args(["--job", job, "--page-size", "40"])
        .args(trust)
        .env("VBO_USERNAME", &config.user)
        .env("VBO_PASSWORD", &config.password)
        .env_remove("VBO_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .expect("the xtask binary runs")
}

#[test]
fn verify_server_trusts_an_openssl_req_x509_certificate_given_with_ca_cert_or_a_pin() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime
        .block_on(MockServer::start(
            MockConfig {
                jobs: 1,
                sessions_per_job: 90,
                ..MockConfig::default()
            },
            Tls::None,
        ))
        .unwrap();
    let port = runtime.block_on(tls_proxy(mock.address()));
    let job = mock.job_ids()[0].clone();
    let ca_cert = certs().join("ca-true.pem");
    let pins = std::fs::read_to_string(certs().join("ca-true.pins")).unwrap();
    let public_key = pins.lines().next().unwrap().trim();
    for trust in [
        vec!["--ca-cert", ca_cert.to_str().unwrap()],
        vec!["--pin-sha256", public_key],
    ] {
        let output = verify(port, &job, &trust);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{trust:?}\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("3 pages, 90 sessions"),
            "{trust:?}\n{stdout}"
        );
    }

    let untrusted = verify(port, &job, &[]);
    let stderr = String::from_utf8_lossy(&untrusted.stderr);
    let stdout = String::from_utf8_lossy(&untrusted.stdout);
    assert_ne!(untrusted.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        format!("{stdout}{stderr}").contains("--pin-sha256"),
        "the failure says how to trust the server: {stdout}\n{stderr}"
    );
    runtime.block_on(mock.shutdown()).unwrap();
}
