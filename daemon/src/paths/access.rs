//! Who else could write the daemon's files. The config names commands the daemon runs as
//! its user, so a data dir or config file that another user can write is someone else's
//! way to run commands as you. Like ssh with `~/.ssh`, such a file is refused, with the
//! `chmod` that fixes it.
//!
//! Writable by others means: owned by another user (root excepted), writable by everyone, or
//! writable by a group that has members besides the owner (its listed members and the users
//! whose primary group it is, from `/etc/group` and `/etc/passwd`). A user-private group, the
//! owner alone (the usual `umask 002` setup), is fine.

use std::path::{Path, PathBuf};

/// A file or directory that another user could change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} {} {why}; another user could change what mcpproxy runs as you", path.display())]
pub struct NotPrivate {
    /// "data dir" or "config file".
    pub what: &'static str,
    pub path: PathBuf,
    /// Why, e.g. "is writable by every user (mode 0777)".
    pub why: String,
    /// The command that fixes it.
    pub fix: String,
}

impl NotPrivate {
    pub fn hint(&self) -> String {
        format!(
            "run `{}`, or use a data dir only you can write (--data-dir)",
            self.fix
        )
    }
}

/// Refuses `path` when a user other than the one running mcpproxy (and root) could write it.
/// `what` names it in the message. A path that does not exist is not refused here.
#[cfg(unix)]
pub fn check_private(path: &Path, what: &'static str) -> Result<(), NotPrivate> {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let me = rustix::process::getuid().as_raw();
    let (mode, private_mode) = (
        meta.mode() & 0o7777,
        if meta.is_dir() { "700" } else { "600" },
    );
    let refuse = |why: String, fix: String| {
        Err(NotPrivate {
            what,
            path: path.to_path_buf(),
            why,
            fix,
        })
    };
    let shown = shell_quote(path);
    if meta.uid() != me && meta.uid() != 0 {
        return refuse(
            format!("belongs to another user (uid {})", meta.uid()),
            format!("chown {me} {shown} && chmod {private_mode} {shown}"),
        );
    }
    if mode & 0o002 != 0 {
        return refuse(
            format!("is writable by every user (mode {mode:04o})"),
            format!("chmod {private_mode} {shown}"),
        );
    }
    if mode & 0o020 != 0
        && let Some(others) = other_members(meta.gid(), me)
    {
        return refuse(
            format!("is writable by group {others} (mode {mode:04o})"),
            format!("chmod g-w {shown}"),
        );
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(_path: &Path, _what: &'static str) -> Result<(), NotPrivate> {
    Ok(())
}

/// `Some(description)` when group `gid` has members other than `me`, or its members cannot
/// be known; `None` for a group of `me` alone.
#[cfg(unix)]
fn other_members(gid: u32, me: u32) -> Option<String> {
    let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
    let users = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    others_in_group(&groups, &users, gid, me)
}

/// [`other_members`] over the texts of `/etc/group` and `/etc/passwd`.
fn others_in_group(groups: &str, users: &str, gid: u32, me: u32) -> Option<String> {
    let users: Vec<(&str, u32, u32)> = users
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let uid = fields.nth(1)?.parse().ok()?;
            let primary = fields.next()?.parse().ok()?;
            Some((name, uid, primary))
        })
        .collect();
    let my_names: Vec<&str> = users
        .iter()
        .filter(|(_, uid, _)| *uid == me)
        .map(|(name, _, _)| *name)
        .collect();
    let Some((name, listed)) = groups.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let group: u32 = fields.nth(1)?.parse().ok()?;
        let members = fields.next().unwrap_or("");
        (group == gid).then_some((name, members))
    }) else {
        return Some(format!("gid {gid}, whose members cannot be checked"));
    };
    let mut others: Vec<&str> = listed
        .split(',')
        .map(str::trim)
        .filter(|member| !member.is_empty())
        .chain(
            users
                .iter()
                .filter(|(_, _, primary)| *primary == gid)
                .map(|(name, _, _)| *name),
        )
        .filter(|member| !my_names.contains(member))
        .collect();
    others.sort_unstable();
    others.dedup();
    (!others.is_empty()).then(|| {
        format!(
            "\"{name}\", which has other members ({})",
            others.join(", ")
        )
    })
}

/// A path as it would be typed in a shell.
fn shell_quote(path: &Path) -> String {
    super::shell_word(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        alice:x:1000:1000::/home/alice:/bin/sh\n\
        bob:x:1001:100::/home/bob:/bin/sh\n\
        nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n";
    const GROUP: &str =
        "root:x:0:\nalice:x:1000:\nusers:x:100:\nstaff:x:50:alice,carol\nnogroup:x:65534:\n";

    #[test]
    fn a_user_private_group_is_private() {
        assert_eq!(others_in_group(GROUP, PASSWD, 1000, 1000), None);
        assert_eq!(others_in_group(GROUP, PASSWD, 0, 0), None);
    }

    #[test]
    fn a_group_with_other_members_is_not() {
        let users = others_in_group(GROUP, PASSWD, 100, 1000).unwrap_or_default();
        assert!(
            users.contains("\"users\"") && users.contains("bob"),
            "{users}"
        );
        let staff = others_in_group(GROUP, PASSWD, 50, 1000).unwrap_or_default();
        assert!(
            staff.contains("carol") && !staff.contains("alice"),
            "{staff}"
        );
        let nogroup = others_in_group(GROUP, PASSWD, 65534, 0).unwrap_or_default();
        assert!(nogroup.contains("nobody"), "{nogroup}");
        let unknown = others_in_group(GROUP, PASSWD, 4242, 1000).unwrap_or_default();
        assert!(unknown.contains("cannot be checked"), "{unknown}");
    }

    #[cfg(unix)]
    #[test]
    fn a_world_writable_dir_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let set = |mode| {
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("{e}"));
        };
        set(0o700);
        assert_eq!(check_private(dir.path(), "data dir"), Ok(()));
        set(0o777);
        let refused = check_private(dir.path(), "data dir").unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("writable by every user (mode 0777)")
        );
        assert_eq!(refused.fix, format!("chmod 700 {}", dir.path().display()));
        set(0o700);
    }
}
