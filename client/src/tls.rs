//! Server certificates as curl trusts them.
//!
//! rustls refuses a self-signed certificate made by `openssl req -x509` even when it is the very
//! root it was given, because that command marks it `CA:TRUE` (`CaUsedAsEndEntity`); curl and
//! Python accept it. So beside the platform verifier (system roots plus the supplied ones), two
//! explicit forms of trust name the server's own certificate:
//!
//! * a supplied certificate (`add_root_certificate`, `--ca-cert`) that the server presents byte
//!   for byte as its end-entity certificate;
//! * a SHA-256 pin (`pin_sha256`, `--pin-sha256`) of the certificate's public key or of the
//!   whole certificate. With pins, the presented certificate must match one, and a match is
//!   enough: no chain to a root is asked for (unlike curl's `--pinnedpubkey`), since the point
//!   is trusting a self-signed server's certificate without a CA.
//!
//! Explicit trust waives the chain only: the host name or IP address, the validity period and
//! the handshake signature are still checked.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_name;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};

/// What `--pin-sha256` / [`crate::ClientBuilder::pin_sha256`] accepts, for error messages.
const PIN_FORMS: &str = "sha256//BASE64 (SHA-256 of the public key, as curl's --pinnedpubkey), \
     or the certificate's SHA-256 as 64 hex digits (colons allowed) or as base64; several \
     separated by ';'";

/// A SHA-256 digest the server's end-entity certificate must match.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pin {
    /// SHA-256 of the DER SubjectPublicKeyInfo (curl's `sha256//` form).
    PublicKey([u8; 32]),
    /// SHA-256 of the whole DER certificate (its usual "fingerprint").
    Certificate([u8; 32]),
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicKey(digest) => write!(f, "sha256//{}", BASE64.encode(digest)),
            Self::Certificate(digest) => write!(f, "certificate SHA-256 {}", hex(digest)),
        }
    }
}

/// Standard base64; padding optional when reading, written when encoding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads one `--pin-sha256` value: one pin or several separated by `;` (curl's list form).
pub(crate) fn parse_pins(text: &str) -> Result<Vec<Pin>, String> {
    let pins: Vec<Pin> = text
        .split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(parse_pin)
        .collect::<Result<_, _>>()?;
    if pins.is_empty() {
        return Err(format!("the pin is empty; give {PIN_FORMS}"));
    }
    Ok(pins)
}

/// Reads one pin in one of the forms of [`PIN_FORMS`].
fn parse_pin(text: &str) -> Result<Pin, String> {
    let shown: String = text.chars().take(100).collect();
    let refuse = |why: &str| format!("{shown:?} is not a SHA-256 pin ({why}); give {PIN_FORMS}");
    if let Some(encoded) = text.strip_prefix("sha256//") {
        let digest = BASE64
            .decode(encoded)
            .map_err(|_| refuse("not base64 after sha256//"))?;
        return <[u8; 32]>::try_from(digest)
            .map(Pin::PublicKey)
            .map_err(|_| refuse("a SHA-256 digest is 32 bytes"));
    }
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    let colons_well_placed =
        !text.contains(':') || (text.len() == 95 && text.split(':').all(|pair| pair.len() == 2));
    if digits.len() == 64 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        if !colons_well_placed {
            return Err(refuse("colons go between pairs of hex digits"));
        }
        let mut digest = [0u8; 32];
        for (byte, pair) in digest.iter_mut().zip(digits.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| refuse("not hex"))?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| refuse("not hex"))?;
        }
        return Ok(Pin::Certificate(digest));
    }
    match BASE64.decode(text) {
        Ok(digest) => <[u8; 32]>::try_from(digest)
            .map(Pin::Certificate)
            .map_err(|_| refuse("a SHA-256 digest is 32 bytes")),
        Err(_) => Err(refuse("neither hex nor base64")),
    }
}

