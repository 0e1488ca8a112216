//! Encoding and decoding of messages 50..=61 (RFC 4252 §5–§8, RFC 4256 §3). Every decoder is
//! bounded before it allocates and ends with `finish()` (no trailing bytes).

use super::events::{Prompt, Secret};
use crate::Error;
use crate::msg::{USERAUTH_60, USERAUTH_61, USERAUTH_BANNER, USERAUTH_FAILURE, USERAUTH_REQUEST};
use crate::wire::{Reader, Writer};

/// Longest user name accepted (bytes).
pub(crate) const MAX_USER: usize = 256;
/// Longest service or method name.
const MAX_NAME: usize = 64;
/// Longest password, prompt answer or prompt text.
pub(crate) const MAX_SECRET: usize = 1024;
/// Most prompts in one INFO_REQUEST.
pub(crate) const MAX_PROMPTS: usize = 16;
/// Longest public key blob or signature blob.
const MAX_BLOB: usize = 16 * 1024;
/// Longest banner, name, instruction or change prompt text.
const MAX_TEXT: usize = 8 * 1024;

/// The method-specific part of a USERAUTH_REQUEST.
#[derive(Debug)]
pub(crate) enum MethodReq<'a> {
    None,
    Password {
        password: Secret,
        new_password: Option<Secret>,
    },
    PublicKey {
        alg: &'a str,
        blob: &'a [u8],
        signature: Option<&'a [u8]>,
    },
    KeyboardInteractive {
        submethods: &'a str,
    },
    /// A method we do not implement (its fields are not parsed).
    Other,
}

/// A parsed USERAUTH_REQUEST.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub(crate) user: &'a str,
    pub(crate) service: &'a str,
    pub(crate) method: MethodReq<'a>,
}

fn bounded<'a>(r: &mut Reader<'a>, max: usize, what: &'static str) -> Result<&'a [u8], Error> {
    let s = r.string(what)?;
    if s.len() > max {
        return Err(Error::protocol(format!("{what} longer than {max} bytes")));
    }
    Ok(s)
}

fn bounded_utf8<'a>(r: &mut Reader<'a>, max: usize, what: &'static str) -> Result<&'a str, Error> {
    core::str::from_utf8(bounded(r, max, what)?)
        .map_err(|_| Error::protocol(format!("{what} is not UTF-8")))
}

fn secret(r: &mut Reader<'_>, what: &'static str) -> Result<Secret, Error> {
    Ok(Secret::new(bounded_utf8(r, MAX_SECRET, what)?))
}

fn name<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<&'a str, Error> {
    let s = bounded_utf8(r, MAX_NAME, what)?;
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::protocol(format!("{what} is not a printable name")));
    }
    Ok(s)
}

impl<'a> Request<'a> {
    /// Decodes a whole USERAUTH_REQUEST payload (message number included).
    pub(crate) fn decode(payload: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(payload);
        if r.u8("message number")? != USERAUTH_REQUEST {
            return Err(Error::protocol("not a USERAUTH_REQUEST"));
        }
        let user = bounded_utf8(&mut r, MAX_USER, "user name")?;
        let service = name(&mut r, "service name")?;
        let method_name = name(&mut r, "method name")?;
        let method = match method_name {
            "none" => MethodReq::None,
            "password" => {
                let change = r.bool("password change flag")?;
                let password = secret(&mut r, "password")?;
                let new_password = if change {
                    Some(secret(&mut r, "new password")?)
                } else {
                    None
                };
                MethodReq::Password {
                    password,
                    new_password,
                }
            }
            "publickey" => {
                let signed = r.bool("publickey signature flag")?;
                let alg = name(&mut r, "public key algorithm")?;
                let blob = bounded(&mut r, MAX_BLOB, "public key blob")?;
                let signature = if signed {
                    Some(bounded(&mut r, MAX_BLOB, "signature")?)
                } else {
                    None
                };
                MethodReq::PublicKey {
                    alg,
                    blob,
                    signature,
                }
            }
            "keyboard-interactive" => {
                // RFC 4256 §3.1: "The language tag is deprecated and SHOULD be the empty string."
                bounded(&mut r, MAX_NAME, "language tag")?;
                let submethods = bounded_utf8(&mut r, MAX_TEXT, "submethods")?;
                MethodReq::KeyboardInteractive { submethods }
            }
            _ => {
                return Ok(Request {
                    user,
                    service,
                    method: MethodReq::Other,
                });
            }
        };
        r.finish()?;
        Ok(Request {
            user,
            service,
            method,
        })
    }
}

/// The start of every USERAUTH_REQUEST.
pub(crate) fn request_head(user: &str, method: &str) -> Writer {
    let mut w = Writer::message(USERAUTH_REQUEST);
    w.string(user.as_bytes())
        .string(super::SERVICE.as_bytes())
        .string(method.as_bytes());
    w
}

