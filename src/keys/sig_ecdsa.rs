//! ECDSA on the NIST curves (RFC 5656): points, signatures (`mpint r, mpint s`, SHA-256/384/512
//! for P-256/384/521, deterministic nonces per RFC 6979), OpenSSH private key fields.

use super::KeyError;
use super::secbuf::SecretWriter;
use crate::crypto::EngineRng;
use crate::wire::{Reader, Writer};
use zeroize::Zeroizing;

/// One of the three curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    pub(crate) const ALL: [Curve; 3] = [Curve::P256, Curve::P384, Curve::P521];

    /// `ecdsa-sha2-<identifier>`.
    pub(crate) fn key_type(self) -> &'static str {
        match self {
            Curve::P256 => "ecdsa-sha2-nistp256",
            Curve::P384 => "ecdsa-sha2-nistp384",
            Curve::P521 => "ecdsa-sha2-nistp521",
        }
    }

    /// The curve identifier inside the key blob (RFC 5656 §6.1).
    pub(crate) fn identifier(self) -> &'static str {
        match self {
            Curve::P256 => "nistp256",
            Curve::P384 => "nistp384",
            Curve::P521 => "nistp521",
        }
    }

    pub(crate) fn from_key_type(t: &[u8]) -> Option<Curve> {
        Curve::ALL
            .into_iter()
            .find(|c| c.key_type().as_bytes() == t)
    }

    /// Bytes of a field element or scalar.
    pub(crate) fn field_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// Curve size in bits.
    pub(crate) fn bits(self) -> usize {
        match self {
            Curve::P256 => 256,
            Curve::P384 => 384,
            Curve::P521 => 521,
        }
    }
}

/// Per-curve operations; each curve crate exposes the same API under its own types.
macro_rules! curve_ops {
    ($m:ident, $c:ident) => {
        mod $m {
            use $c::ecdsa::signature::{Signer, Verifier};
            use $c::ecdsa::{Signature, SigningKey, VerifyingKey};
            use $c::elliptic_curve::Generate;

            pub(crate) type Public = VerifyingKey;
            pub(crate) type Secret = SigningKey;

            /// Any SEC1 encoding the crate accepts; the caller has checked the form and length.
            pub(crate) fn public_from_sec1(bytes: &[u8]) -> Option<VerifyingKey> {
                VerifyingKey::from_sec1_bytes(bytes).ok()
            }

            pub(crate) fn public_to_sec1(key: &VerifyingKey) -> Vec<u8> {
                key.to_sec1_point(false).as_bytes().to_vec()
            }

            /// `r` and `s` left-padded to the field length, concatenated.
            pub(crate) fn verify(key: &VerifyingKey, data: &[u8], rs: &[u8]) -> bool {
                match Signature::from_slice(rs) {
                    Ok(sig) => key.verify(data, &sig).is_ok(),
                    Err(_) => false,
                }
            }

            /// Deterministic (RFC 6979) signature as fixed-width `r || s`.
            pub(crate) fn sign(key: &SigningKey, data: &[u8]) -> Vec<u8> {
                let sig: Signature = key.sign(data);
                sig.to_vec()
            }

            pub(crate) fn secret_from_bytes(bytes: &[u8]) -> Option<SigningKey> {
                SigningKey::from_slice(bytes).ok()
            }

            pub(crate) fn secret_to_bytes(key: &SigningKey) -> zeroize::Zeroizing<Vec<u8>> {
                use zeroize::Zeroize;
                let mut b = key.to_bytes();
                let v = zeroize::Zeroizing::new(b.to_vec());
                b.as_mut_slice().zeroize();
                v
            }

            pub(crate) fn generate(rng: &mut crate::crypto::EngineRng) -> SigningKey {
                SigningKey::generate_from_rng(rng)
            }
        }
    };
}

curve_ops!(ops_p256, p256);
curve_ops!(ops_p384, p384);
curve_ops!(ops_p521, p521);

/// An ECDSA public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EcPublic {
    P256(ops_p256::Public),
    P384(ops_p384::Public),
    P521(ops_p521::Public),
}

