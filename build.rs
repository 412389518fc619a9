//! Sets `cfg(ksync_tansu)` when the tests that need the tansu broker can
//! run, so that elsewhere they are *ignored* (and shown as such by the test
//! runner, with the reason) instead of returning early and counting as
//! passes. Nothing in the library depends on it.
//!
//! On when `CI` is set (CI must run them all: a missing tansu then fails
//! them loudly), when `TANSU_BIN` is set, or when tansu is installed where
//! `scripts/test.sh` puts it (`~/.cache/ksync/tansu/bin/tansu`). Changes to
//! `CI` and `TANSU_BIN` rerun this script, and so does tansu appearing
//! under `~/.cache/ksync/tansu`. (A path that does not exist is not
//! watched: cargo would rerun the script, and rebuild the crate, on every
//! build.)

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ksync_tansu)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-env-changed=TANSU_BIN");
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let ci = var("CI").is_some_and(|v| v != "false" && v != "0");
    let explicit = var("TANSU_BIN").map(PathBuf::from);
    let installed = var("HOME").map(|h| PathBuf::from(h).join(".cache/ksync/tansu"));
    let default_bin = installed.as_ref().map(|d| d.join("bin/tansu"));
    if let Some(bin) = explicit.as_deref().filter(|p| p.exists()) {
        watch(bin);
    }
    if let (Some(dir), Some(bin)) = (&installed, &default_bin) {
        // The nearest of the binary, its directory and the install root
        // that exists (all small).
        if let Some(p) = [bin.as_path(), &dir.join("bin"), dir.as_path()]
            .into_iter()
            .find(|p| p.exists())
        {
            watch(p);
        }
    }
    if ci || explicit.is_some() || default_bin.is_some_and(|b| b.exists()) {
        println!("cargo::rustc-cfg=ksync_tansu");
    }
}

fn watch(p: &Path) {
    println!("cargo::rerun-if-changed={}", p.display());
}
