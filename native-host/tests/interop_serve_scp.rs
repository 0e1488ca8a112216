//! The SCP server (IOS `ip scp server enable`, issue 12) with real clients over loopback:
//! OpenSSH `scp -O` (the legacy protocol) and PuTTY `pscp -scp`, both directions:
//! - a file, several files into a directory, `-r` a tree, `-p` keeping mtime and mode, 20 MiB
//!   compared byte for byte; `debug ip scp` (the `sshgate::debug_ip_scp` target) logs each file;
//! - refusals: a target above the user's root (nothing written outside), a planted symlink out
//!   of the root (no download), privilege below 15, `[scp] enable = false`, `read_only`,
//!   `max_file_bytes` (nothing left behind), and an upload cut by killing the client mid-way
//!   leaves no file that looks complete.

mod support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{
    DeviceServer, DeviceUser, RunOutput, SSHPASS, require_tool, run_with_timeout, start_device_env,
};

const RUN: Duration = Duration::from_secs(60);
const SCP: &str = "/usr/bin/scp";
const PSCP: &str = "/usr/bin/pscp";
const PASSWORD: &str = "lab-secret-1";
const GUEST_PASSWORD: &str = "guest-secret-1";

/// serve with `lab` (privilege 15, password and key) and `guest` (privilege 1), each user's
/// root under `files/` in serve's directory, `files_keys` added to `[files]`, and the SCP
/// server on when `enable`. `debug ip scp` is on.
fn device(label: &str, files_keys: &str, enable: bool) -> DeviceServer {
    require_tool(SCP, "apt-get install openssh-client");
    let extra = format!("[files]\nroot = \"files/%u\"\n{files_keys}\n\n[scp]\nenable = {enable}\n");
    let dev = start_device_env(
        label,
        &extra,
        &[
            DeviceUser {
                name: "lab",
                privilege: 15,
                password: Some(PASSWORD),
                key: true,
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "guest",
                privilege: 1,
                password: Some(GUEST_PASSWORD),
                ..DeviceUser::default()
            },
        ],
        &[("RUST_LOG", "info,sshgate::debug_ip_scp=debug")],
    );
    // serve makes each user's directory, not its parent.
    fs::create_dir_all(dev.dir.join("files")).unwrap();
    dev
}

/// `lab`'s root on the server.
fn root(dev: &DeviceServer) -> PathBuf {
    dev.dir.join("files/lab")
}

/// A directory of the client's files.
fn local(dev: &DeviceServer) -> PathBuf {
    let p = dev.dir.join("local");
    fs::create_dir_all(&p).unwrap();
    p
}

/// The client options of [`DeviceServer::client_options`] with scp's `-P` for the port.
fn scp_options(dev: &DeviceServer) -> Vec<String> {
    let mut opts = dev.client_options();
    opts.truncate(opts.len() - 2);
    opts.extend(["-P".to_string(), dev.port.to_string()]);
    opts
}

/// `sshpass scp -O <options> ARGS` as `user` with `password` (the remote side of each
/// `:`-argument is `user@127.0.0.1`).
fn scp_as(dev: &DeviceServer, user: &str, password: &str, args: &[&str]) -> RunOutput {
    let mut cmd = Command::new(SSHPASS);
    cmd.arg("-p")
        .arg(password)
        .arg(SCP)
        .arg("-O")
        .args(scp_options(dev))
        .args(["-o", "PubkeyAuthentication=no"])
        .args(["-o", "PreferredAuthentications=password"])
        .args(args.iter().map(|a| remote_arg(user, a)))
        .current_dir(local(dev));
    run_with_timeout(&mut cmd, &dev.dir, "scp", RUN)
}

fn scp(dev: &DeviceServer, args: &[&str]) -> RunOutput {
    scp_as(dev, "lab", PASSWORD, args)
}

/// `:path` is the server's `user@127.0.0.1:path`; anything else is as given.
fn remote_arg(user: &str, arg: &str) -> String {
    match arg.strip_prefix(':') {
        Some(p) => format!("{user}@127.0.0.1:{p}"),
        None => arg.to_string(),
    }
}

fn ok(out: &RunOutput, dev: &DeviceServer) {
    assert!(out.success(), "{}\n{}", out.report(20), dev.report());
}

fn failed(out: &RunOutput, dev: &DeviceServer) {
    assert!(
        !out.success() && !out.timed_out(),
        "expected a failure:\n{}\n{}",
        out.report(20),
        dev.report()
    );
}

