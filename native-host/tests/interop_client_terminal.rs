//! `sshgate-host ssh` in a real terminal (a tmux pane) against OpenSSH `sshd`: an interactive
//! PTY shell with resize and the shell's exit status, and the questions a person answers at the
//! keyboard: the password, keyboard-interactive prompts, a key's passphrase; and the login
//! time-out while a prompt waits.

mod support;

use support::*;

/// The command line that runs our client in `dir` with `args` (paths here have no spaces).
fn client_line(dir: &TempDir, port: u16, args: &[&str]) -> String {
    client_line_checking(dir, port, "no", args)
}

/// [`client_line`] with `StrictHostKeyChecking=strict`.
fn client_line_checking(dir: &TempDir, port: u16, strict: &str, args: &[&str]) -> String {
    format!(
        "cd {d} && HOME={d} {bin} ssh -o StrictHostKeyChecking={strict} \
         -o UserKnownHostsFile={d}/known_hosts -p {port} {}",
        args.join(" "),
        d = dir.path().display(),
        bin = sshgate_bin().display(),
    )
}

const PAM_LOGINS: &[&str] = &[
    "UsePAM yes",
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication yes",
];

#[test]
fn interactive_shell_with_resize_and_exit_status() {
    let dir = TempDir::new("client-pty");
    let sshd = start_sshd(&dir);
    let key = client_key(&dir);
    let dest = format!("{}@127.0.0.1", current_user());
    let t = Tmux::start(
        "pty",
        &client_line(&dir, sshd.port, &["-i", key.to_str().unwrap(), &dest]),
    );
    // A prompt we can recognise, whatever the account's shell prints.
    t.wait_for("#", 1);
    t.type_line("PS1='remote> '");
    t.wait_for("remote> ", 1);

    t.type_line("stty size; tty");
    let screen = t.wait_for("/dev/pts/", 1);
    assert!(screen.contains("40 120"), "pty-req size:\n{screen}");

    t.resize(100, 30);
    t.type_line("stty size");
    let screen = t.wait_for("30 100", 1);
    assert!(screen.contains("30 100"), "window-change:\n{screen}");

    // Raw mode: Ctrl-C reaches the remote shell as a byte and interrupts only the remote sleep.
    t.type_line("sleep 30");
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.send_keys(&["C-c"]);
    t.type_line("echo after-$((6*7))");
    t.wait_for("after-42", 1);

    t.type_line("exit 3");
    let code = t.wait_exit();
    let screen = t.screen();
    assert_eq!(code, 3, "the remote shell's exit status\n{screen}");
    assert!(
        screen.contains("Connection to 127.0.0.1 closed."),
        "{screen}"
    );
}

#[test]
fn password_and_keyboard_interactive_typed_at_the_prompt() {
    let (user, password) = test_account();
    let dir = TempDir::new("client-typed");
    let sshd = start_sshd_config(&dir, &[], PAM_LOGINS);
    let dest = format!("{user}@127.0.0.1");
    for (method, prompt) in [
        ("password", format!("{user}@127.0.0.1's password: ")),
        ("keyboard-interactive", "Password: ".to_string()),
    ] {
        let pref = format!("PreferredAuthentications={method}");
        let t = Tmux::start(
            &format!("typed-{method}"),
            &client_line(&dir, sshd.port, &["-o", &pref, &dest, "id", "-un"]),
        );
        t.wait_for(&prompt, 1);
        // First a wrong answer: asked again (NumberOfPasswordPrompts).
        t.type_line("not the password");
        t.wait_for(&prompt, 2);
        t.type_line(password);
        let code = t.wait_exit();
        let screen = t.screen();
        assert_eq!(code, 0, "{method}:\n{screen}");
        assert!(screen.contains(&format!("\n{user}")), "{method}:\n{screen}");
        assert!(
            !screen.contains(password),
            "{method}: the password was echoed\n{screen}"
        );
    }
}

