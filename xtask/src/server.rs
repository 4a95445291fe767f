//! Reaching a live server: the client from command-line options and credentials from the
//! environment (never from arguments, which land in shell history).

use std::path::PathBuf;
use std::time::Duration;

use vbo_client::Client;

/// Options shared by `verify --server` and `record`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServerArgs {
    /// Base URL of the server, e.g. https://vbo01:4443 (port 4443 when absent; `/v5` optional).
    /// Credentials come from VBO_USERNAME and VBO_PASSWORD, or VBO_TOKEN.
    #[arg(long, value_name = "URL", env = "VBO_SERVER", hide_env_values = true)]
    pub server: Option<String>,
    /// A backup job whose sessions to walk (repeat for several jobs).
    #[arg(
        long = "job",
        value_name = "ID",
        env = "VBO_JOBS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub jobs: Vec<String>,
    /// Trust this PEM certificate (the server's self-signed certificate or its CA).
    #[arg(long, value_name = "FILE", env = "VBO_CA_CERT", hide_env_values = true)]
    pub ca_cert: Option<PathBuf>,
    /// Trust only a server certificate with this SHA-256 pin (repeatable): sha256//BASE64 of
    /// its public key (curl's --pinnedpubkey form), or the certificate's SHA-256 as hex or base64.
    /// Host name and validity are still checked; no CA is needed.
    #[arg(long = "pin-sha256", value_name = "PIN")]
    pub pin_sha256: Vec<String>,
    /// Accept any certificate, unverified (dangerous: only for a server you know).
    #[arg(long)]
    pub insecure: bool,
    /// Sessions per page (the `limit` asked for), 1..=10000.
    #[arg(long, value_name = "N", default_value_t = 1000, env = "VBO_PAGE_SIZE", hide_env_values = true, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub page_size: u32,
    /// Stop each walk after this many pages (walk-completion rules are then not judged).
    #[arg(long, value_name = "N")]
    pub max_pages: Option<usize>,
    /// Request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
}

impl ServerArgs {
    /// The server URL, at least one job and the credentials, or what is missing (a usage error).
    pub fn target(&self) -> Result<(&str, Credentials), String> {
        let url = self.server.as_deref().ok_or("--server URL is required")?;
        if self.jobs.is_empty() {
            return Err("--server needs at least one --job ID".into());
        }
        Ok((url, Credentials::from_env()?))
    }
}

/// A multi-threaded tokio runtime for the commands that talk HTTP.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Where the credentials came from.
pub enum Credentials {
    /// A ready bearer token (`VBO_TOKEN`).
    Token(String),
    /// A user name and password (`VBO_USERNAME`, `VBO_PASSWORD`).
    Password(String, String),
}

impl Credentials {
    /// Reads `VBO_TOKEN`, or `VBO_USERNAME` and `VBO_PASSWORD`.
    pub fn from_env() -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (var("VBO_TOKEN"), var("VBO_USERNAME"), var("VBO_PASSWORD")) {
            (Some(token), _, _) => Ok(Self::Token(token)),
            (None, Some(user), Some(password)) => Ok(Self::Password(user, password)),
            (None, Some(_), None) => Err("VBO_USERNAME is set but VBO_PASSWORD is not".into()),
            _ => Err("no credentials: set VBO_USERNAME and VBO_PASSWORD, or VBO_TOKEN".into()),
        }
    }
}

/// Builds the client for `url` with the options' TLS settings and timeouts.
pub fn client(
    url: &str,
    args: &ServerArgs,
    credentials: Credentials,
    extra_ca: Option<&str>,
) -> Result<Client, String> {
    let mut builder = Client::builder(url)
        .timeout(Duration::from_secs(args.timeout))
        .page_size(args.page_size)
        .user_agent(concat!("vbo-contract-xtask/", env!("CARGO_PKG_VERSION")));
    builder = match credentials {
        Credentials::Token(token) => builder.bearer_token(token),
        Credentials::Password(user, password) => builder.credentials(user, password),
    };
    if let Some(path) = &args.ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read --ca-cert {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(pem);
    }
    for pin in &args.pin_sha256 {
        builder = builder.pin_sha256(pin.as_str());
    }
    if let Some(pem) = extra_ca {
        builder = builder.add_root_certificate(pem.as_bytes());
    }
    if args.insecure {
        eprintln!("warning: --insecure: the server's certificate is NOT verified");
        builder = builder.danger_accept_invalid_certificates(true);
    }
    builder.build().map_err(|e| e.to_string())
}