/// The certificates of one PEM bundle, in order.
pub(crate) fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not PEM: {e}"))?;
    if certificates.is_empty() {
        return Err("holds no PEM certificate".into());
    }
    Ok(certificates)
}

/// The TLS configuration for a client that trusts `supplied` certificates (as roots, and as the
/// server's own certificate byte for byte) and, when there are `pins`, only pinned certificates.
pub(crate) fn client_config(
    supplied: Vec<CertificateDer<'static>>,
    pins: Vec<Pin>,
) -> Result<rustls::ClientConfig, String> {
    // The provider reqwest would pick: the process default if one is installed, else aws-lc-rs.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    // With pins the platform verifier is never asked, so a machine without system roots is fine.
    let normal: Option<Arc<dyn ServerCertVerifier>> = if pins.is_empty() {
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            supplied.iter().cloned(),
            Arc::clone(&provider),
        )
        .map_err(|e| format!("the certificates cannot be used as roots: {e}"))?;
        Some(Arc::new(verifier))
    } else {
        None
    };
    let verifier = TrustVerifier {
        supplied,
        pins,
        normal,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("no TLS version is available: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // What reqwest offers when it builds the configuration itself (HTTP/2 and HTTP/1.1).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Pins and supplied certificates first, then the platform verifier.
#[derive(Debug)]
struct TrustVerifier {
    supplied: Vec<CertificateDer<'static>>,
    pins: Vec<Pin>,
    normal: Option<Arc<dyn ServerCertVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for TrustVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.pins.is_empty() {
            let fields = Fields::read(end_entity)?;
            let public_key = sha256(fields.public_key);
            let certificate = sha256(end_entity);
            let pinned = self.pins.iter().any(|pin| match pin {
                Pin::PublicKey(digest) => *digest == public_key,
                Pin::Certificate(digest) => *digest == certificate,
            });
            if !pinned {
                return Err(other(PinMismatch {
                    public_key,
                    certificate,
                }));
            }
            check_explicitly_trusted(end_entity, &fields, server_name, now)?;
            return Ok(ServerCertVerified::assertion());
        }
        if self
            .supplied
            .iter()
            .any(|supplied| supplied.as_ref() == end_entity.as_ref())
        {
            let fields = Fields::read(end_entity)?;
            check_explicitly_trusted(end_entity, &fields, server_name, now)?;
            return Ok(ServerCertVerified::assertion());
        }
        match &self.normal {
            Some(normal) => normal.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(CertificateError::UnknownIssuer.into()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// What an explicit pin still asks of the certificate: the host name or address, and the date.
fn check_explicitly_trusted(
    end_entity: &CertificateDer<'_>,
    fields: &Fields<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let parsed = ParsedCertificate::try_from(end_entity)?;
    if let Err(error) = verify_server_name(&parsed, server_name) {
        // As curl and Python do (RFC 6125 6.4.4): a certificate that names no host in a
        // subjectAltName is matched by its subject's common name. Only for explicitly trusted
        // certificates, which is how `openssl req -x509 -subj /CN=host` ones are used.
        if fields.has_subject_alt_name {
            return Err(error);
        }
        match fields.common_name {
            Some(name) if common_name_matches(name, server_name) => {}
            common_name => {
                return Err(CertificateError::NotValidForNameContext {
                    expected: server_name.to_owned(),
                    presented: vec![format!(
                        "CommonName({:?}) (it has no subjectAltName)",
                        common_name.unwrap_or_default()
                    )],
                }
                .into());
            }
        }
    }
    let now_seconds = now.as_secs();
    let at = |seconds: i64| {
        UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
    };
    if i128::from(now_seconds) < i128::from(fields.not_before) {
        return Err(CertificateError::NotValidYetContext {
            time: now,
            not_before: at(fields.not_before),
        }
        .into());
    }
    if i128::from(now_seconds) > i128::from(fields.not_after) {
        return Err(CertificateError::ExpiredContext {
            time: now,
            not_after: at(fields.not_after),
        }
        .into());
    }
    Ok(())
}

/// Whether a certificate's common name is the host name (case-insensitive, no wildcard) or the
/// IP address the client connected to.
fn common_name_matches(common_name: &str, server_name: &ServerName<'_>) -> bool {
    match server_name {
        ServerName::DnsName(name) => common_name
            .trim_end_matches('.')
            .eq_ignore_ascii_case(name.as_ref().trim_end_matches('.')),
        ServerName::IpAddress(address) => {
            common_name.parse::<IpAddr>().ok() == Some(IpAddr::from(*address))
        }
        _ => false,
    }
}

/// The SHA-256 digest of `data`.
fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Lower-case hex with colons, as `openssl x509 -fingerprint` prints it (upper-case there).
fn hex(digest: &[u8]) -> String {
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A certificate error of our own, inside rustls's error (so it stays a TLS failure).
fn other(error: impl std::error::Error + Send + Sync + 'static) -> rustls::Error {
    CertificateError::Other(OtherError(Arc::new(error))).into()
}

/// The presented certificate matches none of the pins. Its Debug form is the message, because
/// rustls prints a certificate error's inner error with `{:?}`.
#[derive(thiserror::Error)]
#[error(
    "the server's certificate matches no --pin-sha256: its public key is sha256//{} and its SHA-256 is {}",
    BASE64.encode(.public_key), hex(.certificate)
)]
pub(crate) struct PinMismatch {
    public_key: [u8; 32],
    certificate: [u8; 32],
}

impl fmt::Debug for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The fields of a certificate that explicit trust needs and rustls does not expose.
struct Fields<'a> {
    /// notBefore, seconds since 1970 (negative before).
    not_before: i64,
    /// notAfter, seconds since 1970.
    not_after: i64,
    /// The DER SubjectPublicKeyInfo, tag and length included (what curl's pins hash).
    public_key: &'a [u8],
    /// Whether a subjectAltName extension is present.
    has_subject_alt_name: bool,
    /// The subject's last common name, when it is a readable string.
    common_name: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// Reads a DER certificate's TBSCertificate (RFC 5280 4.1); malformed input is refused.
    fn read(certificate: &'a [u8]) -> Result<Self, rustls::Error> {
        Self::parse(certificate).ok_or(rustls::Error::InvalidCertificate(
            CertificateError::BadEncoding,
        ))
    }

    fn parse(certificate: &'a [u8]) -> Option<Self> {
        let (whole, _) = der::expect(certificate, der::SEQUENCE)?;
        let (tbs, _) = der::expect(whole, der::SEQUENCE)?;
        let mut rest = tbs;
        if rest.first() == Some(&der::VERSION) {
            rest = der::element(rest)?.2;
        }
        rest = der::expect(rest, der::INTEGER)?.1; // serialNumber
        rest = der::expect(rest, der::SEQUENCE)?.1; // signature
        rest = der::expect(rest, der::SEQUENCE)?.1; // issuer
        let (validity, after) = der::expect(rest, der::SEQUENCE)?;
        let (first_tag, first, later) = der::element(validity)?;
        let (second_tag, second, _) = der::element(later)?;
        let not_before = der::time(first_tag, first)?;
        let not_after = der::time(second_tag, second)?;
        let (subject, after) = der::expect(after, der::SEQUENCE)?;
        let (_, after_key) = der::expect(after, der::SEQUENCE)?;
        let public_key = &after[..after.len() - after_key.len()];
        let mut has_subject_alt_name = false;
        rest = after_key;
        while !rest.is_empty() {
            let (tag, content, after) = der::element(rest)?;
            if tag == der::EXTENSIONS {
                has_subject_alt_name = der::has_extension(content, der::SUBJECT_ALT_NAME)?;
            }
            rest = after;
        }
        Some(Self {
            not_before,
            not_after,
            public_key,
            has_subject_alt_name,
            common_name: der::common_name(subject),
        })
    }
}

/// Just enough DER to read a certificate's validity, subject and extensions; every length is
/// checked against the input, so malformed input gives `None`, never a panic.
mod der {
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    pub const INTEGER: u8 = 0x02;
    pub const OID: u8 = 0x06;
    pub const OCTET_STRING: u8 = 0x04;
    pub const BOOLEAN: u8 = 0x01;
    pub const VERSION: u8 = 0xa0;
    pub const EXTENSIONS: u8 = 0xa3;
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;
    /// id-ce-subjectAltName, 2.5.29.17.
    pub const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
    /// id-at-commonName, 2.5.4.3.
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];

    /// One element: its tag, its content, and what follows it.
    pub fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // multi-byte tags never occur in the fields read here
        }
        let (&first, rest) = rest.split_first()?;
        let (length, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let (bytes, rest) = rest.split_at(count);
            let length = bytes
                .iter()
                .fold(0usize, |length, b| (length << 8) | usize::from(*b));
            (length, rest)
        };
        if rest.len() < length {
            return None;
        }
        let (content, rest) = rest.split_at(length);
        Some((tag, content, rest))
    }

    /// The content of an element that must have `tag`, and what follows it.
    pub fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (found, content, rest) = element(input)?;
        (found == tag).then_some((content, rest))
    }

    /// A UTCTime (`YYMMDDHHMMSSZ`, 1950-2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`), as DER
    /// requires them, in seconds since 1970.
    pub fn time(tag: u8, text: &[u8]) -> Option<i64> {
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(part).ok()?.parse().ok()
        };
        let (year, rest) = match (tag, text.len()) {
            (UTC_TIME, 13) => {
                let year = digits(0..2)?;
                (if year < 50 { 2000 + year } else { 1900 + year }, 2)
            }
            (GENERALIZED_TIME, 15) => (digits(0..4)?, 4),
            _ => return None,
        };
        if text.last() != Some(&b'Z') {
            return None;
        }
        let date = chrono::NaiveDate::from_ymd_opt(
            i32::try_from(year).ok()?,
            digits(rest..rest + 2)?,
            digits(rest + 2..rest + 4)?,
        )?;
        let time = date.and_hms_opt(
            digits(rest + 4..rest + 6)?,
            digits(rest + 6..rest + 8)?,
            digits(rest + 8..rest + 10)?,
        )?;
        Some(time.and_utc().timestamp())
    }

    /// Whether the content of `[3] Extensions` holds the extension `oid`.
    pub fn has_extension(explicit: &[u8], oid: &[u8]) -> Option<bool> {
        let (mut extensions, _) = expect(explicit, SEQUENCE)?;
        while !extensions.is_empty() {
            let (extension, rest) = expect(extensions, SEQUENCE)?;
            let (id, mut fields) = expect(extension, OID)?;
            if fields.first() == Some(&BOOLEAN) {
                fields = element(fields)?.2;
            }
            expect(fields, OCTET_STRING)?;
            if id == oid {
                return Some(true);
            }
            extensions = rest;
        }
        Some(false)
    }

    /// The last common name of a Name, when it is a UTF8String, PrintableString or IA5String.
    pub fn common_name(name: &[u8]) -> Option<&str> {
        let mut found = None;
        let mut sets = name;
        while !sets.is_empty() {
            let (mut set, rest) = expect(sets, SET)?;
            while !set.is_empty() {
                let (attribute, more) = expect(set, SEQUENCE)?;
                let (id, value) = expect(attribute, OID)?;
                if id == COMMON_NAME {
                    let (tag, text, _) = element(value)?;
                    found = match tag {
                        0x0c | 0x13 | 0x16 => std::str::from_utf8(text).ok(),
                        _ => None,
                    };
                }
                set = more;
            }
            sets = rest;
        }
        found
    }
}

