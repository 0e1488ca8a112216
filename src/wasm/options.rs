//! Client options from a plain JS object: `{ software, algorithms: { kex, hostKey, cipher, mac },
//! preferHostKeyTypes, trustedCAs, crls, revocation, revocationSoftFail, hostName,
//! openSshHostCertificates }`.
//! Algorithm lists replace the defaults in the given order; an unknown name is an error that
//! names it (legacy algorithms are usable when named, as in the native client).

use super::x509::trusted_cas;
use crate::config::{Algorithms, ClientConfig};
use crate::kex::KexAlg;
use crate::keys::HostKeyAlg;
use crate::transport::cipher::{CipherAlg, MacAlg};
use crate::transport::keystream_offload::KeystreamMode;
use js_sys::{Array, Reflect};
use wasm_bindgen::{JsError, JsValue};

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    if !obj.is_object() {
        return None;
    }
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// An array of strings (a single string is a list of one).
fn names_of(v: &JsValue, what: &str) -> Result<Vec<String>, JsError> {
    if let Some(s) = v.as_string() {
        return Ok(vec![s]);
    }
    names(v, what)
}

/// A list of names (array of strings, or a comma-separated string).
fn names(v: &JsValue, what: &str) -> Result<Vec<String>, JsError> {
    if let Some(s) = v.as_string() {
        return Ok(s.split(',').map(|n| n.trim().to_string()).collect());
    }
    if Array::is_array(v) {
        return Array::from(v)
            .iter()
            .map(|x| {
                x.as_string()
                    .ok_or_else(|| JsError::new(&format!("{what}: names must be strings")))
            })
            .collect();
    }
    Err(JsError::new(&format!("{what}: expected an array of names")))
}

fn list<T>(
    algs: &JsValue,
    key: &str,
    what: &str,
    lookup: impl Fn(&str) -> Option<T>,
) -> Result<Option<Vec<T>>, JsError> {
    let Some(v) = get(algs, key) else {
        return Ok(None);
    };
    let parsed = names(&v, what)?
        .iter()
        .map(|n| lookup(n).ok_or_else(|| JsError::new(&format!("unknown {what} {n:?}"))))
        .collect::<Result<Vec<T>, JsError>>()?;
    if parsed.is_empty() {
        return Err(JsError::new(&format!("{what}: empty list")));
    }
    Ok(Some(parsed))
}

/// The client configuration for `options`.
pub(crate) fn client_config(options: &JsValue) -> Result<ClientConfig, JsError> {
    let mut cfg = ClientConfig::default();
    if let Some(s) = get(options, "software").and_then(|v| v.as_string()) {
        cfg.common.software = s;
    }
    // Set by js/index.js where WebCrypto is: the modes js/keystream.js makes keystream for.
    if let Some(modes) = get(options, "keystreamOffload") {
        cfg.common.keystream_offload = js_sys::Array::from(&modes)
            .iter()
            .filter_map(|m| match m.as_string().as_deref() {
                Some("ctr") => Some(KeystreamMode::Ctr),
                Some("gcm") => Some(KeystreamMode::Gcm),
                _ => None,
            })
            .collect();
    }
    let own_host_key_order =
        get(options, "algorithms").is_some_and(|a| get(&a, "hostKey").is_some());
    if let Some(algs) = get(options, "algorithms") {
        let mut a = Algorithms::default();
        if let Some(v) = list(&algs, "kex", "key exchange algorithm", KexAlg::from_name)? {
            a.kex = v;
        }
        if let Some(v) = list(
            &algs,
            "hostKey",
            "host key algorithm",
            HostKeyAlg::from_name,
        )? {
            a.host_key = v;
        }
        if let Some(v) = list(&algs, "cipher", "cipher", CipherAlg::from_name)? {
            a.cipher = v;
        }
        if let Some(v) = list(&algs, "mac", "MAC", MacAlg::from_name)? {
            a.mac = v;
        }
        cfg.common.algorithms = a;
    }
    // The key types known_hosts already holds for this server are asked for first (unless the
    // caller ordered the host key algorithms itself), so a changed key is a mismatch.
    if let Some(v) = get(options, "preferHostKeyTypes")
        && !own_host_key_order
    {
        let types = names_of(&v, "preferHostKeyTypes")?;
        cfg.common.algorithms.prefer_host_key_types(&types);
    }
    // RFC 6187 host certificates: the CAs trusted to sign them, and the name the user picked,
    // which the certificate's subjectAltName must match.
    if let Some(v) = get(options, "trustedCAs") {
        let crls = match get(options, "crls") {
            Some(c) => names_of(&c, "crls")?,
            None => Vec::new(),
        };
        let revocation = get(options, "revocation").and_then(|r| r.as_string());
        let soft_fail = get(options, "revocationSoftFail").is_some_and(|b| b.is_truthy());
        cfg.host_trust = Some(trusted_cas(
            &names_of(&v, "trustedCAs")?,
            &crls,
            revocation.as_deref(),
            soft_fail,
        )?);
    }
    cfg.host_name = get(options, "hostName").and_then(|v| v.as_string());
    // OpenSSH host certificates: asked for (first, as OpenSSH orders them) when known_hosts
    // has a @cert-authority line for this server.
    if get(options, "openSshHostCertificates").is_some_and(|b| b.is_truthy()) {
        cfg.openssh_host_certificates = true;
        if !own_host_key_order {
            cfg.common.algorithms.prefer_host_certificates();
        }
    }
    Ok(cfg)
}
