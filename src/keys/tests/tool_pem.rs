//! PEM interoperability with the installed `ssh-keygen` and `openssl` (both required: these
//! tests fail without them). The committed fixtures pin one version's output; these check
//! the tools on this machine, and that keys we write are read by them.

use super::tool::{TempDir, key_part, require, run_tool, write_private};
use super::*;

const SSH_KEYGEN: &str = "/usr/bin/ssh-keygen";
const OPENSSL: &str = "/usr/bin/openssl";

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// `ssh-keygen -m PEM|PKCS8` keys, plain and encrypted, parse to the key `ssh-keygen -y`
/// prints, and sign.
#[test]
fn ssh_keygen_pem_and_pkcs8_keys_parse() {
    let dir = TempDir::new("pem-read");
    let mut r = rng(70);
    for (t, bits) in [
        ("ecdsa", "256"),
        ("ecdsa", "384"),
        ("ecdsa", "521"),
        ("rsa", "2048"),
    ] {
        for format in ["PEM", "PKCS8"] {
            for pass in ["", "tool pass"] {
                let path = dir.0.join(format!("{t}{bits}{format}{}", pass.len()));
                let p = path.to_str().unwrap();
                run_tool(
                    SSH_KEYGEN,
                    &[
                        "-q", "-t", t, "-b", bits, "-m", format, "-N", pass, "-C", "", "-f", p,
                    ],
                );
                let text = read(&path);
                let expected =
                    PublicKey::from_openssh_line(&read(std::path::Path::new(&format!("{p}.pub"))))
                        .unwrap();
                let given = (!pass.is_empty()).then_some(pass);
                let (key, _) = PrivateKey::from_text(&text, given)
                    .unwrap_or_else(|e| panic!("{t}-{bits} {format} {pass:?}: {e}"));
                assert_eq!(key.public(), expected, "{t}-{bits} {format}");
                if given.is_some() {
                    assert_eq!(
                        PrivateKey::from_text(&text, Some("wrong")).map(|_| ()),
                        Err(KeyError::Passphrase)
                    );
                }
                let alg = *HostKeyAlg::ALL
                    .iter()
                    .find(|&&a| expected.supports(a))
                    .unwrap();
                let sig = key.sign(alg, b"tool", &mut r).unwrap();
                expected.verify(alg, b"tool", &sig).unwrap();
            }
        }
    }
}

/// `openssl genpkey` keys of every type, as PKCS#8, PBES2-encrypted PKCS#8 and (for RSA and
/// EC) the traditional formats, all parse to the key `openssl pkey -pubout` prints.
#[test]
fn openssl_keys_parse_in_every_format() {
    let dir = TempDir::new("openssl-read");
    let pass = "pass:open pass";
    for (alg, opt) in [
        ("ed25519", None),
        ("EC", Some("ec_paramgen_curve:P-256")),
        ("EC", Some("ec_paramgen_curve:P-521")),
        ("RSA", Some("rsa_keygen_bits:2048")),
    ] {
        let key_path = dir.0.join("k.pem");
        let k = key_path.to_str().unwrap();
        let mut args = vec!["genpkey", "-algorithm", alg, "-out", k];
        if let Some(o) = opt {
            args.extend(["-pkeyopt", o]);
        }
        run_tool(OPENSSL, &args);
        let spki = run_tool(OPENSSL, &["pkey", "-in", k, "-pubout"]);
        let (expected, _) = PublicKey::from_text(&spki).unwrap();
        let mut texts = vec![(read(&key_path), None)];
        for v2 in [
            vec!["-v2", "aes-256-cbc"],
            vec!["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"],
        ] {
            let mut a = vec!["pkcs8", "-topk8", "-in", k, "-passout", pass];
            a.extend(v2);
            texts.push((run_tool(OPENSSL, &a), Some("open pass")));
        }
        if alg != "ed25519" {
            // `openssl ec` writes SEC1 by default; `openssl rsa` needs -traditional for PKCS#1.
            let (cmd, trad): (&str, &[&str]) = if alg == "EC" {
                ("ec", &[])
            } else {
                ("rsa", &["-traditional"])
            };
            let mut a = vec![cmd, "-in", k];
            a.extend(trad);
            texts.push((run_tool(OPENSSL, &a), None));
            a.extend(["-aes128", "-passout", pass]);
            texts.push((run_tool(OPENSSL, &a), Some("open pass")));
        }
        for (text, given) in texts {
            let (key, _) = PrivateKey::from_text(&text, given)
                .unwrap_or_else(|e| panic!("{alg} {opt:?}: {e}\n{text}"));
            assert_eq!(key.public(), expected, "{alg} {opt:?}\n{text}");
        }
    }
}

/// Keys we write (OpenSSH format) are read by `ssh-keygen -y` and converted by it to PKCS#8
/// and PEM, which we read back as the same key: the full circle through the tool.
#[test]
fn keys_we_write_come_back_through_ssh_keygen_conversions() {
    require(SSH_KEYGEN);
    let dir = TempDir::new("pem-circle");
    let mut r = rng(71);
    for (i, key) in every_key().iter().enumerate() {
        let path = dir.0.join(format!("k{i}"));
        let p = path.to_str().unwrap();
        write_private(&path, &key.to_openssh("", &mut r));
        let printed = run_tool(SSH_KEYGEN, &["-y", "-f", p]);
        assert_eq!(key_part(&printed), key.public().to_openssh_line(""));
        if key.key_type() == "ssh-ed25519" {
            continue; // ssh-keygen 9.2 writes Ed25519 only in its own format
        }
        for format in ["PKCS8", "PEM"] {
            // -p rewrites the file in the -m format (here with a passphrase).
            run_tool(
                SSH_KEYGEN,
                &["-q", "-p", "-N", "circle", "-m", format, "-f", p],
            );
            let text = read(&path);
            assert!(!text.contains("OPENSSH"), "{format}: {text}");
            let (back, _) = PrivateKey::from_text(&text, Some("circle")).unwrap();
            assert_eq!(back.public(), key.public(), "{} {format}", key.key_type());
            run_tool(SSH_KEYGEN, &["-q", "-p", "-P", "circle", "-N", "", "-f", p]);
        }
        // And the public half in RFC 4716, through ssh-keygen -e.
        let rfc4716 = run_tool(SSH_KEYGEN, &["-e", "-f", p]);
        assert_eq!(PublicKey::from_text(&rfc4716).unwrap().0, key.public());
    }
}
