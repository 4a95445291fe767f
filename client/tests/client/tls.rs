//! Certificates: an untrusted one is refused; trusted through `add_root_certificate` (as a root,
//! or byte for byte as the server's own certificate, even one marked CA), through a SHA-256 pin,
//! or, loudly, by switching verification off.
//!
//! The certificates under `tests/certs/` were made by the openssl CLI (`make-certs.sh`), as a
//! real server's would be; only the right ones pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use vbo_client::{Client, ClientBuilder, Error, RetryPolicy};

use crate::server::{self, Ask, JOB, PASSWORD, USERNAME};

/// `openssl req -x509` with its default extensions: `basicConstraints: critical, CA:TRUE`.
const CA_TRUE: &str = include_str!("../certs/ca-true.pem");
const CA_TRUE_KEY: &str = include_str!("../certs/ca-true.key");
/// openssl's own pins of `ca-true.pem`: sha256// public key, fingerprint line, base64 digest.
const CA_TRUE_PINS: &str = include_str!("../certs/ca-true.pins");
/// Self-signed, RSA, no basicConstraints (as Windows' New-SelfSignedCertificate makes it).
const END_ENTITY: &str = include_str!("../certs/end-entity.pem");
const END_ENTITY_KEY: &str = include_str!("../certs/end-entity.key");
/// Leaf for 127.0.0.1 and its intermediate CA; `root.pem` issued the intermediate.
const CHAIN: &str = include_str!("../certs/chain.pem");
const LEAF_KEY: &str = include_str!("../certs/leaf.key");
const ROOT: &str = include_str!("../certs/root.pem");
/// Self-signed for vbo02.example only (subjectAltName), with `CN=localhost`.
const OTHER_HOST: &str = include_str!("../certs/other-host.pem");
const OTHER_HOST_KEY: &str = include_str!("../certs/other-host.key");
/// Self-signed, valid in 2020 only.
const EXPIRED: &str = include_str!("../certs/expired.pem");
const EXPIRED_KEY: &str = include_str!("../certs/expired.key");
/// Self-signed, valid from 2090 on.
const NOT_YET_VALID: &str = include_str!("../certs/not-yet-valid.pem");
const NOT_YET_VALID_KEY: &str = include_str!("../certs/not-yet-valid.key");
/// Same subject and names as `ca-true.pem`, another key.
const OTHER_SELF_SIGNED: &str = include_str!("../certs/other-self-signed.pem");
const OTHER_SELF_SIGNED_KEY: &str = include_str!("../certs/other-self-signed.key");
const OTHER_SELF_SIGNED_PIN: &str = include_str!("../certs/other-self-signed.pins");
/// `CN=localhost` and no subjectAltName at all.
const CN_ONLY: &str = include_str!("../certs/cn-only.pem");
const CN_ONLY_KEY: &str = include_str!("../certs/cn-only.key");

/// An HTTPS server on loopback with a given certificate chain that answers every request with
/// a page of two sessions, counting handshakes and requests.
struct Served {
    port: u16,
    handshakes: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

/// Hands out the one certificate and counts the handshakes that asked for it.
#[derive(Debug)]
struct Counting {
    key: Arc<CertifiedKey>,
    handshakes: Arc<AtomicUsize>,
}

impl ResolvesServerCert for Counting {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.handshakes.fetch_add(1, Ordering::SeqCst);
        Some(Arc::clone(&self.key))
    }
}

async fn serve(chain_pem: &str, key_pem: &str) -> Served {
    serve_with(chain_pem, key_pem, rustls::DEFAULT_VERSIONS).await
}

/// [`serve`] limited to the TLS `versions` given.
async fn serve_with(
    chain_pem: &str,
    key_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Served {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let provider = rustls::crypto::CryptoProvider::get_default()
        .expect("a provider")
        .clone();
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM chain");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("PEM key");
    // `new`, not `from_der`: the impostor test signs with a key that is not the certificate's.
    let key = CertifiedKey::new(
        chain,
        provider
            .key_provider
            .load_private_key(key)
            .expect("usable key"),
    );
    let handshakes = Arc::new(AtomicUsize::new(0));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("TLS versions")
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Counting {
            key: Arc::new(key),
            handshakes: Arc::clone(&handshakes),
        }));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let app = Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let ask = Ask {
            job: JOB,
            offset: 0,
            limit: 30,
            call: 0,
        };
        async move { server::json_reply(StatusCode::OK, server::page_of(2, ask)) }
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("address").port();
    let server =
        axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(Arc::new(config)))
            .expect("server");
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    Served {
        port,
        handshakes,
        requests,
    }
}