/// An ECDSA private key (the curve crates zeroize the scalar on drop).
#[derive(Clone)]
pub(crate) enum EcPrivate {
    P256(ops_p256::Secret),
    P384(ops_p384::Secret),
    P521(ops_p521::Secret),
}

impl EcPublic {
    pub(crate) fn curve(&self) -> Curve {
        match self {
            EcPublic::P256(_) => Curve::P256,
            EcPublic::P384(_) => Curve::P384,
            EcPublic::P521(_) => Curve::P521,
        }
    }

    /// A point in the uncompressed SEC1 form OpenSSH uses (0x04 || x || y); compressed points,
    /// the identity and points off the curve are refused.
    pub(crate) fn from_sec1(curve: Curve, q: &[u8]) -> Result<Self, KeyError> {
        if q.len() != 1 + 2 * curve.field_len() || q[0] != 0x04 {
            return Err(KeyError::Malformed("ECDSA point encoding"));
        }
        let key = match curve {
            Curve::P256 => ops_p256::public_from_sec1(q).map(EcPublic::P256),
            Curve::P384 => ops_p384::public_from_sec1(q).map(EcPublic::P384),
            Curve::P521 => ops_p521::public_from_sec1(q).map(EcPublic::P521),
        };
        key.ok_or(KeyError::Malformed("ECDSA point not on curve"))
    }

    /// A point in either SEC1 form, compressed (`0x02`/`0x03 || x`) or uncompressed, as PEM
    /// and SPKI writers may use; the identity and points off the curve are refused.
    pub(crate) fn from_sec1_any(curve: Curve, q: &[u8]) -> Result<Self, KeyError> {
        let n = curve.field_len();
        let length_ok = match q.first() {
            Some(0x04) => q.len() == 1 + 2 * n,
            Some(0x02 | 0x03) => q.len() == 1 + n,
            _ => false,
        };
        if !length_ok {
            return Err(KeyError::Malformed("ECDSA point encoding"));
        }
        let key = match curve {
            Curve::P256 => ops_p256::public_from_sec1(q).map(EcPublic::P256),
            Curve::P384 => ops_p384::public_from_sec1(q).map(EcPublic::P384),
            Curve::P521 => ops_p521::public_from_sec1(q).map(EcPublic::P521),
        };
        key.ok_or(KeyError::Malformed("ECDSA point not on curve"))
    }

    /// The uncompressed SEC1 point.
    pub(crate) fn to_sec1(&self) -> Vec<u8> {
        match self {
            EcPublic::P256(k) => ops_p256::public_to_sec1(k),
            EcPublic::P384(k) => ops_p384::public_to_sec1(k),
            EcPublic::P521(k) => ops_p521::public_to_sec1(k),
        }
    }

    /// Blob fields after the key type: `string identifier, string Q`.
    pub(crate) fn write_blob_fields(&self, w: &mut Writer) {
        w.string(self.curve().identifier().as_bytes())
            .string(&self.to_sec1());
    }

    /// Reads the blob fields after the key type of `curve`.
    pub(crate) fn read_blob_fields(curve: Curve, r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let ident = r.string("ECDSA curve identifier")?;
        if ident != curve.identifier().as_bytes() {
            return Err(KeyError::Malformed("ECDSA curve identifier"));
        }
        EcPublic::from_sec1(curve, r.string("ECDSA point")?)
    }

    /// Verifies the raw signature `mpint r, mpint s` over `data` hashed with the curve's hash.
    pub(crate) fn verify(&self, data: &[u8], raw: &[u8]) -> Result<(), KeyError> {
        let n = self.curve().field_len();
        let mut r = Reader::new(raw);
        let sig_r = r
            .mpint_positive("ECDSA r")
            .map_err(|_| KeyError::BadSignature)?;
        let sig_s = r
            .mpint_positive("ECDSA s")
            .map_err(|_| KeyError::BadSignature)?;
        r.finish().map_err(|_| KeyError::BadSignature)?;
        if sig_r.len() > n || sig_s.len() > n {
            return Err(KeyError::BadSignature);
        }
        // Fixed-width r || s; zero or out-of-range scalars are refused by the curve crates.
        let mut rs = vec![0u8; 2 * n];
        rs[n - sig_r.len()..n].copy_from_slice(sig_r);
        rs[2 * n - sig_s.len()..].copy_from_slice(sig_s);
        let ok = match self {
            EcPublic::P256(k) => ops_p256::verify(k, data, &rs),
            EcPublic::P384(k) => ops_p384::verify(k, data, &rs),
            EcPublic::P521(k) => ops_p521::verify(k, data, &rs),
        };
        if ok {
            Ok(())
        } else {
            Err(KeyError::BadSignature)
        }
    }
}

