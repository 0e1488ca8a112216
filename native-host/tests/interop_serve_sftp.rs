//! The SFTP subsystem of `sshgate-host serve` (OpenSSH's `internal-sftp` on the user's
//! `[files] root`) with real clients: OpenSSH `sftp -b` (put, get, ls, rename, rm, mkdir,
//! rmdir, chmod, df through statvfs, 100 MiB both ways checked by SHA-256), OpenSSH 9's `scp`
//! in SFTP mode both ways with `-r` and `-p`, and paramiko (put, get, listdir, rename,
//! posix-rename, stat, hardlink, and an upload whose connection drops before CLOSE).
//!
//! The refusals: `..` above the root, a symlink planted out of the root, SYMLINK, a user below
//! `[files] privilege`, `read_only`, `max_file_bytes` (the partial upload gone) and
//! `[sftp] enable = false`.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::{
    DeviceServer, DeviceUser, RunOutput, python, require_tool, run_with_timeout, start_device,
};

const RUN: Duration = Duration::from_secs(120);
const SFTP: &str = "/usr/bin/sftp";
const SCP: &str = "/usr/bin/scp";

/// `[files]` with each user's root under serve's directory, and `[sftp]`.
fn files_config(files_extra: &str, sftp_enable: bool) -> String {
    format!("[files]\nroot = \"files/%u\"\n{files_extra}\n[sftp]\nenable = {sftp_enable}\n")
}

/// `lab` (privilege 15) and `guest` (privilege 1), both with the test key.
fn device(label: &str, files_extra: &str, sftp_enable: bool) -> DeviceServer {
    start_device(
        label,
        &files_config(files_extra, sftp_enable),
        &[
            DeviceUser {
                name: "lab",
                privilege: 15,
                key: true,
                ..DeviceUser::default()
            },
            DeviceUser {
                name: "guest",
                privilege: 1,
                key: true,
                ..DeviceUser::default()
            },
        ],
    )
}

/// `lab`'s root on the server (created, so the test can plant files before the first login).
fn root_of(dev: &DeviceServer, user: &str) -> PathBuf {
    let p = dev.dir.join("files").join(user);
    fs::create_dir_all(&p).expect("user root");
    p
}

/// The client options of `ssh` with `-P` for the port (sftp and scp), key login only.
fn options(dev: &DeviceServer) -> Vec<String> {
    let mut v: Vec<String> = dev
        .client_options()
        .into_iter()
        .map(|o| if o == "-p" { "-P".to_string() } else { o })
        .collect();
    v.extend(
        [
            "-i",
            dev.key.to_str().expect("key path"),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "BatchMode=yes",
            "-o",
            "PreferredAuthentications=publickey",
        ]
        .map(str::to_string),
    );
    v
}

/// `sftp -b BATCH user@127.0.0.1`, run in the test's directory.
fn sftp_batch(dev: &DeviceServer, user: &str, label: &str, batch: &str) -> RunOutput {
    require_tool(SFTP, "apt-get install openssh-client");
    let file = dev.dir.join(format!("{label}.batch"));
    fs::write(&file, batch).expect("batch file");
    let mut cmd = Command::new(SFTP);
    cmd.args(options(dev))
        .arg("-b")
        .arg(&file)
        .arg(DeviceServer::dest(user))
        .current_dir(dev.dir.path());
    run_with_timeout(&mut cmd, &dev.dir, label, RUN)
}

/// `scp -s` (SFTP mode, OpenSSH 9's default, made explicit) with `args`.
fn scp(dev: &DeviceServer, label: &str, args: &[&str]) -> RunOutput {
    require_tool(SCP, "apt-get install openssh-client");
    let mut cmd = Command::new(SCP);
    cmd.args(options(dev))
        .arg("-s")
        .args(args)
        .current_dir(dev.dir.path());
    run_with_timeout(&mut cmd, &dev.dir, label, RUN)
}

fn sha256(p: &Path) -> String {
    require_tool("/usr/bin/sha256sum", "apt-get install coreutils");
    let out = Command::new("/usr/bin/sha256sum")
        .arg(p)
        .output()
        .expect("sha256sum");
    assert!(out.status.success(), "sha256sum {}", p.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string()
}

/// `n` bytes that are not all alike (a small xorshift), so a misplaced block shows.
fn pattern(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[3]
        })
        .collect()
}

fn must(run: &RunOutput, dev: &DeviceServer) {
    assert!(run.success(), "{}\n{}", run.report(30), dev.report());
}

