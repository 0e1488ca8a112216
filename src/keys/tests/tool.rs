//! Interoperability with `ssh-keygen`. The tool must be installed (Debian's openssh-client):
//! these tests fail, not skip, without it, so a machine that lacks it cannot pass quietly.

use super::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";

/// Panics unless `tool` is installed.
pub(super) fn require(tool: &str) {
    assert!(
        Path::new(tool).exists(),
        "{tool} is not installed: the interoperability tests need it (apt-get install \
         openssh-client openssl)"
    );
}

/// A fresh directory under the system temporary directory, removed on drop.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sshgate-keys-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> String {
    run_tool(SSH_KEYGEN, args)
}

/// Runs `tool` with `args`, panicking with its error output if it fails; returns its output.
pub(super) fn run_tool(tool: &str, args: &[&str]) -> String {
    require(tool);
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Writes a private key file readable only by its owner (ssh-keygen refuses others).
pub(super) fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// `type base64` of a public key line (the comment dropped).
pub(super) fn key_part(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn files_made_by_ssh_keygen_parse_plain_and_encrypted() {
    require(SSH_KEYGEN);
    let dir = TempDir::new("read");
    let mut r = rng(30);
    for (t, bits) in [
        ("ed25519", "256"),
        ("ecdsa", "256"),
        ("ecdsa", "384"),
        ("ecdsa", "521"),
        ("rsa", "2048"),
        ("dsa", "1024"),
    ] {
        for passphrase in ["", "s3cret"] {
            let path = dir.0.join(format!("{t}{bits}{}", passphrase.len()));
            let p = path.to_str().unwrap();
            let c = format!("{t}-{bits}");
            run(&[
                "-q", "-t", t, "-b", bits, "-N", passphrase, "-a", "2", "-C", &c, "-f", p,
            ]);
            let text = std::fs::read_to_string(&path).unwrap();
            let line = std::fs::read_to_string(format!("{p}.pub")).unwrap();
            let (expected, comment) = PublicKey::parse_openssh_line(&line).unwrap();
            assert_eq!(comment, c);
            let given = (!passphrase.is_empty()).then_some(passphrase);
            let (key, file_comment) = PrivateKey::parse_openssh(&text, given).unwrap();
            assert_eq!(key.public(), expected, "{t} {bits}");
            assert_eq!(file_comment, c);
            if given.is_some() {
                assert_eq!(
                    PrivateKey::from_openssh_with_passphrase(&text, "wrong").unwrap_err(),
                    KeyError::Passphrase
                );
            }
            for &alg in HostKeyAlg::ALL.iter().filter(|&&a| expected.supports(a)) {
                let sig = key.sign(alg, b"data", &mut r).unwrap();
                expected.verify(alg, b"data", &sig).unwrap();
            }
            let fp = run(&["-l", "-E", "sha256", "-f", &format!("{p}.pub")]);
            assert!(fp.contains(&expected.fingerprint_sha256()), "{fp}");
            let md5 = run(&["-l", "-E", "md5", "-f", &format!("{p}.pub")]);
            assert!(md5.contains(&format!("MD5:{}", expected.fingerprint_md5())));
        }
    }
}

#[test]
fn files_we_write_are_read_by_ssh_keygen() {
    require(SSH_KEYGEN);
    let dir = TempDir::new("write");
    let mut r = rng(31);
    for (i, key) in every_key().iter().enumerate() {
        let ours = key.public().to_openssh_line("");
        let plain = dir.0.join(format!("plain{i}"));
        write_private(&plain, &key.to_openssh("written@sshgate", &mut r));
        let printed = run(&["-y", "-f", plain.to_str().unwrap()]);
        assert_eq!(key_part(&printed), ours, "{}", key.key_type());

        let enc = dir.0.join(format!("enc{i}"));
        let text = key
            .to_openssh_with_passphrase("written@sshgate", "pw", 4, &mut r)
            .unwrap();
        write_private(&enc, &text);
        let printed = run(&["-y", "-P", "pw", "-f", enc.to_str().unwrap()]);
        assert_eq!(key_part(&printed), ours, "{} encrypted", key.key_type());
    }
}

/// PROTOCOL.sshsig: the data a signature covers (namespace `file`, SHA-512 of the message).
fn sshsig_signed_data(message: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha512};
    let mut w = crate::wire::Writer::new();
    w.raw(b"SSHSIG")
        .string(b"file")
        .string(b"")
        .string(b"sha512")
        .string(&Sha512::digest(message));
    w.into_vec()
}

/// An armored SSHSIG around our signature blob.
fn sshsig_armor(public: &PublicKey, sig_blob: &[u8]) -> String {
    use base64ct::{Base64, Encoding};
    let mut w = crate::wire::Writer::new();
    w.raw(b"SSHSIG")
        .u32(1)
        .string(&public.to_blob())
        .string(b"file")
        .string(b"")
        .string(b"sha512")
        .string(sig_blob);
    let b64 = Base64::encode_string(w.as_slice());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(70)
        .map(|c| core::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
        lines.join("\n")
    )
}

/// Our signatures are accepted by `ssh-keygen -Y verify`, theirs by us (every algorithm except
/// `ssh-rsa`, which SSHSIG refuses).
#[test]
fn signatures_interoperate_with_ssh_keygen() {
    require(SSH_KEYGEN);
    let dir = TempDir::new("sig");
    let message = b"interop message";
    let msg_path = dir.0.join("msg");
    std::fs::write(&msg_path, message).unwrap();
    let signed = sshsig_signed_data(message);
    let mut r = rng(32);
    for (i, key) in every_key().iter().enumerate() {
        let public = key.public();
        let signers = dir.0.join(format!("signers{i}"));
        std::fs::write(&signers, format!("me@x {}\n", public.to_openssh_line(""))).unwrap();
        for &alg in HostKeyAlg::ALL
            .iter()
            .filter(|&&a| public.supports(a) && a != HostKeyAlg::SshRsa)
        {
            let sig_path = dir.0.join(format!("sig{i}-{}", alg.name()));
            let blob = key.sign(alg, &signed, &mut r).unwrap();
            std::fs::write(&sig_path, sshsig_armor(&public, &blob)).unwrap();
            let out = Command::new(SSH_KEYGEN)
                .args(["-Y", "verify", "-n", "file", "-I", "me@x", "-f"])
                .arg(&signers)
                .arg("-s")
                .arg(&sig_path)
                .stdin(std::fs::File::open(&msg_path).unwrap())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{alg:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // And a signature made by ssh-keygen with the same key verifies here.
        let key_path = dir.0.join(format!("key{i}"));
        write_private(&key_path, &key.to_openssh("", &mut r));
        run(&[
            "-q",
            "-Y",
            "sign",
            "-n",
            "file",
            "-f",
            key_path.to_str().unwrap(),
            msg_path.to_str().unwrap(),
        ]);
        let armored = std::fs::read_to_string(dir.0.join("msg.sig")).unwrap();
        std::fs::remove_file(dir.0.join("msg.sig")).unwrap();
        let b64: String = armored
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        use base64ct::{Base64, Encoding};
        let bytes = Base64::decode_vec(&b64).unwrap();
        let mut rd = crate::wire::Reader::new(&bytes);
        rd.bytes(10, "magic and version").unwrap();
        assert_eq!(
            PublicKey::from_blob(rd.string("key").unwrap()).unwrap(),
            public
        );
        for _ in 0..3 {
            rd.string("namespace, reserved, hash").unwrap();
        }
        let blob = rd.string("signature").unwrap();
        let (name, _) = decode_signature_blob(blob).unwrap();
        let alg = HostKeyAlg::from_name(name).unwrap();
        public.verify(alg, &signed, blob).unwrap();
    }
}
