//! Access tokens: real JWTs (HS256, signed with a key made at start) carrying the claims Azure
//! services check — audience, expiry, tenant and the caller's object id.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    #[serde(default)]
    pub tid: String,
    /// Object id of the caller: what role assignments name.
    #[serde(default)]
    pub oid: String,
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub appid: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token signature is invalid")]
    BadSignature,
}

#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    pub fn random() -> Self {
        Self {
            key: rand::random::<[u8; 32]>().to_vec(),
        }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> String {
        let header = B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = B64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let sig = B64URL.encode(self.mac(signing_input.as_bytes()));
        format!("{signing_input}.{sig}")
    }

    /// Checks the signature and returns the claims; expiry and audience are the caller's job
    /// because each service reports them with its own error.
    pub fn verify<T: for<'de> Deserialize<'de>>(&self, token: &str) -> Result<T, JwtError> {
        let (signing_input, sig) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let sig = B64URL.decode(sig).map_err(|_| JwtError::Malformed)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(signing_input.as_bytes());
        mac.verify_slice(&sig).map_err(|_| JwtError::BadSignature)?;
        decode_unverified(token)
    }
}

/// Reads a JWT's payload without checking its signature (for assertions from other issuers,
/// whose keys the emulator cannot know).
pub fn decode_unverified<T: for<'de> Deserialize<'de>>(token: &str) -> Result<T, JwtError> {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let bytes = B64URL
        .decode(payload.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let s = Signer::random();
        let claims = Claims {
            aud: "a".into(),
            iss: "i".into(),
            iat: 1,
            nbf: 1,
            exp: 2,
            tid: "t".into(),
            oid: "o".into(),
            sub: "o".into(),
            appid: "c".into(),
        };
        let token = s.sign(&claims);
        let back: Claims = s.verify(&token).expect("valid");
        assert_eq!(back.oid, "o");
        let other = Signer::random();
        assert_eq!(
            other.verify::<Claims>(&token).expect_err("foreign key"),
            JwtError::BadSignature
        );
        assert_eq!(
            s.verify::<Claims>("x.y").expect_err("two parts"),
            JwtError::Malformed
        );
    }
}
