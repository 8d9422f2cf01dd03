//! What `/proc` says about processes: start times (to tell a pid from its reuse) and the
//! living members of a process group. Linux only; elsewhere the answers fall back to
//! `kill(pid, 0)`.

/// A process's start time in clock ticks since boot (`/proc/PID/stat` field 22).
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    fields_after_comm(&stat)?.nth(19)?.parse().ok()
}

/// True while the process exists and has not exited (a zombie, not yet reaped by its
/// parent, has exited). Falls back to `kill(pid, 0)` where `/proc` is missing.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => fields_after_comm(&stat)
            .and_then(|mut fields| fields.next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) if std::path::Path::new("/proc/self").exists() => false,
        Err(_) => rustix::process::Pid::from_raw(pid)
            .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok()),
    }
}

/// Pids of the group's members that have not exited (zombies excluded).
pub fn living_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return fallback_members(pgid);
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            state_parent_group(*pid)
                .is_some_and(|(state, _, group)| group == pgid && state != "Z" && state != "X")
        })
        .collect()
}

/// Children of `parent` that have exited and wait to be reaped (zombies).
pub fn exited_children(parent: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Some((state, ppid, _)) = state_parent_group(*pid) else {
                return false;
            };
            state == "Z" && ppid == parent
        })
        .collect()
}

/// A process's state letter, parent and process group, from `/proc/PID/stat`.
fn state_parent_group(pid: i32) -> Option<(String, i32, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = fields_after_comm(&stat)?;
    let state = fields.next()?.to_owned();
    let ppid = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some((state, ppid, group))
}

/// True while any member of the group is alive. `kill(-pgid, 0)` answers an empty group
/// cheaply; only a group that still has members (perhaps only zombies) costs a `/proc` scan.
pub fn group_alive(pgid: i32) -> bool {
    let has_members = rustix::process::Pid::from_raw(pgid)
        .is_some_and(|pid| rustix::process::test_kill_process_group(pid).is_ok());
    has_members && !living_members(pgid).is_empty()
}

/// The fields after `pid (comm)`; comm may itself hold spaces and parentheses.
fn fields_after_comm(stat: &str) -> Option<std::str::SplitWhitespace<'_>> {
    let (_, rest) = stat.rsplit_once(") ")?;
    Some(rest.split_whitespace())
}

fn fallback_members(pgid: i32) -> Vec<i32> {
    rustix::process::Pid::from_raw(pgid)
        .filter(|pid| rustix::process::test_kill_process_group(*pid).is_ok())
        .map(|_| vec![pgid])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_process() {
        let me = i32::try_from(std::process::id()).unwrap();
        assert!(start_time(me).is_some());
        let group = rustix::process::getpgrp().as_raw_nonzero().get();
        assert!(living_members(group).contains(&me));
        assert!(start_time(i32::MAX).is_none());
    }
}
