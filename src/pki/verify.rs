//! Chain validation: build a path from the peer's certificate through the intermediates it sent
//! to one of the application's trust anchors, then check it (RFC 5280 §6, RFC 6187 §2.2).
//!
//! The search is a depth-first walk over issuer-name matches with a budget on signature checks,
//! so a peer that sends many certificates with the same name (or an application with many
//! anchors of one name) costs at most `Policy::max_signature_checks` verifications, never an
//! exponential search. Peer certificates are only ever intermediates: trust comes from the
//! anchors alone.

use super::checks::{self, name_of};
use super::identity::Identity;
use super::policy::{Purpose, Trustpoint};
use super::revocation::{self, RevocationStatus};
use super::sig::{self, SigAlg};
use super::spki::{self, IssuerKey};
use super::{Certificate, PkiError, X509Alg, X509Blob};
use crate::keys::PublicKey;
use std::collections::HashMap;

/// A validated chain.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The leaf's key, to verify the SSH signature with (see [`X509Alg::verify`]).
    pub key: PublicKey,
    /// The leaf's names.
    pub identity: Identity,
    /// The path, leaf first, the trust anchor last.
    pub chain: Vec<Certificate>,
    /// What the revocation check found.
    pub revocation: RevocationStatus,
}

/// Most candidate issuers looked at in one search.
const MAX_STEPS: usize = 1024;

struct Node<'a> {
    cert: &'a Certificate,
    anchor: bool,
    key: Option<Result<IssuerKey, PkiError>>,
}

struct Search<'a, 'p> {
    nodes: Vec<Node<'a>>,
    verified: HashMap<(usize, usize), bool>,
    checks: usize,
    /// Candidate visits, cached signatures included: bounds the walk itself when many peer
    /// certificates share a name and a key (a permutation search costs no new signatures).
    steps: usize,
    trust: &'p Trustpoint,
    now: u64,
    /// The most telling refusal so far: the one found deepest in the path.
    err: Option<(usize, PkiError)>,
}

impl Search<'_, '_> {
    fn note(&mut self, depth: usize, e: PkiError) {
        if self.err.as_ref().is_none_or(|(d, _)| depth > *d) {
            self.err = Some((depth, e));
        }
    }

