//! Where the credentials may go: plain `http://` carries them in clear text, so the password is
//! sent over it only to this machine unless the caller opts in by name, and every use of http
//! with a token is logged loudly.

use std::net::IpAddr;

use url::{Host, Url};

use crate::credentials::Credentials;
use crate::error::Error;

/// Whether `url`'s host is this machine: an IPv4 address in 127.0.0.0/8, `::1`, or the name
/// `localhost` (RFC 6761 reserves it, and its subdomains, for loopback).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

/// Refuses a client that would send a password over plain http to a host other than loopback,
/// unless `allow` (the caller's explicit opt-in); warns whenever http carries credentials.
pub(crate) fn check_plain_http(
    base: &Url,
    credentials: &Credentials,
    allow: bool,
) -> Result<(), Error> {
    if base.scheme() != "http" {
        return Ok(());
    }
    let what = match credentials {
        Credentials::Password { .. } => {
            if !allow && !is_loopback(base) {
                return Err(Error::PasswordOverHttp {
                    url: base.to_string(),
                });
            }
            "the password and the access and refresh tokens"
        }
        Credentials::Token(_) => "the bearer token",
    };
    log::warn!(
        "plain http to {base}: {what} travel in clear text, readable by anyone on the network path; use https"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_127_8_the_ipv6_loopback_and_localhost() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.8.7",
            "http://[::1]:4443",
            "http://localhost:4443",
            "http://LocalHost.",
            "http://vbo.localhost",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://10.0.0.1",
            "http://[::2]",
            "http://vbo01",
            "http://localhost.example.com",
            "http://128.0.0.1",
        ] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }
}
