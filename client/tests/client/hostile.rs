//! Small loopback servers with exactly one behaviour each, for the hostile-server tests: any
//! axum router over HTTPS or plain HTTP, a raw TCP server that writes a canned reply, and a
//! witness that records whether anyone connected to it at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server started by a test: its base URL and, for HTTPS, its certificate.
pub struct Origin {
    pub url: String,
    pub certificate_pem: Option<String>,
}

impl Origin {
    /// A client builder for this origin that trusts its certificate and retries fast.
    pub fn builder(&self) -> vbo_client::ClientBuilder {
        let mut builder = vbo_client::Client::builder(&self.url)
            .timeout(Duration::from_secs(10))
            .retry_policy(vbo_client::RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(5),
                max_delay: Duration::from_millis(50),
            });
        if let Some(pem) = &self.certificate_pem {
            builder = builder.add_root_certificate(pem);
        }
        builder
    }
}

/// Serves `app` over HTTPS on 127.0.0.1 with a certificate made on the spot.
pub async fn https(app: Router) -> Origin {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let certificate_pem = certified.cert.pem();
    let config = RustlsConfig::from_pem(
        certificate_pem.clone().into_bytes(),
        certified.signing_key.serialize_pem().into_bytes(),
    )
    .await
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = axum_server::from_tcp_rustls(listener, config).unwrap();
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    Origin {
        url: format!("https://127.0.0.1:{port}"),
        certificate_pem: Some(certificate_pem),
    }
}

/// Serves `app` over plain HTTP on 127.0.0.1.
pub async fn http(app: Router) -> Origin {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Origin {
        url,
        certificate_pem: None,
    }
}

/// Serves plain HTTP/1.1 by hand: to every connection, after reading the request, writes
/// `reply(request_head)` and then keeps the connection open without writing more, as a server
/// that announced more than it sends would.
pub async fn raw(reply: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Origin {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let reply = Arc::clone(&reply);
            tokio::spawn(async move {
                let head = read_head(&mut socket).await;
                let _ = socket.write_all(&reply(&head)).await;
                // Hold the connection open until the client drops it.
                let mut sink = [0u8; 1024];
                while matches!(socket.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    Origin {
        url: format!("http://127.0.0.1:{port}"),
        certificate_pem: None,
    }
}

/// Reads up to the end of the request head (and whatever of the body came with it).
async fn read_head(socket: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// "The other origin": a TCP listener that accepts anything (plain or TLS), records how many
/// connections and bytes it received, and answers nothing.
pub struct Witness {
    pub port: u16,
    connections: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
}

impl Witness {
    /// Starts a witness on 127.0.0.1.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(AtomicUsize::new(0));
        let (counted, bytes) = (Arc::clone(&connections), Arc::clone(&received));
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let bytes = Arc::clone(&bytes);
                tokio::spawn(async move {
                    let mut buffer = [0u8; 4096];
                    while let Ok(n) = socket.read(&mut buffer).await {
                        if n == 0 {
                            break;
                        }
                        bytes.fetch_add(n, Ordering::SeqCst);
                    }
                });
            }
        });
        Self {
            port,
            connections,
            received,
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Bytes received so far, over all connections.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}
