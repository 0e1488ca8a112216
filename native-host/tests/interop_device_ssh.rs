//! The device CLI's own `ssh` command (IOS `ssh -l user -p port host`) against a real OpenSSH
//! `sshd`, typed in a real OpenSSH `ssh -tt` session to `serve` inside tmux: the password asked
//! on the user's terminal and not echoed, the remote shell's output, IOS's closing line and
//! the device prompt back; `show ssh` listing the outbound connection; `disconnect ssh N` from
//! a second session; `-o numberofpasswordprompts 1`. And `sshgate-host ssh -o
//! NumberOfPasswordPrompts=1` against the same sshd.

mod support;

use support::*;

/// sshd with password logins only (one question per try).
const PASSWORD_ONLY: &[&str] = &[
    "UsePAM yes",
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication no",
];

/// The device's administrator logs in with the test key (no password prompt of its own on the
/// terminal, so every `Password:` on screen is the device's outbound one).
fn device(label: &str) -> DeviceServer {
    device_with(label, "")
}

/// [`device`] with `extra` lines in `[server]`.
fn device_with(label: &str, extra: &str) -> DeviceServer {
    start_device(
        label,
        extra,
        &[DeviceUser {
            name: "admin",
            privilege: 15,
            key: true,
            ..DeviceUser::default()
        }],
    )
}

/// `ssh -tt admin@device` as a shell line for tmux.
fn device_terminal(dev: &DeviceServer) -> String {
    let mut cmd = dev.ssh_with_key();
    cmd.arg("-tt").arg(DeviceServer::dest("admin"));
    let mut words = vec![cmd.get_program().to_string_lossy().into_owned()];
    words.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    let line = words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    format!("cd {} && {line}", dev.dir.path().display())
}

/// One CLI command on the device from a second session (exec mode).
fn device_exec(dev: &DeviceServer, command: &str) -> String {
    let out = dev
        .ssh_with_key()
        .arg(DeviceServer::dest("admin"))
        .arg(command)
        .output()
        .expect("run ssh");
    assert!(out.status.success(), "{command}: {out:?}\n{}", dev.report());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `show ssh` rows of `user`: (number, mode).
fn rows_of(show: &str, user: &str) -> Vec<(u32, String)> {
    show.lines()
        .filter(|l| l.split_whitespace().last() == Some(user))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0].parse().expect("connection number"), w[2].to_string())
        })
        .collect()
}

/// Logs in from the device to sshd as the test account and waits for the remote shell.
fn log_in_from_device(t: &Tmux, sshd: &Sshd, user: &str, password: &str) {
    log_in_with(t, sshd, "", user, password);
}

/// [`log_in_from_device`] with more `ssh` options.
fn log_in_with(t: &Tmux, sshd: &Sshd, options: &str, user: &str, password: &str) {
    t.wait_for("router1#", 1);
    t.type_line(&format!(
        "ssh {options} -l {user} -p {} 127.0.0.1",
        sshd.port
    ));
    t.wait_for("Password: ", 1);
    t.type_line(password);
    t.type_line("echo marker-$((6*7))");
    let screen = t.wait_for("marker-42", 1);
    assert!(
        !screen.contains(password),
        "the password was echoed:\n{screen}"
    );
}

#[test]
fn device_ssh_to_sshd_and_back() {
    let (user, password) = test_account();
    let dir = TempDir::new("devssh-basic");
    let sshd = start_sshd_config(&dir, &[], PASSWORD_ONLY);
    let dev = device("devssh-basic");
    let t = Tmux::start("devssh-basic", &device_terminal(&dev));
    // IOS's names: hmac-sha1-160 is hmac-sha1.
    log_in_with(
        &t,
        &sshd,
        "-v 2 -c aes256-ctr -m hmac-sha1-160",
        user,
        password,
    );

    // Another session sees the outbound connection, both directions, with its user and the
    // algorithms asked for.
    let show = device_exec(&dev, "show ssh");
    let rows = rows_of(&show, user);
    let modes: Vec<&str> = rows.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(modes, ["IN", "OUT"], "{show}");
    for line in show.lines().filter(|l| l.ends_with(user)) {
        let w: Vec<&str> = line.split_whitespace().collect();
        assert_eq!((w[3], w[4]), ("aes256-ctr", "hmac-sha1"), "{show}");
    }
    // The line running ssh shows the host it is connected to (Host(s)), the others `idle`.
    let users = device_exec(&dev, "show users");
    let hosts: Vec<&str> = users
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().filter(|w| *w != "*").nth(4))
        .collect();
    assert!(
        hosts.contains(&"127.0.0.1") && hosts.contains(&"idle"),
        "{users}"
    );

    t.type_line("exit");
    let screen = t.wait_for("router1#", 2);
    assert!(
        screen.contains("[Connection to 127.0.0.1 closed by foreign host]"),
        "{screen}"
    );
    // The CLI is ours again, and the connection is gone from the list.
    t.type_line("show ssh");
    t.wait_for("%No SSHv1 server connections running.", 1);
    assert!(rows_of(&device_exec(&dev, "show ssh"), user).is_empty());
}