impl EcPrivate {
    pub(crate) fn generate(curve: Curve, rng: &mut EngineRng) -> Self {
        match curve {
            Curve::P256 => EcPrivate::P256(ops_p256::generate(rng)),
            Curve::P384 => EcPrivate::P384(ops_p384::generate(rng)),
            Curve::P521 => EcPrivate::P521(ops_p521::generate(rng)),
        }
    }

    pub(crate) fn curve(&self) -> Curve {
        match self {
            EcPrivate::P256(_) => Curve::P256,
            EcPrivate::P384(_) => Curve::P384,
            EcPrivate::P521(_) => Curve::P521,
        }
    }

    pub(crate) fn public(&self) -> EcPublic {
        match self {
            EcPrivate::P256(k) => EcPublic::P256(*k.verifying_key()),
            EcPrivate::P384(k) => EcPublic::P384(*k.verifying_key()),
            EcPrivate::P521(k) => EcPublic::P521(*k.verifying_key()),
        }
    }

    /// The raw signature `mpint r, mpint s`.
    pub(crate) fn sign(&self, data: &[u8]) -> Vec<u8> {
        let rs = match self {
            EcPrivate::P256(k) => ops_p256::sign(k, data),
            EcPrivate::P384(k) => ops_p384::sign(k, data),
            EcPrivate::P521(k) => ops_p521::sign(k, data),
        };
        let (r, s) = rs.split_at(rs.len() / 2);
        let mut w = Writer::new();
        w.mpint(r).mpint(s);
        w.into_vec()
    }

    /// A key from its big-endian scalar (at most the field length; shorter is left-padded).
    pub(crate) fn from_scalar(curve: Curve, d: &[u8]) -> Option<Self> {
        let n = curve.field_len();
        if d.len() > n {
            return None;
        }
        let mut padded = Zeroizing::new(vec![0u8; n]);
        padded[n - d.len()..].copy_from_slice(d);
        match curve {
            Curve::P256 => ops_p256::secret_from_bytes(&padded).map(EcPrivate::P256),
            Curve::P384 => ops_p384::secret_from_bytes(&padded).map(EcPrivate::P384),
            Curve::P521 => ops_p521::secret_from_bytes(&padded).map(EcPrivate::P521),
        }
    }

    /// OpenSSH private fields after the key type: `string identifier, string Q, mpint d`.
    /// The point must be the one the scalar gives.
    pub(crate) fn read_private(curve: Curve, r: &mut Reader<'_>) -> Result<Self, KeyError> {
        let public = EcPublic::read_blob_fields(curve, r)?;
        let d = r.mpint_positive("ECDSA private scalar")?;
        let key =
            EcPrivate::from_scalar(curve, d).ok_or(KeyError::Malformed("ECDSA private scalar"))?;
        if key.public() != public {
            return Err(KeyError::Malformed("ECDSA key pair mismatch"));
        }
        Ok(key)
    }

    /// Writes the OpenSSH private fields (see [`EcPrivate::read_private`]).
    pub(crate) fn write_private(&self, w: &mut SecretWriter) {
        let public = self.public();
        w.string(public.curve().identifier().as_bytes());
        w.string(&public.to_sec1());
        let d = match self {
            EcPrivate::P256(k) => ops_p256::secret_to_bytes(k),
            EcPrivate::P384(k) => ops_p384::secret_to_bytes(k),
            EcPrivate::P521(k) => ops_p521::secret_to_bytes(k),
        };
        w.mpint(&d);
    }
}