impl Served {
    /// `https://127.0.0.1:PORT`.
    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// A client for `url` with a token, fast retries, and the trust `trust` adds.
    fn client(&self, url: &str, trust: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
        trust(
            Client::builder(url)
                .bearer_token("t")
                .retry_policy(RetryPolicy {
                    max_attempts: 4,
                    base_delay: Duration::from_millis(5),
                    max_delay: Duration::from_millis(20),
                }),
        )
        .build()
        .expect("the client builds")
    }

    /// The client reads the page: the certificate was accepted.
    async fn accepted(&self, trust: impl FnOnce(ClientBuilder) -> ClientBuilder) {
        let page = self.client(&self.url(), trust).page(JOB, 0, 30).await;
        assert_eq!(page.expect("the certificate is trusted").results.len(), 2);
    }

    /// The client fails in the handshake, before any request; the message, to inspect.
    async fn refused(
        &self,
        url: &str,
        trust: impl FnOnce(ClientBuilder) -> ClientBuilder,
    ) -> String {
        let before = self.requests.load(Ordering::SeqCst);
        let error = self.client(url, trust).page(JOB, 0, 30).await.unwrap_err();
        assert!(matches!(error, Error::Transport { .. }), "{error:?}");
        assert_eq!(
            self.requests.load(Ordering::SeqCst),
            before,
            "no request reaches a server that is not trusted"
        );
        error.to_string()
    }
}

/// Trust added to a client builder.
type Trust = Box<dyn FnOnce(ClientBuilder) -> ClientBuilder>;

/// The two explicit trusts in `pem`: supplied as a certificate, and pinned by its SHA-256.
fn supplied_or_pinned(pem: &'static str) -> [Trust; 2] {
    [
        Box::new(move |b: ClientBuilder| b.add_root_certificate(pem)),
        Box::new(move |b: ClientBuilder| b.pin_sha256(certificate_sha256_hex(pem))),
    ]
}

/// The `n`th line of openssl's pins of `ca-true.pem`.
fn ca_true_pin(n: usize) -> &'static str {
    CA_TRUE_PINS.lines().nth(n).expect("pin line").trim()
}

#[tokio::test]
async fn trusts_an_openssl_req_x509_certificate_marked_ca_when_it_is_supplied() {
    assert!(CA_TRUE.contains("BEGIN CERTIFICATE"));
    let served = serve(CA_TRUE, CA_TRUE_KEY).await;
    served.accepted(|b| b.add_root_certificate(CA_TRUE)).await;
    // Inside a bundle with other certificates, as a --ca-cert file may be.
    served
        .accepted(|b| b.add_root_certificate(format!("{ROOT}{CA_TRUE}{OTHER_HOST}")))
        .await;
    // By host name, which the certificate lists beside 127.0.0.1.
    let page = served
        .client(&format!("https://localhost:{}", served.port), |b| {
            b.add_root_certificate(CA_TRUE)
        })
        .page(JOB, 0, 30)
        .await;
    assert_eq!(page.expect("trusted by name").results.len(), 2);
}

#[tokio::test]
async fn trusts_a_self_signed_end_entity_certificate_without_basic_constraints_when_supplied() {
    let served = serve(END_ENTITY, END_ENTITY_KEY).await;
    served
        .accepted(|b| b.add_root_certificate(END_ENTITY))
        .await;
    let message = served.refused(&served.url(), |b| b).await;
    assert!(
        message.contains("UnknownIssuer") && message.contains("--pin-sha256"),
        "{message}"
    );
}

#[tokio::test]
async fn trusts_a_chain_through_an_intermediate_through_its_root_only() {
    let served = serve(CHAIN, LEAF_KEY).await;
    served.accepted(|b| b.add_root_certificate(ROOT)).await;
    let untrusted = served.refused(&served.url(), |b| b).await;
    assert!(untrusted.contains("UnknownIssuer"), "{untrusted}");
    let other_root = served
        .refused(&served.url(), |b| b.add_root_certificate(CA_TRUE))
        .await;
    assert!(other_root.contains("UnknownIssuer"), "{other_root}");
    // With pins, a certificate must match one even when its chain is valid.
    let unpinned = served
        .refused(&served.url(), |b| {
            b.add_root_certificate(ROOT).pin_sha256(ca_true_pin(0))
        })
        .await;
    assert!(unpinned.contains("matches no --pin-sha256"), "{unpinned}");
}

#[tokio::test]
async fn refuses_a_supplied_or_pinned_certificate_for_another_host() {
    let served = serve(OTHER_HOST, OTHER_HOST_KEY).await;
    for trust in supplied_or_pinned(OTHER_HOST) {
        let message = served.refused(&served.url(), trust).await;
        assert!(
            message.contains("certificate not valid for name \"127.0.0.1\"")
                && message.contains("vbo02.example"),
            "the message names the host and the certificate's names: {message}"
        );
        assert!(
            message.contains("not for this host name") && message.contains("proper certificate"),
            "{message}"
        );
    }
    // Its common name says localhost, but with a subjectAltName the common name never counts.
    let by_name = format!("https://localhost:{}", served.port);
    let message = served
        .refused(&by_name, |b| b.add_root_certificate(OTHER_HOST))
        .await;
    assert!(
        message.contains("certificate not valid for name \"localhost\""),
        "{message}"
    );
}

