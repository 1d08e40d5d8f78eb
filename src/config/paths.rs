//! Standard locations (XDG on Linux, the platform's equivalents elsewhere).

use std::path::PathBuf;

use directories::ProjectDirs;

/// Name of the config file inside the config dir.
pub const CONFIG_FILE: &str = "config.toml";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("it", "INPS", "combipat")
}

/// The config dir (`~/.config/combipat` on Linux), holding `config.toml`, `keymap.toml` and
/// `themes/`. `None` when the platform gives no home directory.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// The default data dir (`~/.local/share/combipat` on Linux) for the embedded service.
pub fn data_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// `config_dir()/config.toml`.
pub fn default_config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(CONFIG_FILE))
}