/// What fixes the TLS failure behind `error`, if rustls caused it.
pub(crate) fn advice(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    const TRUST: &str = "the server's certificate is not trusted here: trust it with --ca-cert \
        FILE (add_root_certificate), giving the server's own certificate or the CA that issued \
        it, or pin it with --pin-sha256 (pin_sha256)";
    const NAME: &str = "the certificate is not for this host name or address: connect with a \
        name the certificate lists, or give the server a proper certificate for this name \
        (--ca-cert and --pin-sha256 do not waive the name check)";
    const DATE: &str = "the certificate is outside its validity period: give the server a \
        proper, current certificate or check this machine's clock (--ca-cert and --pin-sha256 \
        do not waive the dates)";
    const PIN: &str = "check the pin against the server's certificate (it may have a new \
        one), or trust it with --ca-cert FILE (add_root_certificate) instead of pinning";
    const PROPER: &str = "the server's certificate is refused: give the server a proper \
        certificate, or trust this exact one with --ca-cert FILE (add_root_certificate) or \
        --pin-sha256 (pin_sha256)";
    const HANDSHAKE: &str = "the TLS handshake failed: check that the address is the server's \
        HTTPS port";
    let error = rustls_cause(error)?;
    Some(match error {
        rustls::Error::InvalidCertificate(problem) => match problem {
            CertificateError::UnknownIssuer
            | CertificateError::BadSignature
            | CertificateError::UnknownRevocationStatus => TRUST,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                NAME
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => DATE,
            CertificateError::Other(OtherError(inner)) if inner.is::<PinMismatch>() => PIN,
            // A self-signed certificate marked CA:TRUE (as `openssl req -x509` makes them)
            // that was not supplied: webpki refuses it before looking for an issuer.
            CertificateError::Other(OtherError(inner))
                if matches!(
                    inner.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                TRUST
            }
            _ => PROPER,
        },
        _ => HANDSHAKE,
    })
}