fn must_fail(run: &RunOutput, dev: &DeviceServer, text: &str) {
    assert!(
        !run.success() && !run.timed_out(),
        "expected a refusal:\n{}\n{}",
        run.report(30),
        dev.report()
    );
    assert!(
        run.stderr.contains(text) || run.stdout.contains(text),
        "expected {text:?}:\n{}\n{}",
        run.report(30),
        dev.report()
    );
}

/// Entries of `dir` (names), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn sftp_batch_moves_files_and_100_mib_both_ways() {
    let dev = device("sftp-batch", "", true);
    let root = root_of(&dev, "lab");
    let big = dev.dir.join("big.bin");
    fs::write(&big, pattern(100 << 20)).expect("big file");
    fs::write(dev.dir.join("small.txt"), b"hello device\n").expect("small file");
    let run = sftp_batch(
        &dev,
        "lab",
        "batch",
        "pwd\nmkdir d\nput big.bin d/big.bin\nput small.txt d/small.txt\n\
         rename d/small.txt d/renamed.txt\nchmod 640 d/renamed.txt\nls -l d\n\
         get d/big.bin back.bin\ndf /\nmkdir e\nrmdir e\nput small.txt gone.txt\nrm gone.txt\n\
         ls -1 /\n",
    );
    must(&run, &dev);
    assert!(
        run.stdout.contains("Remote working directory: /"),
        "{}",
        run.stdout
    );
    // ls -l: the mode chmod set, the size, the renamed name.
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("-rw-r-----") && l.ends_with("renamed.txt")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("104857600"), "{}", run.stdout);
    // df through statvfs@openssh.com (without it sftp says the server does not support it).
    assert!(run.stdout.contains("%Capacity"), "{}", run.stdout);
    let want = sha256(&big);
    assert_eq!(sha256(&root.join("d/big.bin")), want, "upload");
    assert_eq!(sha256(&dev.dir.join("back.bin")), want, "download");
    assert_eq!(
        fs::read(root.join("d/renamed.txt")).expect("renamed"),
        b"hello device\n"
    );
    assert_eq!(
        fs::metadata(root.join("d/renamed.txt"))
            .expect("renamed")
            .permissions()
            .mode()
            & 0o777,
        0o640
    );
    assert_eq!(entries(&root), ["d"], "e removed, gone.txt removed");
    assert_eq!(entries(&root.join("d")), ["big.bin", "renamed.txt"]);
    assert!(
        dev.log.all().contains("sftp session ended"),
        "{}",
        dev.report()
    );
}

#[test]
fn sftp_refuses_paths_out_of_the_root_and_low_privilege() {
    let dev = device("sftp-escape", "", true);
    let root = root_of(&dev, "lab");
    let secret = dev.dir.join("secret.txt");
    fs::write(&secret, b"not for clients\n").expect("secret");
    std::os::unix::fs::symlink(&secret, root.join("escape")).expect("absolute symlink");
    std::os::unix::fs::symlink("../../secret.txt", root.join("escape-rel"))
        .expect("relative symlink");
    fs::write(root.join("inside.txt"), b"inside\n").expect("inside");

    // `..` above the root: the path is refused before any lookup (sftp's `get` stats first
    // and reports any refusal as not found).
    let run = sftp_batch(&dev, "lab", "dotdot", "get /../secret.txt got1.txt\n");
    must_fail(&run, &dev, "not found");
    assert!(!dev.dir.join("got1.txt").exists());
    let run = sftp_batch(&dev, "lab", "cd-up", "cd ..\nls\n");
    must_fail(&run, &dev, "Permission denied");
    // Symlinks planted out of the root: the kernel's beneath-the-root lookup refuses them.
    for (i, link) in ["escape", "escape-rel"].iter().enumerate() {
        let run = sftp_batch(&dev, "lab", link, &format!("get {link} got-{i}.txt\n"));
        assert!(!run.success(), "{}\n{}", run.report(20), dev.report());
        assert!(!dev.dir.join(format!("got-{i}.txt")).exists());
    }
    // Clients may not make symlinks.
    let run = sftp_batch(&dev, "lab", "symlink", "ln -s /etc/passwd pw\n");
    must_fail(&run, &dev, "Permission denied");
    assert!(fs::symlink_metadata(root.join("pw")).is_err());
    // What is inside still works.
    let run = sftp_batch(&dev, "lab", "inside", "get inside.txt got-inside.txt\n");
    must(&run, &dev);
    assert_eq!(
        fs::read(dev.dir.join("got-inside.txt")).unwrap(),
        b"inside\n"
    );
    let log = dev.log.all();
    assert!(
        log.contains("path above the root refused"),
        "{}",
        dev.report()
    );
    assert!(log.contains("symlink refused"), "{}", dev.report());

    // Privilege 1 is below [files] privilege (15): the subsystem request is refused.
    let run = sftp_batch(&dev, "guest", "guest", "ls\n");
    assert!(!run.success(), "{}\n{}", run.report(20), dev.report());
    assert!(
        dev.log
            .all()
            .contains("privilege 1 is below [files] privilege 15"),
        "{}",
        dev.report()
    );
    assert!(
        !dev.dir.join("files/guest").exists(),
        "no root made for guest"
    );
}

