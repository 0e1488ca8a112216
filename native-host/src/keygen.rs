//! `sshgate-host keygen`: like `ssh-keygen -t TYPE -b BITS -f FILE -C COMMENT`, without prompts.

use crate::keyfile;
use clap::Args;
use std::path::PathBuf;

/// Arguments of `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Key type: ed25519, ecdsa, rsa, or dsa (legacy, 1024 bits, for old devices).
    #[arg(short = 't', value_name = "TYPE", default_value = "ed25519")]
    pub key_type: String,
    /// Key size in bits (ecdsa: 256, 384 or 521; rsa: 2048-16384, default 3072).
    #[arg(short = 'b', value_name = "BITS")]
    pub bits: Option<usize>,
    /// Private key file to write; the public key goes to FILE.pub.
    #[arg(short = 'f', value_name = "FILE")]
    pub file: PathBuf,
    /// Comment (default: user@host).
    #[arg(short = 'C', value_name = "COMMENT")]
    pub comment: Option<String>,
}

/// Writes the key pair and prints what `ssh-keygen` prints.
pub fn run(args: &KeygenArgs) -> anyhow::Result<()> {
    let kind = keyfile::kind_from_type(&args.key_type, args.bits)?;
    if args.file.exists() {
        anyhow::bail!("{} already exists", args.file.display());
    }
    let comment = args
        .comment
        .clone()
        .unwrap_or_else(keyfile::default_comment);
    eprintln!(
        "Generating public/private {} key pair.",
        args.key_type.to_ascii_lowercase()
    );
    let key = keyfile::generate_and_write(kind, &args.file, &comment)?;
    let pubkey = key.public();
    println!(
        "Your identification has been saved in {}",
        args.file.display()
    );
    println!(
        "Your public key has been saved in {}",
        keyfile::pub_path(&args.file).display()
    );
    println!("The key fingerprint is:");
    println!("{} {comment}", pubkey.fingerprint_sha256());
    Ok(())
}
