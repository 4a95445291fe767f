//! Reaching a live server: the client from command-line options and credentials from the
//! environment (never from arguments, which land in shell history).

use std::path::PathBuf;
use std::time::Duration;

use crate::live::{self, WalkPlan};
use vbo_client::{Client, Credentials};

/// The most bytes `--ca-cert` may hold.
const MAX_CA_CERT_BYTES: u64 = 1024 * 1024;

/// Options shared by `verify --server` and `record`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServerArgs {
    /// Base URL of the server, e.g. https://vbo01:4443 (port 4443 when absent; `/v5` optional).
    /// Credentials come from VBO_USERNAME and VBO_PASSWORD, or VBO_TOKEN.
    #[arg(long, value_name = "URL", env = "VBO_SERVER", hide_env_values = true)]
    pub server: Option<String>,
    /// A backup job whose sessions to walk (repeat for several jobs). Without any, the jobs are
    /// discovered: every `GET` operation of the contract is verified, `GET /v5/Jobs` first, and
    /// the sessions of every job it lists are walked.
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
    /// The most bytes one response or input may hold (a response body, a file, an NDJSON line);
    /// more is an error naming the cap, and the connection is dropped.
    #[arg(long, value_name = "BYTES", default_value_t = crate::verify::DEFAULT_MAX_BODY)]
    pub max_body: u64,
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

    /// The server URL and the credentials, or what is missing (a usage error).
    pub fn target(&self) -> Result<(&str, Credentials), String> {
        let url = self.server.as_deref().ok_or("--server URL is required")?;
        Ok((url, Credentials::from_env().map_err(|e| e.to_string())?))
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
    builder = builder
        .with_credentials(credentials)
        .max_body_bytes(args.max_body)
        .allow_password_over_http(args.allow_http_password);
    if let Some(path) = &args.ca_cert {
        // A certificate bundle is a few KiB; 1 MiB leaves room for any real one.
        let pem = crate::recorded::read_at_most(path, MAX_CA_CERT_BYTES)
            .map_err(|e| format!("cannot read --ca-cert {}: {e}", path.display()))?
            .ok_or_else(|| {
                format!(
                    "--ca-cert {} is larger than {MAX_CA_CERT_BYTES} bytes: not a PEM certificate",
                    path.display()
                )
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `ServerArgs` as a command line parses them.
    #[derive(Parser)]
    struct Line {
        #[command(flatten)]
        server: ServerArgs,
    }

    #[test]
    fn the_walk_plan_is_the_one_the_command_line_asked_for() {
        let line = Line::try_parse_from([
            "t",
            "--page-size",
            "25",
            "--max-pages",
            "4",
            "--max-sessions",
            "90",
            "--max-walk-time",
            "7",
        ])
        .unwrap();
        let plan = line.server.plan();
        assert_eq!(
            (
                plan.page_size,
                plan.max_pages,
                plan.max_sessions,
                plan.max_time
            ),
            (25, Some(4), 90, Duration::from_secs(7))
        );
    }

    #[test]
    fn a_ca_cert_file_of_one_mebibyte_is_read_and_one_byte_more_is_refused() {
        let path = std::env::temp_dir().join(format!("vbo-ca-cap-{}.pem", std::process::id()));
        let with_ca = |bytes: usize| {
            std::fs::write(&path, vec![b'\n'; bytes]).unwrap();
            let line = Line::parse_from(["t", "--ca-cert", path.to_str().unwrap()]);
            client(
                "https://vbo01:4443",
                &line.server,
                Credentials::Token(vbo_client::Secret::new("t".to_owned())),
                None,
            )
            .err()
            .unwrap_or_default()
        };
        let at_cap = with_ca(1024 * 1024);
        assert!(!at_cap.contains("larger than"), "{at_cap}");
        let past_cap = with_ca(1024 * 1024 + 1);
        assert!(
            past_cap.contains("is larger than 1048576 bytes"),
            "{past_cap}"
        );
        let _ = std::fs::remove_file(&path);
    }
}