#[test]
fn disconnect_ssh_from_a_second_session() {
    let (user, password) = test_account();
    let dir = TempDir::new("devssh-disconnect");
    let sshd = start_sshd_config(&dir, &[], PASSWORD_ONLY);
    let dev = device("devssh-disconnect");
    let t = Tmux::start("devssh-disconnect", &device_terminal(&dev));
    log_in_from_device(&t, &sshd, user, password);
    let rows = rows_of(&device_exec(&dev, "show ssh"), user);
    let (number, _) = rows
        .first()
        .cloned()
        .expect("the outbound connection's row");
    assert_eq!(device_exec(&dev, &format!("disconnect ssh {number}")), "");
    let screen = t.wait_for("router1#", 2);
    assert!(
        screen.contains("[Connection to 127.0.0.1 closed by local host]"),
        "{screen}"
    );
    assert!(rows_of(&device_exec(&dev, "show ssh"), user).is_empty());
    // A number nobody has.
    assert_eq!(
        device_exec(&dev, "disconnect ssh 4000"),
        "% Invalid SSH connection number 4000\r\n"
    );
}

#[test]
fn device_ssh_gives_up_after_numberofpasswordprompts() {
    let (user, _) = test_account();
    let dir = TempDir::new("devssh-prompts");
    let sshd = start_sshd_config(&dir, &[], PASSWORD_ONLY);
    let dev = device("devssh-prompts");
    let t = Tmux::start("devssh-prompts", &device_terminal(&dev));
    t.wait_for("router1#", 1);
    t.type_line(&format!(
        "ssh -o numberofpasswordprompts 1 -l {user} -p {} 127.0.0.1",
        sshd.port
    ));
    t.wait_for("Password: ", 1);
    t.type_line("not the password");
    let screen = t.wait_for("router1#", 2);
    assert!(screen.contains("% Authentication failed."), "{screen}");
    assert_eq!(screen.matches("Password: ").count(), 1, "{screen}");
}

#[test]
fn client_number_of_password_prompts() {
    let (user, _) = test_account();
    let dir = TempDir::new("client-prompts");
    let sshd = start_sshd_config(&dir, &[], PASSWORD_ONLY);
    let line = format!(
        "cd {d} && HOME={d} {bin} ssh -o StrictHostKeyChecking=no \
         -o UserKnownHostsFile={d}/known_hosts -o NumberOfPasswordPrompts=1 \
         -o PreferredAuthentications=password -p {port} {user}@127.0.0.1 true",
        d = dir.path().display(),
        bin = sshgate_bin().display(),
        port = sshd.port,
    );
    let prompt = format!("{user}@127.0.0.1's password: ");
    let t = Tmux::start("client-prompts", &line);
    t.wait_for(&prompt, 1);
    t.type_line("not the password");
    let code = t.wait_exit();
    let screen = t.screen();
    assert_eq!(code, 255, "{screen}");
    assert_eq!(screen.matches(&prompt).count(), 1, "{screen}");
    assert!(screen.contains("Permission denied"), "{screen}");
}

#[test]
fn strict_host_key_check_takes_only_known_keys() {
    let (user, _) = test_account();
    let dir = TempDir::new("devssh-strict");
    let sshd = start_sshd_config(&dir, &[], PASSWORD_ONLY);
    // Every host key of this sshd, known under 127.0.0.1 only.
    let mut known = String::new();
    for entry in std::fs::read_dir(dir.join("sshd-keys")).expect("sshd keys") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "pub") {
            let public = std::fs::read_to_string(&path).expect("public key");
            let fields: Vec<&str> = public.split_whitespace().take(2).collect();
            known.push_str(&format!("[127.0.0.1]:{} {}\n", sshd.port, fields.join(" ")));
        }
    }
    let known_path = dir.join("device_known_hosts");
    std::fs::write(&known_path, known).expect("write known_hosts");
    let dev = device_with(
        "devssh-strict",
        &format!(
            "strict_host_key_check = true\nknown_hosts = {:?}\n",
            known_path.display().to_string()
        ),
    );
    let t = Tmux::start("devssh-strict", &device_terminal(&dev));
    t.wait_for("router1#", 1);
    // Known: the password is asked (Ctrl-C gives up).
    t.type_line(&format!("ssh -l {user} -p {} 127.0.0.1", sshd.port));
    t.wait_for("Password: ", 1);
    t.send_keys(&["C-c"]);
    t.wait_for("router1#", 2);
    // The same server under a name the device does not know: refused before any password.
    t.type_line(&format!("ssh -l {user} -p {} localhost", sshd.port));
    let screen = t.wait_for("router1#", 3);
    assert!(
        screen.contains("% Host key not trusted: no key is known for localhost"),
        "{screen}"
    );
    assert_eq!(screen.matches("Password: ").count(), 1, "{screen}");
}

#[test]
fn disconnect_ssh_closes_an_inbound_connection() {
    let dev = device("devssh-inbound");
    let t = Tmux::start("devssh-inbound", &device_terminal(&dev));
    t.wait_for("router1#", 1);
    // admin is logged in twice: the terminal (first, the lower number) and this exec session.
    let show = device_exec(&dev, "show ssh");
    let terminal = rows_of(&show, "admin")
        .into_iter()
        .map(|(n, _)| n)
        .min()
        .expect("the terminal's connection");
    assert_eq!(device_exec(&dev, &format!("disconnect ssh {terminal}")), "");
    let code = t.wait_exit();
    assert_eq!(code, 255, "{}", t.screen());
    assert!(dev.log.all().contains("disconnect ssh"), "{}", dev.report());
}
