//! Migrations embedded in the binary without sqlx's `migrate!` proc macro.
//!
//! `migrate!` needs sqlx's `macros` feature, which builds a second copy of the
//! MySQL and SQLite drivers (and SQLite's C sources) for the compiler host: about
//! two minutes of a cold build on two cores. The files are embedded with
//! `include_str!` instead ([`embedded_migrations!`]) and resolved exactly as sqlx
//! resolves a migrations folder (version, description, type, checksum, the
//! `-- no-transaction` opt-out), so databases migrated before keep their history.
//! A test resolves each list and its folder with sqlx and compares them, so a file
//! left out of a list fails it.

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::SqlSafeStr;
use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

/// A migration file's name and contents.
pub type Embedded = (&'static str, &'static str);

/// The `(file name, contents)` pairs of migration files in a folder of the calling
/// crate, e.g. `embedded_migrations!("migrations/mysql": "20261127000001_initial.sql")`.
#[macro_export]
macro_rules! embedded_migrations {
    ($dir:literal: $($file:literal),+ $(,)?) => {
        &[$((
            $file,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", $file)),
        )),+]
    };
}

#[derive(Debug)]
struct Files(&'static [Embedded]);

impl MigrationSource<'static> for Files {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { resolve(self.0) })
    }
}

/// `<VERSION>_<DESCRIPTION>[.up|.down].sql`, as sqlx reads a folder.
fn resolve(files: &[Embedded]) -> Result<Vec<Migration>, BoxDynError> {
    let mut migrations = Vec::with_capacity(files.len());
    for (name, sql) in files {
        let (version, rest) = name
            .split_once('_')
            .filter(|(_, rest)| rest.ends_with(".sql"))
            .ok_or_else(|| format!("migration file {name:?} is not <VERSION>_<NAME>.sql"))?;
        let version: i64 = version
            .parse()
            .map_err(|_| format!("migration file {name:?} has no integer version"))?;
        let kind = MigrationType::from_filename(rest);
        let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
        migrations.push(Migration::new(
            version,
            Cow::Owned(description),
            kind,
            sql.into_sql_str(),
            sql.starts_with("-- no-transaction"),
        ));
    }
    migrations.sort();
    Ok(migrations)
}

/// The migrator of embedded files.
pub async fn migrator(files: &'static [Embedded]) -> Result<Migrator, MigrateError> {
    Migrator::new(Files(files)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolves_as_sqlx_resolves_a_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (dir, files) in [
            ("migrations/mysql", crate::mysql::MIGRATIONS),
            ("migrations/sqlite", crate::sqlite::MIGRATIONS),
        ] {
            let embedded = migrator(files).await.unwrap();
            let from_folder = Migrator::new(root.join(dir)).await.unwrap();
            let key = |m: &Migration| {
                (
                    m.version,
                    m.description.to_string(),
                    m.checksum.to_vec(),
                    m.no_tx,
                    m.migration_type.label(),
                )
            };
            let embedded: Vec<_> = embedded.iter().map(key).collect();
            let folder: Vec<_> = from_folder.iter().map(key).collect();
            assert_eq!(embedded, folder, "{dir}: every file, resolved alike");
            assert!(!embedded.is_empty());
        }
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(resolve(&[("initial.sql", "")]).is_err());
        assert!(resolve(&[("v1_initial.sql", "")]).is_err());
        assert!(resolve(&[("1_initial.txt", "")]).is_err());
        let ok = resolve(&[("2_b_c.sql", "-- no-transaction\nx"), ("1_a.sql", "y")]).unwrap();
        assert_eq!(ok[0].version, 1);
        assert_eq!(ok[1].description, "b c");
        assert!(ok[1].no_tx);
    }
}
