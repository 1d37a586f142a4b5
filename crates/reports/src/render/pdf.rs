//! PDF: the HTML page printed by headless Chromium (the page's print stylesheet lays it out).
//! Chromium runs without network access to anything but the local file, with a time limit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{Error, Result};

/// Longest a print may take.
const PRINT_TIMEOUT: Duration = Duration::from_secs(120);

/// Chromium or Chrome: the configured path, else the first of the usual names on `PATH`.
pub fn find_chromium(configured: &str) -> Option<PathBuf> {
    if !configured.is_empty() {
        return Some(PathBuf::from(configured));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Print `html` to PDF with the Chromium at `configured` (or found on `PATH`).
pub async fn pdf(configured: &str, html: &str) -> Result<Vec<u8>> {
    let chromium = find_chromium(configured)
        .ok_or_else(|| Error::Print("PDF needs Chromium or Chrome: install it or set [reports] chromium".into()))?;
    let dir = std::env::temp_dir().join(format!("duluan-pdf-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Print(format!("cannot make {}: {e}", dir.display())))?;
    let result = print_in(&chromium, &dir, html).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn print_in(chromium: &Path, dir: &Path, html: &str) -> Result<Vec<u8>> {
    let page = dir.join("report.html");
    let out = dir.join("report.pdf");
    std::fs::write(&page, html).map_err(|e| Error::Print(format!("cannot write {}: {e}", page.display())))?;
    let mut command = tokio::process::Command::new(chromium);
    command
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--no-pdf-header-footer", "--disable-extensions"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let run = command.status();
    let status = match tokio::time::timeout(PRINT_TIMEOUT, run).await {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return Err(Error::Print(format!("cannot run {}: {e}", chromium.display()))),
        Err(_) => return Err(Error::Print(format!("{} took over {PRINT_TIMEOUT:?}", chromium.display()))),
    };
    let bytes = std::fs::read(&out).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF-") {
        return Err(Error::Print(format!("{} could not print the report ({status})", chromium.display())));
    }
    Ok(bytes)
}

/// A number not used before in this process, for temporary names.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_path_wins() {
        assert_eq!(find_chromium("/opt/chrome/chrome"), Some(PathBuf::from("/opt/chrome/chrome")));
    }

    #[tokio::test]
    async fn a_missing_browser_is_a_clear_error() {
        let e = pdf("/nonexistent/chromium", "<p>x</p>").await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("cannot run /nonexistent/chromium"), "{e}");
    }
}