#[test]
fn scp_in_sftp_mode_both_ways_recursive_preserving_times_and_modes() {
    let dev = device("sftp-scp", "", true);
    let root = root_of(&dev, "lab");
    let src = dev.dir.join("tree");
    fs::create_dir_all(src.join("sub")).expect("tree");
    fs::write(src.join("a.txt"), b"alpha\n").expect("a");
    fs::write(src.join("sub/b.bin"), pattern(3 << 20)).expect("b");
    fs::set_permissions(src.join("a.txt"), fs::Permissions::from_mode(0o640)).expect("mode");
    let old = std::time::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    fs::File::options()
        .write(true)
        .open(src.join("a.txt"))
        .and_then(|f| f.set_modified(old))
        .expect("mtime");

    let run = scp(&dev, "scp-up", &["-r", "-p", "tree", "lab@127.0.0.1:/up"]);
    must(&run, &dev);
    let a = fs::metadata(root.join("up/a.txt")).expect("uploaded a.txt");
    assert_eq!(a.permissions().mode() & 0o777, 0o640, "-p keeps the mode");
    assert_eq!(a.modified().unwrap(), old, "-p keeps the time");
    assert_eq!(
        sha256(&root.join("up/sub/b.bin")),
        sha256(&src.join("sub/b.bin"))
    );

    let run = scp(&dev, "scp-down", &["-r", "-p", "lab@127.0.0.1:/up", "back"]);
    must(&run, &dev);
    let back = dev.dir.join("back");
    assert_eq!(fs::read(back.join("a.txt")).unwrap(), b"alpha\n");
    assert_eq!(
        fs::metadata(back.join("a.txt"))
            .unwrap()
            .modified()
            .unwrap(),
        old
    );
    assert_eq!(
        sha256(&back.join("sub/b.bin")),
        sha256(&src.join("sub/b.bin"))
    );
    // A target named as a directory that is not one: refused, no file made under its name.
    let run = scp(
        &dev,
        "scp-not-dir",
        &["tree/a.txt", "lab@127.0.0.1:/missing/"],
    );
    assert!(!run.success(), "{}\n{}", run.report(20), dev.report());
    assert!(fs::symlink_metadata(root.join("missing")).is_err());
    // Both went through the subsystem, not a remote `scp` program.
    assert!(
        dev.log.all().matches("request=\"subsystem sftp\"").count() >= 2,
        "{}",
        dev.report()
    );
}

/// Runs a paramiko script with the device's port, key and user root's path as arguments.
fn paramiko(dev: &DeviceServer, label: &str, script: &str) -> RunOutput {
    // Not `paramiko.py`: the script's directory comes first on Python's path.
    let file = dev.dir.join(format!("{label}_client.py"));
    fs::write(&file, script).expect("script");
    let mut cmd = Command::new(python());
    cmd.arg(&file)
        .arg(dev.port.to_string())
        .arg(&dev.key)
        .current_dir(dev.dir.path());
    run_with_timeout(&mut cmd, &dev.dir, label, RUN)
}

const PARAMIKO_HEAD: &str = r#"
import sys, paramiko
port, key = int(sys.argv[1]), sys.argv[2]
t = paramiko.Transport(("127.0.0.1", port))
t.connect(username="lab", pkey=paramiko.Ed25519Key.from_private_key_file(key))
s = paramiko.SFTPClient.from_transport(t)
"#;