/// The rustls error in `error`'s chain of causes, looking inside `io::Error`s too: their
/// `source` skips the error they wrap, and reqwest nests rustls's error two of them deep.
pub(crate) fn rustls_cause<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    if let Some(found) = error.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    if let Some(io) = error.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && let Some(found) = rustls_cause(inner)
    {
        return Some(found);
    }
    error.source().and_then(rustls_cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "5F1C3E0A9B7D2C4E6F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6";

    #[test]
    fn reads_each_documented_pin_form() {
        let digest: [u8; 32] =
            core::array::from_fn(|i| u8::from_str_radix(&HEX[2 * i..2 * i + 2], 16).expect("hex"));
        let base64 = BASE64.encode(digest);
        let colons = hex(&digest);
        assert_eq!(
            parse_pins(&format!("sha256//{base64}")).unwrap(),
            [Pin::PublicKey(digest)]
        );
        for form in [
            HEX.to_owned(),
            HEX.to_ascii_lowercase(),
            colons,
            base64.clone(),
        ] {
            assert_eq!(
                parse_pins(&form).unwrap(),
                [Pin::Certificate(digest)],
                "{form}"
            );
        }
        let unpadded = base64.trim_end_matches('=');
        assert_eq!(
            parse_pins(&format!(" sha256//{unpadded} ; {HEX};")).unwrap(),
            [Pin::PublicKey(digest), Pin::Certificate(digest)]
        );
    }

    #[test]
    fn refuses_what_is_not_a_sha256_pin() {
        for bad in [
            "",
            " ; ",
            "sha256//",
            "sha256//not base64!",
            "sha256//AAAA",
            &format!("sha256//{HEX}"),
            &HEX[..62],
            &format!("{HEX}00"),
            "5F1C:3E0A9B7D2C4E6F8091A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6",
            "sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "AAAA",
        ] {
            let error = parse_pins(bad).expect_err(bad);
            assert!(error.contains("sha256//BASE64"), "{bad}: {error}");
        }
    }

    #[test]
    fn reads_both_der_time_forms() {
        assert_eq!(der::time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(der::time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(der::time(0x17, b"500101000000Z"), Some(-631_152_000));
        assert_eq!(der::time(0x18, b"20991230000616Z"), Some(4_102_272_376));
        for bad in [
            &b"700101000000"[..],
            b"7001010000000",
            b"+70101000000Z",
            b"701301000000Z",
            b"700101000060Z",
            b"",
        ] {
            assert_eq!(der::time(0x17, bad), None, "{bad:?}");
        }
        assert_eq!(der::time(0x18, b"700101000000Z"), None);
        assert_eq!(der::time(0x04, b"700101000000Z"), None);
    }

    /// The DER of the first certificate of a PEM fixture.
    fn der(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes())
            .expect("PEM")
            .as_ref()
            .to_vec()
    }

    #[test]
    fn reads_the_fields_of_openssl_made_certificates() {
        let ca_true = der(include_str!("../tests/certs/ca-true.pem"));
        let fields = Fields::parse(&ca_true).expect("readable");
        assert!(fields.has_subject_alt_name);
        assert_eq!(fields.common_name, Some("vbo01 self-signed"));
        assert!(fields.not_before < fields.not_after);
        // 2099-12-30/31, whatever day the fixtures were made.
        assert!((4_102_185_600..4_102_444_800).contains(&fields.not_after));
        // The public key's digest is the one openssl computed for curl's pin form.
        let pins = include_str!("../tests/certs/ca-true.pins");
        let openssl = pins.lines().next().expect("a pin").trim();
        assert_eq!(
            format!("sha256//{}", BASE64.encode(sha256(fields.public_key))),
            openssl
        );

        let cn_only = der(include_str!("../tests/certs/cn-only.pem"));
        let fields = Fields::parse(&cn_only).expect("readable");
        assert!(!fields.has_subject_alt_name);
        assert_eq!(fields.common_name, Some("localhost"));

        let expired = der(include_str!("../tests/certs/expired.pem"));
        let fields = Fields::parse(&expired).expect("readable");
        assert_eq!(
            (fields.not_before, fields.not_after),
            (1_577_836_800, 1_609_459_199)
        );
    }

    #[test]
    fn an_explicitly_trusted_certificate_is_valid_through_both_its_boundary_seconds() {
        let expired = CertificateDer::from(der(include_str!("../tests/certs/expired.pem")));
        let fields = Fields::parse(&expired).expect("readable");
        let name = ServerName::try_from("localhost").expect("a name");
        let at = |seconds: i64| {
            let seconds = u64::try_from(seconds).expect("after 1970");
            check_explicitly_trusted(
                &expired,
                &fields,
                &name,
                UnixTime::since_unix_epoch(Duration::from_secs(seconds)),
            )
        };
        assert!(at(fields.not_before).is_ok());
        assert!(at(fields.not_after).is_ok());
        assert!(matches!(
            at(fields.not_before - 1),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYetContext { .. }
            ))
        ));
        assert!(matches!(
            at(fields.not_after + 1),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            ))
        ));
    }

    #[test]
    fn a_common_name_matches_the_host_without_regard_to_case_or_the_address_connected_to() {
        let name = |text: &str| ServerName::try_from(text.to_owned()).expect("a server name");
        assert!(common_name_matches("VBO01.", &name("vbo01")));
        assert!(!common_name_matches("vbo02", &name("vbo01")));
        assert!(common_name_matches("127.0.0.1", &name("127.0.0.1")));
        assert!(common_name_matches("::1", &name("::1")));
        assert!(!common_name_matches("127.0.0.2", &name("127.0.0.1")));
        assert!(!common_name_matches("localhost", &name("127.0.0.1")));
    }

    #[test]
    fn der_lengths_take_one_to_four_bytes_and_never_the_indefinite_form() {
        // Indefinite length (0x80) is BER, not DER: refused, even with bytes enough after it.
        let mut indefinite = vec![0x04, 0x80];
        indefinite.extend([0u8; 130]);
        assert_eq!(der::element(&indefinite), None);
        assert_eq!(der::element(&[0x04, 0x80]), None);
        // Short form, then each long form up to four length bytes.
        assert_eq!(
            der::element(&[0x04, 0x01, 7, 9]),
            Some((0x04, &[7u8][..], &[9u8][..]))
        );
        assert_eq!(
            der::element(&[0x04, 0x81, 0x01, 7]),
            Some((0x04, &[7u8][..], &[][..]))
        );
        assert_eq!(
            der::element(&[0x04, 0x84, 0, 0, 0, 2, 7, 8, 9]),
            Some((0x04, &[7u8, 8][..], &[9u8][..]))
        );
        assert_eq!(der::element(&[0x04, 0x85, 0, 0, 0, 0, 1, 7]), None);
        assert_eq!(der::element(&[0x04, 0x82, 0x01]), None);
    }

    #[test]
    fn a_pin_shows_itself_in_the_form_it_is_given_in() {
        let digest: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(
            format!("{:?}", Pin::PublicKey(digest)),
            format!("sha256//{}", BASE64.encode(digest))
        );
        assert_eq!(
            format!("{:?}", Pin::Certificate(digest)),
            format!("certificate SHA-256 {}", hex(&digest))
        );
        assert!(hex(&digest).starts_with("00:01:02:"), "{}", hex(&digest));
    }

    #[test]
    fn a_der_tag_of_several_bytes_is_refused_and_tag_zero_is_read() {
        // Low five bits all set: the tag goes on in the next bytes, which no field read here has.
        assert_eq!(der::element(&[0x1f, 0x01, 0x00]), None);
        assert_eq!(der::element(&[0xbf, 0x01, 0x00]), None);
        assert_eq!(der::element(&[0x00, 0x00]), Some((0x00, &[][..], &[][..])));
    }

    #[test]
    fn colons_in_a_hex_pin_must_sit_between_pairs_even_when_the_length_is_right() {
        let pairs: Vec<&str> = (0..32).map(|i| &HEX[2 * i..2 * i + 2]).collect();
        let placed = pairs.join(":");
        assert_eq!(placed.len(), 95);
        assert!(parse_pins(&placed).is_ok());
        // The same 64 digits and 31 colons, one colon moved by a digit: still 95 characters.
        let moved = format!("{}:{}", &placed[..1], placed[1..].replacen(':', "", 1));
        assert_eq!(moved.len(), 95);
        let error = parse_pins(&moved).unwrap_err();
        assert!(error.contains("colons go between pairs"), "{error}");
    }

    #[test]
    fn only_a_ca_certificate_used_as_the_server_s_is_advised_as_not_trusted() {
        let other = |error: webpki::Error| {
            rustls::Error::from(CertificateError::Other(OtherError(Arc::new(error))))
        };
        let ca = advice(&other(webpki::Error::CaUsedAsEndEntity)).expect("advice");
        assert!(ca.contains("not trusted here"), "{ca}");
        let critical = advice(&other(webpki::Error::UnsupportedCriticalExtension)).expect("advice");
        assert!(
            critical.contains("give the server a proper certificate"),
            "{critical}"
        );
    }

    #[test]
    fn truncated_or_damaged_certificates_never_panic() {
        let certificate = der(include_str!("../tests/certs/end-entity.pem"));
        for end in 0..certificate.len() {
            assert!(Fields::parse(&certificate[..end]).is_none(), "{end}");
        }
        for at in 0..certificate.len() {
            let mut damaged = certificate.clone();
            damaged[at] ^= 0xff;
            let _ = Fields::parse(&damaged);
        }
    }

    #[test]
    fn malformed_certificates_are_refused_without_panic() {
        assert!(Fields::parse(&[]).is_none());
        assert!(Fields::parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(Fields::parse(&[0x30, 0x03, 0x30, 0x01]).is_none());
        assert!(Fields::parse(&[0x1f, 0x00]).is_none());
        assert!(matches!(
            Fields::read(b"\x30\x00"),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::BadEncoding
            ))
        ));
    }
}
