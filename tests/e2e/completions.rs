//! `mcpproxy completions SHELL` loaded into a real bash, and `mcpproxy man` rendered by a
//! real `man`.

use std::process::Command;

use mcpproxy_daemon::exit_code::ExitCode;

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::system_program;

fn completions(shell: &str) -> std::process::Output {
    let dir = temp_data_dir();
    mcpproxy(dir.path())
        .args(["completions", shell])
        .output()
        .unwrap()
}

/// What bash offers for the words of `line` (the last one being completed), with the
/// script loaded as a user would (`source`), and how `complete -p` lists it.
fn bash_completes(script: &str, line: &str) -> (Vec<String>, String) {
    let dir = temp_data_dir();
    let file = dir.path().join("mcpproxy.bash");
    std::fs::write(&file, script).unwrap();
    let words: Vec<&str> = line.split(' ').collect();
    let program = format!(
        "source {file}\n\
         complete -p mcpproxy\n\
         COMP_WORDS=({words})\n\
         COMP_CWORD={cword}\n\
         COMP_LINE='{line}'\n\
         COMP_POINT=${{#COMP_LINE}}\n\
         _mcpproxy mcpproxy '{current}' '{previous}'\n\
         printf 'reply:%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file = file.display(),
        words = words.join(" "),
        cword = words.len() - 1,
        current = words[words.len() - 1],
        previous = words[words.len() - 2],
    );
    let output = Command::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(program)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "bash failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let replies = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("reply:"))
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    let registered = stdout
        .lines()
        .find(|l| l.starts_with("complete "))
        .unwrap_or_default()
        .to_owned();
    (replies, registered)
}

#[test]
fn bash_completes_upst_to_upstream() {
    let output = completions("bash");
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();

    let (replies, registered) = bash_completes(&script, "mcpproxy upst");
    assert_eq!(replies, ["upstream"]);
    assert!(
        registered.contains("-F _mcpproxy") && registered.ends_with(" mcpproxy"),
        "complete -p: {registered}"
    );
    // Deeper levels come from the same tree.
    let (replies, _) = bash_completes(&script, "mcpproxy service ins");
    assert_eq!(replies, ["install"]);
    let (replies, _) = bash_completes(&script, "mcpproxy completions f");
    assert_eq!(replies, ["fish"]);
}

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    for (shell, marker) in [
        ("bash", "complete -F _mcpproxy"),
        ("zsh", "#compdef mcpproxy"),
        ("fish", "complete -c mcpproxy"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = completions(shell);
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: no {marker}");
        for command in ["upstream", "doctor", "service", "completions"] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
}

#[test]
fn completions_json_carries_the_same_script() {
    let dir = temp_data_dir();
    let json = mcpproxy(dir.path())
        .args(["completions", "fish", "--json"])
        .output()
        .unwrap();
    assert!(json.status.success());
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["shell"], "fish");
    let plain = completions("fish");
    assert_eq!(
        json["script"],
        String::from_utf8(plain.stdout).unwrap().as_str()
    );
}

#[test]
fn an_unknown_shell_is_refused_with_the_choices() {
    let output = completions("tcsh");
    assert_ne!(
        output.status.code(),
        Some(i32::from(ExitCode::Success.code()))
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value 'tcsh'"), "{stderr}");
    assert!(
        stderr.contains("bash, elvish, fish, powershell, zsh"),
        "{stderr}"
    );
}

/// `man -l FILE` as a person would read it, without a pager or terminal: the text, and what
/// man or groff warned about.
fn render_man(file: &std::path::Path) -> (String, String) {
    let man = system_program("man", "man-db");
    let output = Command::new(man)
        .arg("-l")
        .arg(file)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "man -l {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        without_overstrike(&String::from_utf8_lossy(&output.stdout)),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The text of a page formatted for a teletype: bold is `X\bX`, underline `_\bX`.
fn without_overstrike(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    plain
}

#[test]
fn man_prints_a_page_that_man_renders() {
    let dir = temp_data_dir();
    let output = mcpproxy(dir.path()).arg("man").output().unwrap();
    assert!(output.status.success());
    let page = dir.path().join("mcpproxy.1");
    std::fs::write(&page, &output.stdout).unwrap();

    let (text, warnings) = render_man(&page);
    assert_eq!(warnings, "", "man warned");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SUBCOMMANDS"] {
        assert!(text.contains(section), "no {section} in:\n{text}");
    }
    assert!(text.contains("mcpproxy-upstream(1)"), "{text}");
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = temp_data_dir();
    let pages = dir.path().join("man1");
    let output = mcpproxy(dir.path())
        .args(["man", "--json", "--dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(output.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let listed: Vec<String> = listed["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();

    let mut written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    written.sort();
    assert_eq!(listed, written);
    for name in [
        "mcpproxy.1",
        "mcpproxy-upstream.1",
        "mcpproxy-upstream-add.1",
        "mcpproxy-doctor-fix.1",
        "mcpproxy-service-install.1",
    ] {
        assert!(pages.join(name).exists(), "no {name} among {written:?}");
    }
    assert!(
        !pages.join("mcpproxy-guard.1").exists(),
        "a hidden command got a page"
    );
    let (text, warnings) = render_man(&pages.join("mcpproxy-service-install.1"));
    assert_eq!(warnings, "", "man warned");
    assert!(text.contains("--no-enable"), "{text}");
    assert!(
        text.contains("mcpproxy service install"),
        "no example in:\n{text}"
    );
}