    fn key(&mut self, j: usize) -> Result<&IssuerKey, PkiError> {
        let n = &mut self.nodes[j];
        n.key
            .get_or_insert_with(|| spki::issuer_key(n.cert.spki()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether `parent`'s key signed `child`; each pair is verified at most once.
    fn signed(&mut self, child: usize, parent: usize, alg: SigAlg) -> Result<bool, PkiError> {
        if let Some(&v) = self.verified.get(&(child, parent)) {
            return Ok(v);
        }
        if self.checks >= self.trust.policy.max_signature_checks {
            return Err(PkiError::BudgetExceeded {
                checks: self.checks,
            });
        }
        self.checks += 1;
        let c = self.nodes[child].cert;
        let ok = match (self.key(parent), c.x509().signature().as_bytes()) {
            (Ok(k), Some(s)) => sig::verify(k, alg, c.tbs_der(), s),
            _ => false,
        };
        self.verified.insert((child, parent), ok);
        Ok(ok)
    }

    /// Extends `path` (node indices, leaf first) to an anchor. `Err` only when the budget runs
    /// out; a dead end is `Ok(false)` with the reason noted.
    fn extend(&mut self, path: &mut Vec<usize>) -> Result<bool, PkiError> {
        let cur = path[path.len() - 1];
        if self.nodes[cur].anchor {
            return Ok(true);
        }
        let depth = path.len() - 1;
        let cert = self.nodes[cur].cert;
        let mut candidates: Vec<usize> = (0..self.nodes.len())
            .filter(|j| !path.contains(j) && self.nodes[*j].cert.subject_der() == cert.issuer_der())
            .collect();
        // Anchors first (the shortest path wins), then the issuer whose subjectKeyIdentifier
        // matches the child's authorityKeyIdentifier.
        candidates.sort_by_key(|&j| {
            let n = &self.nodes[j];
            let aki = cert.exts.authority_key_id.as_ref();
            (
                !n.anchor,
                aki.is_some() && aki != n.cert.exts.subject_key_id.as_ref(),
            )
        });
        if candidates.is_empty() {
            let which = name_of(cert, depth);
            let e = if cert.is_self_issued() {
                PkiError::UntrustedIssuer { which }
            } else {
                PkiError::MissingIntermediate {
                    which,
                    issuer: cert.issuer(),
                }
            };
            self.note(depth, e);
            return Ok(false);
        }
        let alg = match SigAlg::from_alg_id(cert.x509().signature_algorithm()) {
            Ok(a) => a,
            Err(e) => {
                self.note(depth, e);
                return Ok(false);
            }
        };
        for j in candidates {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(PkiError::BudgetExceeded {
                    checks: self.checks,
                });
            }
            let n = &self.nodes[j];
            if !n.anchor && depth >= self.trust.policy.max_intermediates {
                self.note(
                    depth + 1,
                    PkiError::TooManyCertificates {
                        got: depth + 1,
                        max: self.trust.policy.max_intermediates,
                    },
                );
                continue;
            }
            // What can be known of the candidate alone is checked before paying for a
            // signature, so an expired or non-CA duplicate does not hide a good one.
            if let Err(e) = checks::own(n.cert, depth + 1, self.now)
                .and_then(|()| checks::issuer(n.cert, depth + 1, n.anchor))
            {
                self.note(depth + 1, e);
                continue;
            }
            if !self.signed(cur, j, alg)? {
                self.note(
                    depth,
                    PkiError::BadSignature {
                        which: name_of(cert, depth),
                    },
                );
                continue;
            }
            path.push(j);
            if self.extend(path)? {
                return Ok(true);
            }
            path.pop();
        }
        Ok(false)
    }
}

/// Validates the chain in an RFC 6187 key blob for `purpose` at `now` (seconds since the Unix
/// epoch, from the caller's wall clock) against `trust`.
pub fn verify_chain(
    blob: &X509Blob,
    trust: &Trustpoint,
    purpose: Purpose,
    now: u64,
) -> Result<Validated, PkiError> {
    let limits = &trust.policy.blob_limits;
    if blob.certificates.len() > limits.max_certificates {
        return Err(PkiError::TooManyCertificates {
            got: blob.certificates.len(),
            max: limits.max_certificates,
        });
    }
    let certs = blob
        .certificates
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<Vec<_>, _>>()?;
    let v = verify_certificates(&certs, &blob.ocsp_responses, trust, purpose, now)?;
    if !blob.alg.fits(&v.key) {
        return Err(PkiError::KeyAlgorithmMismatch {
            alg: blob.alg.name(),
        });
    }
    Ok(v)
}

/// As [`verify_chain`] for parsed certificates (`certs[0]` the leaf, the rest intermediates in
/// any order) and stapled OCSP responses.
pub fn verify_certificates(
    certs: &[Certificate],
    ocsp_responses: &[Vec<u8>],
    trust: &Trustpoint,
    purpose: Purpose,
    now: u64,
) -> Result<Validated, PkiError> {
    let leaf = certs.first().ok_or(PkiError::malformed("no certificate"))?;
    let policy = &trust.policy;
    // The leaf's own faults are reported before any path search.
    checks::own(leaf, 0, now)?;
    checks::leaf(leaf, purpose, &policy.eku)?;
    let is_anchor = |c: &Certificate| trust.anchors.iter().any(|a| a == c);
    let mut nodes = vec![Node {
        cert: leaf,
        anchor: is_anchor(leaf),
        key: None,
    }];
    for c in &certs[1..] {
        if !is_anchor(c) && !nodes.iter().any(|n| n.cert == c) {
            nodes.push(Node {
                cert: c,
                anchor: false,
                key: None,
            });
        }
    }
    nodes.extend(trust.anchors.iter().filter(|a| *a != leaf).map(|a| Node {
        cert: a,
        anchor: true,
        key: None,
    }));
    let mut search = Search {
        nodes,
        verified: HashMap::new(),
        checks: 0,
        steps: 0,
        trust,
        now,
        err: None,
    };
    let mut path = vec![0];
    if !search.extend(&mut path)? {
        return Err(search
            .err
            .map_or_else(|| PkiError::malformed("no path"), |(_, e)| e));
    }
    let chain: Vec<&Certificate> = path.iter().map(|&i| search.nodes[i].cert).collect();
    checks::path(&chain, now, policy)?;
    let mut keys = Vec::with_capacity(path.len());
    for (depth, &i) in path.iter().enumerate() {
        let k = search.key(i)?.clone();
        checks::key_size(&k, chain[depth], depth, policy)?;
        keys.push(k);
    }
    let key = spki::engine_key(leaf.spki())?;
    let revocation = revocation::check(&chain, &keys, ocsp_responses, trust, now)?;
    Ok(Validated {
        key,
        identity: Identity::from_certificate(leaf),
        chain: chain.into_iter().cloned().collect(),
        revocation,
    })
}

/// The algorithms the validated leaf key can be used with (for choosing what to offer).
#[must_use]
pub fn algorithms_for(v: &Validated) -> Vec<X509Alg> {
    X509Alg::for_key(&v.key)
}
