//! The process tree, read from `/proc`: what a daemon started, and whether it still runs.

/// One process as `/proc` shows it.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub cmd: String,
}

fn read_proc(pid: u32) -> Option<(Proc, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            String::from_utf8_lossy(&raw)
                .replace('\0', " ")
                .trim()
                .to_owned()
        })
        .unwrap_or_default();
    Some((Proc { pid, ppid, cmd }, state))
}

fn all() -> Vec<(Proc, char)> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read_proc)
        .collect()
}

/// Every living descendant of `root` (children, grandchildren, ...).
pub fn process_tree(root: u32) -> Vec<Proc> {
    let procs: Vec<Proc> = all()
        .into_iter()
        .filter(|(_, s)| *s != 'Z')
        .map(|(p, _)| p)
        .collect();
    let mut tree = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for p in procs.iter().filter(|p| p.ppid == parent) {
            frontier.push(p.pid);
            tree.push(p.clone());
        }
    }
    tree
}

/// True while the process exists and has not exited (a zombie counts as exited).
pub fn process_alive(pid: u32) -> bool {
    read_proc(pid).is_some_and(|(_, state)| state != 'Z' && state != 'X')
}