/// Deterministic bytes that compress badly.
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn mtime(p: &Path) -> i64 {
    fs::metadata(p).unwrap().mtime()
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|it| {
            it.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Sets a file's mtime and atime (seconds), through `touch` (no extra crate for utimes).
fn set_mtime(p: &Path, secs: i64) {
    let st = Command::new("touch")
        .arg("-d")
        .arg(format!("@{secs}"))
        .arg(p)
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn openssh_scp_legacy_both_directions() {
    let dev = device("scp-openssh", "", true);
    let l = local(&dev);
    let r = root(&dev);

    // One file up, under a new name.
    fs::write(l.join("a.txt"), b"hello device\n").unwrap();
    ok(&scp(&dev, &["a.txt", ":up.txt"]), &dev);
    assert_eq!(fs::read(r.join("up.txt")).unwrap(), b"hello device\n");

    // Several files into a directory (scp sends -d).
    fs::create_dir_all(r.join("inbox")).unwrap();
    fs::write(l.join("x"), b"x-bytes").unwrap();
    fs::write(l.join("y"), b"").unwrap();
    ok(&scp(&dev, &["a.txt", "x", "y", ":/inbox"]), &dev);
    assert_eq!(names(&r.join("inbox")), ["a.txt", "x", "y"]);
    assert_eq!(fs::read(r.join("inbox/x")).unwrap(), b"x-bytes");

    // A tree with -r.
    fs::create_dir_all(l.join("tree/sub/deeper")).unwrap();
    fs::write(l.join("tree/one"), b"1").unwrap();
    fs::write(l.join("tree/sub/two"), b"22").unwrap();
    fs::write(l.join("tree/sub/deeper/three"), pattern(100_000, 3)).unwrap();
    ok(&scp(&dev, &["-r", "tree", ":"]), &dev);
    assert_eq!(fs::read(r.join("tree/sub/two")).unwrap(), b"22");
    assert_eq!(
        fs::read(r.join("tree/sub/deeper/three")).unwrap(),
        pattern(100_000, 3)
    );

    // -p keeps mtime and mode both ways; without it the mode loses group/other write.
    fs::write(l.join("kept"), b"times").unwrap();
    fs::set_permissions(l.join("kept"), fs::Permissions::from_mode(0o640)).unwrap();
    set_mtime(&l.join("kept"), 1_000_000_000);
    ok(&scp(&dev, &["-p", "kept", ":"]), &dev);
    assert_eq!(mode(&r.join("kept")), 0o640);
    assert_eq!(mtime(&r.join("kept")), 1_000_000_000);
    fs::write(l.join("wide"), b"w").unwrap();
    fs::set_permissions(l.join("wide"), fs::Permissions::from_mode(0o4777)).unwrap();
    ok(&scp(&dev, &["-p", "wide", ":"]), &dev);
    assert_eq!(mode(&r.join("wide")), 0o777, "setuid never kept");
    ok(&scp(&dev, &["wide", ":wide2"]), &dev);
    assert_eq!(mode(&r.join("wide2")), 0o755);

    fs::set_permissions(r.join("kept"), fs::Permissions::from_mode(0o604)).unwrap();
    set_mtime(&r.join("kept"), 1_100_000_000);
    ok(&scp(&dev, &["-p", ":kept", "down-kept"]), &dev);
    assert_eq!(fs::read(l.join("down-kept")).unwrap(), b"times");
    assert_eq!(mode(&l.join("down-kept")), 0o604);
    assert_eq!(mtime(&l.join("down-kept")), 1_100_000_000);

    // Down: a file, and the tree back with -r.
    ok(&scp(&dev, &[":/inbox/x", "down-x"]), &dev);
    assert_eq!(fs::read(l.join("down-x")).unwrap(), b"x-bytes");
    ok(&scp(&dev, &["-r", ":tree", "down-tree"]), &dev);
    assert_eq!(
        fs::read(l.join("down-tree/sub/deeper/three")).unwrap(),
        pattern(100_000, 3)
    );
    assert_eq!(names(&l.join("down-tree/sub")), ["deeper", "two"]);

    // A pattern, expanded as the remote shell would (the client checks the names it gets).
    for n in ["r1.cfg", "r2.cfg", ".hidden.cfg", "r3.txt"] {
        fs::write(r.join("inbox").join(n), n).unwrap();
    }
    fs::create_dir_all(l.join("globbed")).unwrap();
    ok(&scp(&dev, &[":inbox/*.cfg", "globbed"]), &dev);
    assert_eq!(names(&l.join("globbed")), ["r1.cfg", "r2.cfg"]);

    // 20 MiB up and down, byte for byte.
    let big = pattern(20 << 20, 20);
    fs::write(l.join("big"), &big).unwrap();
    ok(&scp(&dev, &["big", ":big"]), &dev);
    assert!(fs::read(r.join("big")).unwrap() == big, "upload differs");
    ok(&scp(&dev, &[":big", "big-down"]), &dev);
    assert!(
        fs::read(l.join("big-down")).unwrap() == big,
        "download differs"
    );

    // A missing file: OpenSSH's words, status 1.
    let out = scp(&dev, &[":nothing-here", "n"]);
    failed(&out, &dev);
    assert!(
        out.stderr
            .contains("scp: nothing-here: No such file or directory"),
        "{}",
        out.report(10)
    );

    // No temporary file left anywhere, and `debug ip scp` saw the files.
    let log = dev.log.all();
    assert!(
        log.contains("SCP: receive big (20971520 bytes): ok"),
        "{}",
        dev.report()
    );
    assert!(
        log.contains("SCP: send big (20971520 bytes): ok"),
        "{}",
        dev.report()
    );
    assert!(
        !names(&r).iter().any(|n| n.contains(".scp-")),
        "{:?}",
        names(&r)
    );
}

/// The host key's SHA256 fingerprint, as pscp's `-hostkey` takes it.
fn host_fingerprint(dev: &DeviceServer) -> String {
    let out = Command::new("/usr/bin/ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(dev.dir.join("ssh_host_ed25519_key"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("no fingerprint: {out:?}"))
        .to_string()
}

fn pscp(dev: &DeviceServer, args: &[&str]) -> RunOutput {
    require_tool(PSCP, "apt-get install putty-tools");
    let mut cmd = Command::new(PSCP);
    cmd.args(["-scp", "-batch", "-pw", PASSWORD, "-P"])
        .arg(dev.port.to_string())
        .arg("-hostkey")
        .arg(host_fingerprint(dev))
        .args(args.iter().map(|a| remote_arg("lab", a)))
        .env("HOME", dev.dir.path())
        .current_dir(local(dev));
    run_with_timeout(&mut cmd, &dev.dir, "pscp", RUN)
}

#[test]
fn pscp_scp_protocol_both_directions() {
    let dev = device("scp-pscp", "", true);
    let l = local(&dev);
    let r = root(&dev);
    let data = pattern(300_000, 7);
    fs::write(l.join("p.bin"), &data).unwrap();
    ok(&pscp(&dev, &["p.bin", ":p.bin"]), &dev);
    assert!(fs::read(r.join("p.bin")).unwrap() == data);
    fs::create_dir_all(l.join("pt/in")).unwrap();
    fs::write(l.join("pt/in/f"), b"putty").unwrap();
    ok(&pscp(&dev, &["-r", "pt", ":"]), &dev);
    assert_eq!(fs::read(r.join("pt/in/f")).unwrap(), b"putty");
    ok(&pscp(&dev, &[":p.bin", "p-down.bin"]), &dev);
    assert!(fs::read(l.join("p-down.bin")).unwrap() == data);
    ok(&pscp(&dev, &["-r", ":pt", "pt-down"]), &dev);
    assert_eq!(fs::read(l.join("pt-down/in/f")).unwrap(), b"putty");
}

#[test]
fn paths_stay_in_the_root_and_the_rules_hold() {
    let dev = device("scp-refuse", "", true);
    let l = local(&dev);
    let r = root(&dev);
    fs::write(l.join("f"), b"payload").unwrap();
    // serve creates the root at the first transfer.
    ok(&scp(&dev, &["f", ":f"]), &dev);

    // Above the root: refused, nothing written beside or above it.
    let out = scp(&dev, &["f", ":../../x"]);
    failed(&out, &dev);
    assert!(
        out.stderr.contains("Permission denied"),
        "{}",
        out.report(10)
    );
    let out = scp(&dev, &["f", ":/../escaped"]);
    failed(&out, &dev);
    assert!(!dev.dir.join("x").exists() && !dev.dir.join("files/escaped").exists());
    assert_eq!(names(&dev.dir.join("files")), ["lab"]);

    // A symlink out of the root, planted on the server: no download, no upload through it.
    fs::write(dev.dir.join("secret"), b"outside").unwrap();
    std::os::unix::fs::symlink(dev.dir.join("secret"), r.join("leak")).unwrap();
    std::os::unix::fs::symlink("../../secret", r.join("leak-rel")).unwrap();
    std::os::unix::fs::symlink(dev.dir.path(), r.join("out-dir")).unwrap();
    for link in ["leak", "leak-rel"] {
        let out = scp(&dev, &[&format!(":{link}"), "got"]);
        failed(&out, &dev);
        assert!(!l.join("got").exists(), "{link} was downloaded");
    }
    let out = scp(&dev, &["f", ":out-dir/planted"]);
    failed(&out, &dev);
    assert!(!dev.dir.join("planted").exists());
    assert_eq!(fs::read(dev.dir.join("secret")).unwrap(), b"outside");

    // Privilege 1 (IOS: SCP needs 15).
    let out = scp_as(&dev, "guest", GUEST_PASSWORD, &["f", ":g"]);
    failed(&out, &dev);
    assert!(!dev.dir.join("files/guest").exists());
}

#[test]
fn disabled_read_only_and_size_limits() {
    // [scp] enable = false: the line goes to the CLI, which has no such command.
    let off = device("scp-off", "", false);
    fs::write(local(&off).join("f"), b"payload").unwrap();
    failed(&scp(&off, &["f", ":f"]), &off);
    assert!(!root(&off).join("f").exists());

    // read_only: no upload, downloads still work.
    let ro = device("scp-ro", "read_only = true", true);
    fs::write(local(&ro).join("f"), b"payload").unwrap();
    let out = scp(&ro, &["f", ":f"]);
    failed(&out, &ro);
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.report(10)
    );
    assert_eq!(names(&root(&ro)), Vec::<String>::new());
    fs::write(root(&ro).join("served"), b"readable").unwrap();
    ok(&scp(&ro, &[":served", "served"]), &ro);
    assert_eq!(fs::read(local(&ro).join("served")).unwrap(), b"readable");

    // max_file_bytes: refused before a byte is written, nothing left behind.
    let small = device("scp-small", "max_file_bytes = 1000", true);
    let l = local(&small);
    fs::write(l.join("ok"), pattern(1000, 1)).unwrap();
    fs::write(l.join("big"), pattern(5000, 2)).unwrap();
    ok(&scp(&small, &["ok", ":ok"]), &small);
    let out = scp(&small, &["big", ":big"]);
    failed(&out, &small);
    assert!(
        out.stderr.contains("big: File too large"),
        "{}",
        out.report(10)
    );
    assert_eq!(names(&root(&small)), ["ok"]);
    let log = small.log.all();
    assert!(
        log.contains("SCP: receive big (5000 bytes): refused: above max_file_bytes"),
        "{}",
        small.report()
    );
}

#[test]
fn an_upload_cut_mid_way_leaves_no_complete_looking_file() {
    let dev = device("scp-cut", "", true);
    let l = local(&dev);
    let r = root(&dev);
    fs::write(l.join("slow"), pattern(4 << 20, 9)).unwrap();
    // The key login (no sshpass between us and scp, so the kill reaches scp itself), and a
    // bandwidth limit (-l, Kbit/s) so the transfer is surely still running when it is cut.
    let mut cmd = Command::new(SCP);
    cmd.arg("-O")
        .args(scp_options(&dev))
        .arg("-i")
        .arg(&dev.key)
        .args(["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"])
        .args(["-l", "2000", "slow", "lab@127.0.0.1:slow"])
        .current_dir(&l)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("spawn scp");
    // Wait until part of the file is on the server (under its temporary name).
    let deadline = Instant::now() + RUN;
    let partial = loop {
        let found = names(&r)
            .into_iter()
            .find(|n| n.starts_with(".slow.scp-"))
            .filter(|n| fs::metadata(r.join(n)).is_ok_and(|m| m.len() > 0));
        if let Some(n) = found {
            break n;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "scp ended before the cut\n{}",
            dev.report()
        );
        assert!(
            Instant::now() < deadline,
            "no partial file\n{}",
            dev.report()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!r.join("slow").exists(), "the target exists before the end");
    child.kill().unwrap();
    child.wait().unwrap();
    // serve sees the channel end and removes the partial file.
    let deadline = Instant::now() + RUN;
    while r.join(&partial).exists() {
        assert!(
            Instant::now() < deadline,
            "{partial} stays\n{}",
            dev.report()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!r.join("slow").exists());
    assert!(
        dev.log.all().contains("SCP: receive slow"),
        "{}",
        dev.report()
    );
}
