//! The command line of a service binary: `--help` and `--version`, nothing else —
//! settings come from `TRAVEL_*` variables. Anything else is refused with a usage
//! message (exit 2) instead of being ignored by a process that then starts serving.

/// Parses the process's arguments; returns only when there are none to act on.
pub fn command_line(name: &'static str, about: &'static str) {
    clap::Command::new(name)
        .version(env!("CARGO_PKG_VERSION"))
        .about(about)
        .after_help(
            "Configured by TRAVEL_* environment variables (README, \"Configuration\"); \
             TRAVEL_LOG sets the log level.",
        )
        .get_matches();
}
