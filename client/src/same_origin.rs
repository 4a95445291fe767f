//! Turning a path as the contract document writes it (`/v5/Jobs`, `/v5/Jobs/{id}/JobSessions?limit=5`)
//! into a URL on the client's own server, and refusing, before any request, anything that could
//! send the bearer token somewhere else.

use url::Url;

use crate::base_url;
use crate::error::Error;

/// Longest part of a refused path an error repeats, in characters.
const SHOWN_AT_MOST: usize = 120;

/// The URL `path_and_query` names under `base`, as the generated client forms its URLs: `base`
/// (scheme, host, port and any path prefix of a reverse proxy) followed by the path.
///
/// Refused with [`Error::RefusedPath`]: anything not starting with exactly one `/` (absolute
/// URLs, `//host`), backslashes (which URL parsers read as `/`), control characters, `.` and
/// `..` segments (plain or percent-encoded, which would climb out of the base), and fragments
/// (never sent). The result is checked to be on `base`'s origin and under its path.
pub(crate) fn resolve(base: &Url, path_and_query: &str) -> Result<Url, Error> {
    let refuse = |reason: &str| Error::RefusedPath {
        path: shown(path_and_query),
        reason: reason.to_owned(),
    };
    if !path_and_query.starts_with('/') {
        return Err(refuse(
            "it does not start with `/` (an absolute URL or a relative path)",
        ));
    }
    if path_and_query.starts_with("//") {
        return Err(refuse("it starts with `//`, which names another host"));
    }
    if path_and_query.contains('\\') {
        return Err(refuse(
            "it contains a backslash, which URL parsers read as `/`",
        ));
    }
    if path_and_query.chars().any(char::is_control) {
        return Err(refuse("it contains a control character"));
    }
    if path_and_query.contains('#') {
        return Err(refuse("it contains a fragment (`#`), which is never sent"));
    }
    let path = path_and_query
        .split_once('?')
        .map_or(path_and_query, |(path, _)| path);
    if path.split('/').any(is_dot_segment) {
        return Err(refuse(
            "it contains a `.` or `..` segment, which would leave the path as written",
        ));
    }
    let joined = format!("{}{path_and_query}", base_url::for_generated(base));
    let url =
        Url::parse(&joined).map_err(|e| refuse(&format!("it is not a valid URL path: {e}")))?;
    let prefix = base.path().trim_end_matches('/');
    if url.origin() != base.origin() || !url.path().starts_with(prefix) {
        return Err(refuse("it would leave the server's base URL"));
    }
    Ok(url)
}

/// Whether `segment` is `.` or `..`, also when written with `%2e` (as URL parsers read it).
fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// `path` as an error shows it: at most [`SHOWN_AT_MOST`] characters.
fn shown(path: &str) -> String {
    match path.char_indices().nth(SHOWN_AT_MOST) {
        Some((cut, _)) => format!("{}...", &path[..cut]),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(text: &str) -> Url {
        base_url::normalise(text).unwrap()
    }

    #[test]
    fn a_document_path_lands_on_the_base() {
        let url = resolve(&base("https://vbo01"), "/v5/Jobs").unwrap();
        assert_eq!(url.as_str(), "https://vbo01:4443/v5/Jobs");
        let url = resolve(
            &base("https://proxy.example/vbo/"),
            "/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions?offset=0&limit=30",
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://proxy.example:4443/vbo/v5/Jobs/196e4df2-0faf-4b8e-ba17-ce8c0eb4edc5/JobSessions?offset=0&limit=30"
        );
    }

    #[test]
    fn anything_that_could_leave_the_origin_is_refused() {
        let base = base("https://vbo01");
        for path in [
            "",
            "v5/Jobs",
            "https://evil.example/v5/Jobs",
            "//evil.example/v5/Jobs",
            "/\\evil.example/v5/Jobs",
            "/v5\\Jobs",
            "/v5/Jobs\r\nHost: evil.example",
            "/v5/Jobs\u{0}",
            "/v5/Jobs\u{85}",
            "/v5/../../admin",
            "/v5/%2E%2e/admin",
            "/v5/./Jobs",
            "/v5/Jobs#top",
        ] {
            match resolve(&base, path) {
                Err(Error::RefusedPath { .. }) => {}
                other => panic!("{path:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn dots_inside_a_segment_or_the_query_are_fine() {
        let base = base("https://vbo01");
        assert!(resolve(&base, "/v5/Jobs/a..b").is_ok());
        assert!(resolve(&base, "/v5/Jobs?name=../x").is_ok());
    }

    #[test]
    fn a_long_refused_path_is_shortened_in_the_error() {
        let long = format!("x{}", "a".repeat(10_000));
        let message = resolve(&base("https://vbo01"), &long)
            .unwrap_err()
            .to_string();
        assert!(message.len() < 400, "{}", message.len());
    }
}