#[tokio::test]
async fn refuses_a_supplied_or_pinned_certificate_that_has_expired() {
    let served = serve(EXPIRED, EXPIRED_KEY).await;
    for trust in supplied_or_pinned(EXPIRED) {
        let message = served.refused(&served.url(), trust).await;
        assert!(
            message.contains("certificate expired")
                && message.contains("not valid after 1609459199"),
            "the message names the expiry (2020-12-31T23:59:59Z): {message}"
        );
        assert!(
            message.contains("validity period") && message.contains("proper, current certificate"),
            "{message}"
        );
    }
    let served = serve(NOT_YET_VALID, NOT_YET_VALID_KEY).await;
    let message = served
        .refused(&served.url(), |b| b.add_root_certificate(NOT_YET_VALID))
        .await;
    assert!(
        message.contains("certificate not valid yet")
            && message.contains("not valid before 3786912000")
            && message.contains("validity period"),
        "the message names the start (2090-01-01T00:00:00Z): {message}"
    );
}

#[tokio::test]
async fn refuses_a_different_self_signed_certificate_with_the_same_names() {
    let served = serve(CA_TRUE, CA_TRUE_KEY).await;
    let message = served
        .refused(&served.url(), |b| b.add_root_certificate(OTHER_SELF_SIGNED))
        .await;
    // webpki refuses a CA:TRUE certificate it does not trust before it looks for an issuer.
    assert!(message.contains("CaUsedAsEndEntity"), "{message}");
    assert!(
        message.contains("not trusted here") && message.contains("--ca-cert"),
        "{message}"
    );
}

#[tokio::test]
async fn refuses_an_impostor_that_presents_the_trusted_certificate_without_its_key() {
    // The handshake signature is made with another key than the certificate's, in TLS 1.3
    // and in TLS 1.2 (each has its own signature check).
    for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
        let served = serve_with(CA_TRUE, OTHER_SELF_SIGNED_KEY, &[version]).await;
        for trust in supplied_or_pinned(CA_TRUE) {
            let message = served.refused(&served.url(), trust).await;
            assert!(message.contains("BadSignature"), "{version:?}: {message}");
        }
        // The genuine server of each version passes, so the refusal above is the signature's.
        serve_with(CA_TRUE, CA_TRUE_KEY, &[version])
            .await
            .accepted(|b| b.add_root_certificate(CA_TRUE))
            .await;
    }
}

#[tokio::test]
async fn pin_sha256_lets_in_the_pinned_certificate_only() {
    let served = serve(CA_TRUE, CA_TRUE_KEY).await;
    let public_key = ca_true_pin(0);
    assert!(public_key.starts_with("sha256//"), "{public_key}");
    let fingerprint = ca_true_pin(1)
        .split_once('=')
        .expect("openssl's `sha256 Fingerprint=AA:BB:...`")
        .1;
    let base64 = ca_true_pin(2);
    for pin in [
        public_key.to_owned(),
        fingerprint.to_owned(),
        fingerprint.replace(':', "").to_ascii_lowercase(),
        base64.to_owned(),
        format!("{} ; {public_key}", OTHER_SELF_SIGNED_PIN.trim()),
    ] {
        served.accepted(|b| b.pin_sha256(pin.clone())).await;
    }
    // Any of several pins matches, given one by one.
    served
        .accepted(|b| {
            b.pin_sha256(OTHER_SELF_SIGNED_PIN.trim())
                .pin_sha256(base64)
        })
        .await;

    let wrong = served
        .refused(&served.url(), |b| {
            b.pin_sha256(OTHER_SELF_SIGNED_PIN.trim())
        })
        .await;
    assert!(
        wrong.contains("matches no --pin-sha256") && wrong.contains(public_key),
        "the message shows the presented public key's pin, to compare: {wrong}"
    );
    assert!(wrong.contains("check the pin"), "{wrong}");
    // A pin of the certificate given as a public-key pin (and the reverse) does not match.
    let swapped = served
        .refused(&served.url(), |b| b.pin_sha256(format!("sha256//{base64}")))
        .await;
    assert!(swapped.contains("matches no --pin-sha256"), "{swapped}");
    let public_key_digest = public_key.trim_start_matches("sha256//");
    served
        .refused(&served.url(), |b| b.pin_sha256(public_key_digest))
        .await;
    // A pin wins over a supplied certificate: with pins, only pinned certificates pass.
    served
        .refused(&served.url(), |b| {
            b.add_root_certificate(CA_TRUE)
                .pin_sha256(OTHER_SELF_SIGNED_PIN.trim())
        })
        .await;
}