#[test]
fn passphrase_of_an_encrypted_key_is_asked() {
    let dir = TempDir::new("client-passphrase");
    let sshd = start_sshd(&dir);
    let key = dir.join("id_locked");
    let out = std::process::Command::new(SSH_KEYGEN)
        .args(["-q", "-t", "ed25519", "-N", "open sesame", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "ssh-keygen: {out:?}");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    std::fs::write(dir.join("authorized_keys"), public).unwrap();
    let dest = format!("{}@127.0.0.1", current_user());
    let t = Tmux::start(
        "passphrase",
        &client_line(
            &dir,
            sshd.port,
            &[
                "-i",
                key.to_str().unwrap(),
                "-o",
                "PreferredAuthentications=publickey",
                &dest,
                "echo",
                "unlocked-$((6*7))",
            ],
        ),
    );
    t.wait_for(
        &format!("Enter passphrase for key '{}': ", key.display()),
        1,
    );
    t.type_line("open sesame");
    let code = t.wait_exit();
    let screen = t.screen();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("unlocked-42"), "{screen}");
}

#[test]
fn login_time_out_while_the_prompt_waits() {
    let (user, _) = test_account();
    let dir = TempDir::new("client-timeout");
    let sshd = start_sshd_config(
        &dir,
        &[],
        &["LoginGraceTime 2", PAM_LOGINS[0], PAM_LOGINS[1]],
    );
    let dest = format!("{user}@127.0.0.1");
    let t = Tmux::start(
        "timeout",
        &client_line(
            &dir,
            sshd.port,
            &["-o", "PreferredAuthentications=password", &dest, "true"],
        ),
    );
    t.wait_for("password: ", 1);
    // Nobody types: sshd gives up after LoginGraceTime, and we say so and exit 255.
    let code = t.wait_exit();
    let screen = t.screen();
    assert_eq!(code, 255, "{screen}");
    assert!(
        screen.contains("Connection closed by 127.0.0.1")
            || screen.contains("Received disconnect from 127.0.0.1"),
        "{screen}"
    );
}

#[test]
fn unknown_host_key_is_asked_about_and_remembered() {
    let dir = TempDir::new("client-ask");
    let sshd = start_sshd(&dir);
    let key = client_key(&dir);
    let dest = format!("{}@127.0.0.1", current_user());
    let args = ["-i", key.to_str().unwrap(), &dest, "echo", "in-$((6*7))"];

    // Strict (the default): refused without a question.
    let t = Tmux::start(
        "strict",
        &client_line_checking(&dir, sshd.port, "yes", &args),
    );
    assert_eq!(t.wait_exit(), 255, "{}", t.screen());
    assert!(t.screen().contains("Host key verification failed."));
    drop(t);

    let t = Tmux::start("ask", &client_line_checking(&dir, sshd.port, "ask", &args));
    let screen = t.wait_for("(yes/no/[fingerprint])? ", 1);
    assert!(
        screen.contains(&format!(
            "The authenticity of host '[127.0.0.1]:{}",
            sshd.port
        )),
        "{screen}"
    );
    assert!(
        screen.contains("ED25519 key fingerprint is SHA256:"),
        "{screen}"
    );
    t.type_line("maybe");
    t.wait_for("Please type 'yes', 'no' or the fingerprint: ", 1);
    t.type_line("yes");
    assert_eq!(t.wait_exit(), 0, "{}", t.screen());
    let screen = t.screen();
    assert!(screen.contains("Permanently added"), "{screen}");
    assert!(screen.contains("in-42"), "{screen}");
    drop(t);

    // Remembered: the strict default now logs in without asking.
    let t = Tmux::start(
        "known",
        &client_line_checking(&dir, sshd.port, "yes", &args),
    );
    assert_eq!(t.wait_exit(), 0, "{}", t.screen());
    assert!(t.screen().contains("in-42"));
    assert!(!t.screen().contains("authenticity"));
}
