//! The launchd agent (macOS).

use std::path::Path;

use super::Service;

pub const LABEL: &str = "com.mcpproxy.daemon";

pub fn plist(service: &Service) -> String {
    let args: String = service
        .args()
        .iter()
        .map(|arg| format!("    <string>{}</string>\n", escape(arg)))
        .collect();
    let stderr = service.data_dir.join("daemon.stderr");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <!-- Written by `mcpproxy service install`; `mcpproxy service uninstall` removes it. -->\n\
         <plist version=\"1.0\">\n\
         <dict>\n\
         \x20 <key>Label</key>\n\
         \x20 <string>{LABEL}</string>\n\
         \x20 <key>ProgramArguments</key>\n\
         \x20 <array>\n\
         {args}\
         \x20 </array>\n\
         \x20 <key>RunAtLoad</key>\n\
         \x20 <true/>\n\
         \x20 <key>KeepAlive</key>\n\
         \x20 <dict>\n\
         \x20   <key>SuccessfulExit</key>\n\
         \x20   <false/>\n\
         \x20 </dict>\n\
         \x20 <key>ThrottleInterval</key>\n\
         \x20 <integer>5</integer>\n\
         \x20 <key>StandardErrorPath</key>\n\
         \x20 <string>{}</string>\n\
         </dict>\n\
         </plist>\n",
        escape(&stderr.display().to_string())
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `gui/UID`, the domain of the logged-in user's agents.
fn domain() -> String {
    #[cfg(unix)]
    let uid = rustix::process::getuid().as_raw();
    #[cfg(not(unix))]
    let uid = 0;
    format!("gui/{uid}")
}

pub fn enable(path: &Path) -> Vec<String> {
    vec![
        "launchctl".to_owned(),
        "bootstrap".to_owned(),
        domain(),
        path.display().to_string(),
    ]
}

pub fn disable(path: &Path) -> Vec<String> {
    vec![
        "launchctl".to_owned(),
        "bootout".to_owned(),
        domain(),
        path.display().to_string(),
    ]
}

/// `launchctl print` succeeds only for a loaded agent.
pub fn state() -> Result<String, String> {
    let output = std::process::Command::new("launchctl")
        .args(["print", &format!("{}/{LABEL}", domain())])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run launchctl: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Ok("not loaded".to_owned());
    }
    let state = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("state = "))
        .unwrap_or("loaded");
    Ok(state.to_owned())
}