#[tokio::test]
async fn an_untrusted_certificate_fails_once_and_says_how_to_trust_it() {
    let served = serve(CA_TRUE, CA_TRUE_KEY).await;
    let message = served.refused(&served.url(), |b| b).await;
    assert!(message.contains("CaUsedAsEndEntity"), "{message}");
    assert!(
        message.contains("not trusted here")
            && message.contains("--ca-cert")
            && message.contains("--pin-sha256"),
        "the message names both fixes: {message}"
    );
    assert_eq!(
        served.handshakes.load(Ordering::SeqCst),
        1,
        "a certificate failure is not retried"
    );
}

#[tokio::test]
async fn matches_the_common_name_of_a_supplied_certificate_without_subject_alt_names() {
    let served = serve(CN_ONLY, CN_ONLY_KEY).await;
    let by_name = format!("https://localhost:{}", served.port);
    let page = served
        .client(&by_name, |b| b.add_root_certificate(CN_ONLY))
        .page(JOB, 0, 30)
        .await;
    assert_eq!(page.expect("CN=localhost matches").results.len(), 2);
    let message = served
        .refused(&served.url(), |b| b.add_root_certificate(CN_ONLY))
        .await;
    assert!(
        message.contains("CommonName(\"localhost\") (it has no subjectAltName)"),
        "{message}"
    );
    // Not trusted explicitly, the common name counts for nothing: the chain is refused.
    let untrusted = served.refused(&by_name, |b| b).await;
    assert!(untrusted.contains("not trusted here"), "{untrusted}");
}

#[test]
fn refuses_malformed_pins_when_building() {
    for pin in [
        "",
        "sha256//",
        "sha256//abc",
        "md5//AAAAAAAAAAAAAAAAAAAAAA==",
        "32:AD:A9",
        "not a pin",
    ] {
        let error = Client::builder("https://vbo01")
            .bearer_token("t")
            .pin_sha256(pin)
            .build()
            .unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{pin}: {error:?}");
        let message = error.to_string();
        assert!(
            message.contains("pin #1") && message.contains("sha256//BASE64"),
            "{pin}: {message}"
        );
    }
}

/// The certificate's SHA-256 in hex, computed here from the PEM (for certificates without an
/// openssl-made pin file).
fn certificate_sha256_hex(pem: &str) -> String {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).expect("PEM");
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der.as_ref());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn refuses_untrusted_certificate_then_accepts_it_via_add_root_certificate() {
    let server = server::start(server::job_of(2)).await;
    let untrusting = Client::builder(&server.url)
        .credentials(USERNAME, PASSWORD)
        .build()
        .unwrap();
    let error = untrusting.page(JOB, 0, 30).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(
        error.to_string().contains("UnknownIssuer"),
        "the message names the cause: {error}"
    );
    assert_eq!(
        server
            .counters
            .password_sign_ins
            .load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the password never reached an unverified server"
    );

    let trusting = Client::builder(&server.url)
        .credentials(USERNAME, PASSWORD)
        .add_root_certificate(&server.certificate_pem)
        .build()
        .unwrap();
    assert_eq!(trusting.page(JOB, 0, 30).await.unwrap().results.len(), 2);
}

#[tokio::test]
async fn accepts_any_certificate_only_when_explicitly_told() {
    let server = server::start(server::job_of(2)).await;
    let client = Client::builder(&server.url)
        .credentials(USERNAME, PASSWORD)
        .danger_accept_invalid_certificates(true)
        .build()
        .unwrap();
    assert!(format!("{client:?}").contains("accept_invalid_certificates: true"));
    assert_eq!(client.page(JOB, 0, 30).await.unwrap().results.len(), 2);
}

#[test]
fn skipping_verification_is_never_silent_and_logs_no_secret() {
    crate::logs::record();
    Client::builder("https://insecure-lab-host")
        .credentials(USERNAME, PASSWORD)
        .danger_accept_invalid_certificates(true)
        .build()
        .unwrap();
    let records = crate::logs::records();
    let warning = records
        .iter()
        .find(|(level, text)| *level == log::Level::Warn && text.contains("insecure-lab-host"))
        .expect("a warning names the server whose certificate is not verified");
    assert!(warning.1.contains("verification is OFF"), "{}", warning.1);
    assert!(records.iter().all(|(_, text)| !text.contains(PASSWORD)));
}

#[test]
fn refuses_a_root_certificate_that_is_not_pem() {
    let error = Client::builder("https://vbo01")
        .bearer_token("t")
        .add_root_certificate("not a certificate")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
}

#[test]
fn refuses_a_bad_base_url() {
    let error = Client::builder("vbo01:4443")
        .bearer_token("t")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidBaseUrl { .. }), "{error:?}");
}
