//! The packs shipped inside the binary (`packs/` in this crate).

use crate::pack::Files;

macro_rules! pack_files {
    ($dir:literal: $($file:literal),* $(,)?) => {
        vec![$(($file.to_string(), include_str!(concat!("../packs/", $dir, "/", $file)).to_string())),*]
    };
}

/// Names of the shipped packs: RP-1 of the benchmark; the national rules over it; Zhejiang,
/// Wenzhou over those.
pub const NAMES: &[&str] = &["rp1", "national", "zhejiang-wenzhou"];

/// The files of a shipped pack.
pub fn files(name: &str) -> Option<Files> {
    match name {
        "rp1" => Some(
            pack_files!("rp1": "pack.toml", "parameters.toml", "inputs.toml", "variables.toml", "programs.toml", "tests.toml"),
        ),
        "national" => Some(
            pack_files!("national": "pack.toml", "parameters.toml", "inputs.toml", "variables.toml", "programs.toml", "tests.toml"),
        ),
        "zhejiang-wenzhou" => {
            Some(pack_files!("zhejiang-wenzhou": "pack.toml", "parameters.toml", "tests.toml"))
        }
        _ => None,
    }
}
