//! Turning what a user types as the server's address into the base URL the API lives under.

use url::Url;

use crate::error::Error;

/// The port the REST service listens on by default.
pub const DEFAULT_PORT: u16 = 4443;

/// Normalises `input`: http or https, a host, port 4443 unless one is given, and no trailing
/// `/v5` (the generated paths carry it). Any other path prefix (a reverse proxy's) is kept.
pub fn normalise(input: &str) -> Result<Url, Error> {
    let refuse = |reason: &str| Error::InvalidBaseUrl {
        url: without_user_info(input),
        reason: reason.to_owned(),
    };
    let mut url = Url::parse(input.trim()).map_err(|e| refuse(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("the scheme must be https (or http)"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("there is no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "it carries user info; pass credentials to the builder instead",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("it carries a query or fragment"));
    }
    // `Url` forgets a port equal to the scheme's default (`https://vbo01:443`), so look at the
    // text to tell "no port" from "the default port".
    if url.port().is_none() && !has_explicit_port(input) {
        url.set_port(Some(DEFAULT_PORT))
            .map_err(|()| refuse("the port cannot be set"))?;
    }
    let path = url.path().trim_end_matches('/');
    let path = match path.len().checked_sub(3) {
        Some(cut) if path[cut..].eq_ignore_ascii_case("/v5") => &path[..cut],
        _ => path,
    }
    .to_owned();
    url.set_path(&path);
    Ok(url)
}

/// The base URL as the generated client wants it: no trailing slash.
pub fn for_generated(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

/// Whether the authority of `input` names a port.
fn has_explicit_port(input: &str) -> bool {
    let rest = input.trim().split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // After an IPv6 literal's closing bracket, or anywhere in a name or IPv4 address.
    let tail = host_port.rsplit_once(']').map_or(host_port, |(_, t)| t);
    tail.contains(':')
}

/// `input` with any `user:password@` removed, so an error never repeats a password.
fn without_user_info(input: &str) -> String {
    match input.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            match rest[..end].rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://<user-info>@{host}{}", &rest[end..]),
                None => input.to_owned(),
            }
        }
        None => input.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(input: &str) -> String {
        for_generated(&normalise(input).unwrap())
    }

    #[test]
    fn adds_the_default_port_when_absent() {
        assert_eq!(base("https://vbo01"), "https://vbo01:4443");
        assert_eq!(base("https://vbo01/v5"), "https://vbo01:4443");
    }

    #[test]
    fn keeps_an_explicit_port_and_drops_the_v5_prefix() {
        assert_eq!(base("https://vbo01:4443/v5/"), "https://vbo01:4443");
        assert_eq!(base("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(base("https://vbo01:443"), "https://vbo01");
        assert_eq!(base("https://[::1]:9443/V5"), "https://[::1]:9443");
        assert_eq!(base("https://proxy/vbo/v5"), "https://proxy:4443/vbo");
    }

    #[test]
    fn refuses_what_cannot_be_a_server_address() {
        for bad in [
            "vbo01",
            "ftp://vbo01",
            "https://vbo01/?x=1",
            "not a url",
            "",
        ] {
            assert!(
                matches!(normalise(bad), Err(Error::InvalidBaseUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn never_repeats_a_password_from_the_url() {
        let error = normalise("https://admin:hunter2@vbo01").unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[test]
    fn refuses_user_info_with_only_a_name_or_only_a_password() {
        for bad in ["https://admin@vbo01", "https://:hunter2@vbo01"] {
            assert!(
                matches!(normalise(bad), Err(Error::InvalidBaseUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_error_names_the_address_with_its_user_info_masked() {
        let Err(Error::InvalidBaseUrl { url, .. }) = normalise("https://admin:hunter2@vbo01/v5")
        else {
            panic!("a URL with user info is refused");
        };
        assert_eq!(url, "https://<user-info>@vbo01/v5");
        let Err(Error::InvalidBaseUrl { url, .. }) = normalise("ftp://vbo01/x") else {
            panic!("ftp is refused");
        };
        assert_eq!(url, "ftp://vbo01/x");
    }
}