/// The data a publickey signature covers (RFC 4252 §7).
pub(crate) fn pk_signed_data(session_id: &[u8], user: &str, alg: &str, blob: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(session_id)
        .u8(USERAUTH_REQUEST)
        .string(user.as_bytes())
        .string(super::SERVICE.as_bytes())
        .string(b"publickey")
        .bool(true)
        .string(alg.as_bytes())
        .string(blob);
    w.into_vec()
}

/// USERAUTH_FAILURE.
pub(crate) fn failure(methods: &[String], partial: bool) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_FAILURE);
    w.name_list(methods).bool(partial);
    w.into_vec()
}

/// USERAUTH_BANNER.
pub(crate) fn banner(text: &str) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_BANNER);
    w.string(text.as_bytes()).string(b"");
    w.into_vec()
}

/// Decodes USERAUTH_FAILURE: (methods, partial success).
pub(crate) fn decode_failure(payload: &[u8]) -> Result<(Vec<String>, bool), Error> {
    let mut r = Reader::new(&payload[1..]);
    let methods = r.name_list("authentications that can continue")?;
    let partial = r.bool("partial success")?;
    r.finish()?;
    Ok((methods.into_iter().map(String::from).collect(), partial))
}

/// Decodes a text-and-language message (BANNER, PASSWD_CHANGEREQ).
pub(crate) fn decode_text(payload: &[u8], what: &'static str) -> Result<String, Error> {
    let mut r = Reader::new(&payload[1..]);
    let text = bounded_utf8(&mut r, MAX_TEXT, what)?.to_owned();
    bounded(&mut r, MAX_NAME, "language tag")?;
    r.finish()?;
    Ok(text)
}

/// PASSWD_CHANGEREQ (60 in the password context).
pub(crate) fn passwd_changereq(prompt: &str) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_60);
    w.string(prompt.as_bytes()).string(b"");
    w.into_vec()
}

/// PK_OK (60 in the publickey context).
pub(crate) fn pk_ok(alg: &str, blob: &[u8]) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_60);
    w.string(alg.as_bytes()).string(blob);
    w.into_vec()
}

/// Decodes PK_OK: (alg, blob).
pub(crate) fn decode_pk_ok(payload: &[u8]) -> Result<(&str, &[u8]), Error> {
    let mut r = Reader::new(&payload[1..]);
    let alg = name(&mut r, "public key algorithm")?;
    let blob = bounded(&mut r, MAX_BLOB, "public key blob")?;
    r.finish()?;
    Ok((alg, blob))
}

/// INFO_REQUEST (60 in the keyboard-interactive context).
pub(crate) fn info_request(name: &str, instruction: &str, prompts: &[Prompt]) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_60);
    w.string(name.as_bytes())
        .string(instruction.as_bytes())
        .string(b"")
        .u32(u32::try_from(prompts.len()).unwrap_or(u32::MAX));
    for p in prompts {
        w.string(p.text.as_bytes()).bool(p.echo);
    }
    w.into_vec()
}

/// Decodes INFO_REQUEST: (name, instruction, prompts).
pub(crate) fn decode_info_request(payload: &[u8]) -> Result<(String, String, Vec<Prompt>), Error> {
    let mut r = Reader::new(&payload[1..]);
    let name = bounded_utf8(&mut r, MAX_TEXT, "name")?.to_owned();
    let instruction = bounded_utf8(&mut r, MAX_TEXT, "instruction")?.to_owned();
    bounded(&mut r, MAX_NAME, "language tag")?;
    let n = r.u32("num-prompts")? as usize;
    if n > MAX_PROMPTS {
        return Err(Error::protocol(format!("INFO_REQUEST with {n} prompts")));
    }
    let mut prompts = Vec::with_capacity(n);
    for _ in 0..n {
        let text = bounded_utf8(&mut r, MAX_SECRET, "prompt")?.to_owned();
        let echo = r.bool("echo")?;
        prompts.push(Prompt { text, echo });
    }
    r.finish()?;
    Ok((name, instruction, prompts))
}

/// INFO_RESPONSE (61).
pub(crate) fn info_response(responses: &[Secret]) -> Vec<u8> {
    let mut w = Writer::message(USERAUTH_61);
    w.u32(u32::try_from(responses.len()).unwrap_or(u32::MAX));
    for s in responses {
        w.string(s.expose().as_bytes());
    }
    w.into_vec()
}

/// Decodes INFO_RESPONSE, which must carry exactly `expected` answers.
pub(crate) fn decode_info_response(payload: &[u8], expected: usize) -> Result<Vec<Secret>, Error> {
    let mut r = Reader::new(&payload[1..]);
    let n = r.u32("num-responses")? as usize;
    // RFC 4256 §3.4: "The number of responses MUST be equal to the num-prompts field in the
    // request."
    if n != expected {
        return Err(Error::protocol(format!(
            "INFO_RESPONSE with {n} responses to {expected} prompts"
        )));
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(secret(&mut r, "response")?);
    }
    r.finish()?;
    Ok(out)
}
