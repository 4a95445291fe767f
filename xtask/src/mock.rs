//! `cargo xtask mock`: runs the built-in VBO mock server until stopped (Ctrl-C).

use std::net::SocketAddr;
use std::path::PathBuf;

use vbo_contract::generate::GeneratorMode;
use vbo_contract::mock::{Fault, MockConfig, MockServer, Tls};

use crate::{Error, Outcome, exit};

/// Arguments of `mock`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4443")]
    addr: SocketAddr,
    /// Serve HTTPS with a certificate generated at start (its CA goes to --ca-out).
    #[arg(long)]
    tls: bool,
    /// Where to write the CA certificate (PEM) for clients' --ca-cert.
    #[arg(long, value_name = "FILE", default_value = "target/vbo-mock-ca.pem")]
    ca_out: PathBuf,
    /// Number of jobs.
    #[arg(long, default_value_t = 3)]
    jobs: usize,
    /// Sessions per job.
    #[arg(long, default_value_t = 2500)]
    sessions: u64,
    /// Seed of the generated data (same seed, same data).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Break the contract (or stress clients) in one way.
    #[arg(long, value_name = "KIND")]
    fault: Option<Fault>,
    /// The data: `realistic` (shaped like the vendor's example) or `edge` (the whole schema,
    /// edge cases included).
    #[arg(long, value_name = "MODE", default_value = "realistic")]
    data: GeneratorMode,
}

/// Runs the command.
pub fn run(args: &Args) -> Outcome {
    vbo_contract::cli::runtime()?.block_on(async {
        let config = MockConfig {
            jobs: args.jobs,
            sessions_per_job: args.sessions,
            seed: args.seed,
            fault: args.fault,
            address: Some(args.addr),
            data: args.data,
            ..MockConfig::default()
        };
        let (user, password) = (config.user.clone(), config.password.clone());
        let tls = if args.tls { Tls::SelfSigned } else { Tls::None };
        let mock = MockServer::start(config, tls)
            .await
            .map_err(|e| Error::usage(e.to_string()))?;
        println!("mock VBO server listening on {}", mock.base_url());
        if let Some(pem) = mock.ca_pem() {
            if let Some(parent) = args.ca_out.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            std::fs::write(&args.ca_out, pem).map_err(|e| {
                Error::usage(format!("cannot write {}: {e}", args.ca_out.display()))
            })?;
            println!(
                "CA certificate: {} (pass it as --ca-cert)",
                args.ca_out.display()
            );
        }
        println!("sign in with VBO_USERNAME={user} VBO_PASSWORD={password}");
        if let Some(fault) = args.fault {
            println!("fault: {}", fault.id());
        }
        for job in mock.job_ids() {
            println!("job {job}: {} sessions", args.sessions);
        }
        println!("press Ctrl-C to stop");
        let _ = tokio::signal::ctrl_c().await;
        if let Err(e) = mock.shutdown().await {
            eprintln!("warning: {e}");
        }
        Ok(exit::OK)
    })
}
