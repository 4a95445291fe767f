//! Reaching a live server: the client from command-line options and credentials from the
//! environment (never from arguments, which land in shell history).

use std::path::PathBuf;
use std::time::Duration;

use vbo_client::Client;
use vbo_contract::live::{self, WalkPlan};

/// Options shared by `verify --server` and `record`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServerArgs {
    /// Base URL of the server, e.g. https://vbo01:4443 (port 4443 when absent; `/v5` optional).
    /// Credentials come from VBO_USERNAME and VBO_PASSWORD, or VBO_TOKEN.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// A backup job whose sessions to walk (repeat for several jobs).
    #[arg(long = "job", value_name = "ID")]
    pub jobs: Vec<String>,
    /// Trust this PEM certificate (the server's self-signed certificate or its CA).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Accept any certificate, unverified (dangerous: only for a server you know).
    #[arg(long)]
    pub insecure: bool,
    /// Sessions per page (the `limit` asked for), 1..=10000.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub page_size: u32,
    /// Stop each walk after this many pages, at least 1 (walk-completion rules are then not judged).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_pages: Option<u64>,
    /// Request timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// End a walk that reaches N sessions with more to come (reported as a `walk-bound` warning).
    #[arg(long, value_name = "N", default_value_t = live::DEFAULT_MAX_SESSIONS, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_sessions: u64,
    /// End a walk still going after SECS seconds (reported as a `walk-bound` warning).
    #[arg(long, value_name = "SECS", default_value_t = live::DEFAULT_MAX_WALK_TIME.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub max_walk_time: u64,
    /// Send the password over plain http to a host that is not a loopback address (it travels
    /// in clear text: only on a network you trust).
    #[arg(long)]
    pub allow_http_password: bool,
}

impl ServerArgs {
    /// How far each walk may go.
    pub fn plan(&self) -> WalkPlan {
        WalkPlan {
            page_size: u64::from(self.page_size),
            max_pages: self
                .max_pages
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            max_sessions: self.max_sessions,
            max_time: Duration::from_secs(self.max_walk_time),
        }
    }

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

/// The warning for a server reached over plain http, or `None` for https.
pub fn plain_http_warning(url: &str) -> Option<String> {
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    scheme.eq_ignore_ascii_case("http").then(|| {
        "plain http: the credentials (password or token) and every page travel unencrypted and \
         can be read or changed on the way; use https"
            .to_owned()
    })
}

/// Builds the client for `url` with the options' TLS settings and timeouts.
pub fn client(
    url: &str,
    args: &ServerArgs,
    credentials: Credentials,
    extra_ca: Option<&str>,
) -> Result<Client, String> {
    if let Some(warning) = plain_http_warning(url) {
        eprintln!("WARNING: {warning}");
    }
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
    if let Some(pem) = extra_ca {
        builder = builder.add_root_certificate(pem.as_bytes());
    }
    if args.insecure {
        eprintln!("warning: --insecure: the server's certificate is NOT verified");
        builder = builder.danger_accept_invalid_certificates(true);
    }
    builder.build().map_err(|e| e.to_string())
}