#[test]
fn paramiko_put_get_list_rename_stat_hardlink() {
    let dev = device("sftp-paramiko", "", true);
    let root = root_of(&dev, "lab");
    fs::write(dev.dir.join("local.bin"), pattern(1 << 20)).expect("local");
    let script = format!(
        "{PARAMIKO_HEAD}{}",
        r#"
s.put("local.bin", "/p.bin")
s.get("/p.bin", "fetched.bin")
s.rename("/p.bin", "/q.bin")
s.put("local.bin", "/r.bin")
s.posix_rename("/r.bin", "/q.bin")          # replaces q.bin
try:
    s.rename("/q.bin", "/q.bin")            # v3 RENAME does not replace
    print("rename-over: allowed")
except IOError:
    print("rename-over: refused")
st = s.stat("/q.bin")
print("size", st.st_size)
# hardlink@openssh.com has no paramiko method: the raw extended request.
from paramiko.sftp import CMD_EXTENDED
s._request(CMD_EXTENDED, "hardlink@openssh.com", "/q.bin", "/h.bin")
print("links", s.stat("/h.bin").st_size)
print("list", sorted(s.listdir("/")))
print("normalize", s.normalize("."))
try:
    s.stat("/../etc")
    print("above: allowed")
except IOError as e:
    print("above: refused", e.errno)
s.close(); t.close()
"#
    );
    let run = paramiko(&dev, "paramiko", &script);
    must(&run, &dev);
    let out = &run.stdout;
    assert!(out.contains("rename-over: refused"), "{out}");
    assert!(out.contains("size 1048576"), "{out}");
    assert!(out.contains("links 1048576"), "{out}");
    assert!(out.contains("list ['h.bin', 'q.bin']"), "{out}");
    assert!(out.contains("normalize /"), "{out}");
    assert!(out.contains("above: refused 13"), "{out}");
    assert_eq!(
        fs::read(dev.dir.join("fetched.bin")).unwrap(),
        fs::read(dev.dir.join("local.bin")).unwrap()
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(fs::metadata(root.join("q.bin")).unwrap().nlink(), 2);
}

#[test]
fn an_upload_cut_before_close_leaves_no_file() {
    let dev = device("sftp-dropped", "", true);
    let root = root_of(&dev, "lab");
    let script = format!(
        "{PARAMIKO_HEAD}{}",
        r#"
f = s.open("/partial.bin", "w")
f.write(b"x" * (1 << 20))
f.flush()
print("written", s.stat("/").st_mode is not None)
t.close()   # no CLOSE for the handle: the connection ends under it
"#
    );
    let run = paramiko(&dev, "dropped", &script);
    must(&run, &dev);
    let mark = 0;
    let log = dev
        .log
        .wait_since(mark, RUN, |l| l.contains("sftp session ended"));
    assert!(log.contains("sftp session ended"), "{}", dev.report());
    assert_eq!(
        entries(&root),
        Vec::<String>::new(),
        "nothing left, not even the staging name"
    );
}

#[test]
fn read_only_refuses_uploads_and_serves_downloads() {
    let dev = device("sftp-ro", "read_only = true", true);
    let root = root_of(&dev, "lab");
    fs::write(root.join("config.txt"), b"hostname r1\n").expect("file");
    fs::write(dev.dir.join("new.txt"), b"new\n").expect("local");
    let run = sftp_batch(&dev, "lab", "ro-get", "get config.txt got.txt\n");
    must(&run, &dev);
    assert_eq!(fs::read(dev.dir.join("got.txt")).unwrap(), b"hostname r1\n");
    let run = sftp_batch(&dev, "lab", "ro-put", "put new.txt new.txt\n");
    must_fail(&run, &dev, "Permission denied");
    let run = sftp_batch(&dev, "lab", "ro-rm", "rm config.txt\n");
    must_fail(&run, &dev, "Permission denied");
    let run = sftp_batch(&dev, "lab", "ro-mkdir", "mkdir x\n");
    must_fail(&run, &dev, "Permission denied");
    assert_eq!(entries(&root), ["config.txt"]);
    assert!(
        dev.log.all().contains("write (read_only) refused"),
        "{}",
        dev.report()
    );
}

#[test]
fn max_file_bytes_refuses_the_upload_and_removes_it() {
    let dev = device("sftp-max", "max_file_bytes = 1048576", true);
    let root = root_of(&dev, "lab");
    fs::write(dev.dir.join("ok.bin"), pattern(100 << 10)).expect("small");
    fs::write(dev.dir.join("big.bin"), pattern(3 << 20)).expect("big");
    let run = sftp_batch(&dev, "lab", "max-ok", "put ok.bin ok.bin\n");
    must(&run, &dev);
    let run = sftp_batch(&dev, "lab", "max-big", "put big.bin big.bin\n");
    // OpenSSH's client prints the code's text, not the server's message.
    must_fail(&run, &dev, "write remote \"/big.bin\": Failure");
    // The partial upload is gone: no big.bin, no staging name beside it.
    let log = dev
        .log
        .wait_since(0, RUN, |l| l.matches("sftp session ended").count() >= 2);
    assert!(log.contains("max_file_bytes"), "{}", dev.report());
    assert_eq!(entries(&root), ["ok.bin"]);
}

#[test]
fn sftp_disabled_refuses_the_subsystem() {
    let dev = device("sftp-off", "", false);
    let run = sftp_batch(&dev, "lab", "off", "ls\n");
    assert!(!run.success(), "{}\n{}", run.report(20), dev.report());
    assert!(
        dev.log.all().contains("the sftp subsystem is disabled"),
        "{}",
        dev.report()
    );
}
