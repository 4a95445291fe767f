//! The mock's certificates: a throwaway CA made at start and the server certificate it issues
//! for `localhost` and `127.0.0.1`.

use super::MockError;

/// The CA and the server certificate it issued, as PEM.
pub(super) struct Certificate {
    /// The CA, for clients to trust.
    pub(super) ca_pem: String,
    /// The server certificate followed by the CA.
    pub(super) chain_pem: String,
    /// The server certificate's private key.
    pub(super) key_pem: String,
}

impl Certificate {
    /// Makes a CA and a server certificate signed by it.
    pub(super) fn new() -> Result<Self, MockError> {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
        let fail = |e: rcgen::Error| MockError::Certificate(e.to_string());
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "vbo-contract mock CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(fail)?)
            .map_err(fail)?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(fail)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "vbo-contract mock");
        let key = KeyPair::generate().map_err(fail)?;
        let leaf = params.signed_by(&key, &ca).map_err(fail)?;
        Ok(Self {
            ca_pem: ca.pem(),
            chain_pem: format!("{}{}", leaf.pem(), ca.pem()),
            key_pem: key.serialize_pem(),
        })
    }
}
