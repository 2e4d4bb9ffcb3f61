//! Table layout: the tables, keys and index `ensure_schema` creates or checks, and the
//! TTL it enables.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableDescription, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};

use super::DynamoSelectionStore;
use super::error::{build_error, sdk_error};
use crate::{Result, SelectionStoreError};

/// The global secondary index of selections by country and day.
pub const COUNTRY_DATE_INDEX: &str = "country-date-index";
/// The TTL attribute of raw selections (unix seconds).
pub const TTL_ATTRIBUTE: &str = "expires_at";
/// How long `ensure_schema` waits for created tables to become ACTIVE.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(300);

/// A table's key layout: what `ensure_schema` creates and checks, and what the JSON
/// definitions in `deploy/dynamodb/` must say.
#[derive(Debug)]
pub struct TableSpec {
    /// (attribute, scalar type) of every key attribute, indexes included.
    pub attributes: &'static [(&'static str, &'static str)],
    /// (attribute, HASH or RANGE), in order.
    pub key: &'static [(&'static str, &'static str)],
    pub indexes: &'static [IndexSpec],
}

#[derive(Debug)]
pub struct IndexSpec {
    pub name: &'static str,
    pub key: &'static [(&'static str, &'static str)],
    pub projection: &'static str,
}

pub const SELECTIONS_TABLE: TableSpec = TableSpec {
    attributes: &[
        ("selection_date", "S"),
        ("selection_timestamp_userid", "S"),
        ("country_code", "S"),
    ],
    key: &[
        ("selection_date", "HASH"),
        ("selection_timestamp_userid", "RANGE"),
    ],
    indexes: &[IndexSpec {
        name: COUNTRY_DATE_INDEX,
        key: &[("country_code", "HASH"), ("selection_date", "RANGE")],
        projection: "ALL",
    }],
};

pub const RESULTS_TABLE: TableSpec = TableSpec {
    attributes: &[("period", "S")],
    key: &[("period", "HASH")],
    indexes: &[],
};

impl DynamoSelectionStore {
    /// The table's description, `None` when it does not exist.
    pub(super) async fn describe(&self, table: &str) -> Result<Option<TableDescription>> {
        match self.client.describe_table().table_name(table).send().await {
            Ok(output) => Ok(output.table),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(error) => Err(sdk_error(&format!("DescribeTable {table}"), error)),
        }
    }

    pub(super) async fn create(&self, table: &str, spec: &TableSpec) -> Result<()> {
        let indexes = spec
            .indexes
            .iter()
            .map(|index| {
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(index.key)?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(index.projection))
                            .build(),
                    )
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>>>()?;
        let attributes = spec
            .attributes
            .iter()
            .map(|(name, kind)| {
                AttributeDefinition::builder()
                    .attribute_name(*name)
                    .attribute_type(ScalarAttributeType::from(*kind))
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>>>()?;
        let result = self
            .client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(spec.key)?))
            .set_global_secondary_indexes((!indexes.is_empty()).then_some(indexes))
            .send()
            .await;
        match result {
            Ok(_) => {
                tracing::info!(table, "created DynamoDB table");
                Ok(())
            }
            // Another replica or test created it meanwhile: wait for it like for ours.
            Err(error) if error.code() == Some("ResourceInUseException") => Ok(()),
            Err(error) => Err(sdk_error(&format!("CreateTable {table}"), error)),
        }
    }

    /// Polls until the table and its indexes are ACTIVE.
    pub(super) async fn wait_active(&self, table: &str) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Some(description) = self.describe(table).await?
                && description.table_status() == Some(&TableStatus::Active)
                && description
                    .global_secondary_indexes()
                    .iter()
                    .all(|index| index.index_status() == Some(&IndexStatus::Active))
            {
                return Ok(());
            }
            if started.elapsed() > ACTIVE_TIMEOUT {
                return Err(SelectionStoreError::Unavailable(format!(
                    "DynamoDB table {table} did not become ACTIVE within {ACTIVE_TIMEOUT:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Enables TTL on `expires_at` unless it is already on (or being switched on).
    pub(super) async fn enable_ttl(&self) -> Result<()> {
        let table = &self.selections_table;
        if self.ttl_enabled().await? {
            return Ok(());
        }
        let specification = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(build_error)?;
        let result = self
            .client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(specification)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A concurrent start-up may have enabled it between our two calls.
            Err(error) => match self.ttl_enabled().await {
                Ok(true) => Ok(()),
                _ => Err(sdk_error(&format!("UpdateTimeToLive {table}"), error)),
            },
        }
    }

    async fn ttl_enabled(&self) -> Result<bool> {
        let table = &self.selections_table;
        let output = self
            .client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(|e| sdk_error(&format!("DescribeTimeToLive {table}"), e))?;
        let Some(description) = output.time_to_live_description() else {
            return Ok(false);
        };
        let on = matches!(
            description.time_to_live_status(),
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        );
        match description.attribute_name() {
            Some(attribute) if on && attribute != TTL_ATTRIBUTE => {
                Err(SelectionStoreError::Config(format!(
                    "DynamoDB table {table} expires items by {attribute:?}, expected {TTL_ATTRIBUTE:?}"
                )))
            }
            _ => Ok(on),
        }
    }
}

fn key_schema(key: &[(&str, &str)]) -> Result<Vec<KeySchemaElement>> {
    key.iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(*name)
                .key_type(KeyType::from(*kind))
                .build()
                .map_err(build_error)
        })
        .collect()
}

/// Refuses an existing table whose keys differ from the layout: every read and write
/// would fail or, worse, land somewhere else.
pub(super) fn check_layout(
    table: &str,
    spec: &TableSpec,
    description: &TableDescription,
) -> Result<()> {
    let keys = |schema: &[KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_string(),
                    k.key_type().as_str().to_string(),
                )
            })
            .collect()
    };
    let wanted = |key: &[(&str, &str)]| -> Vec<(String, String)> {
        key.iter()
            .map(|(name, kind)| (name.to_string(), kind.to_string()))
            .collect()
    };
    if keys(description.key_schema()) != wanted(spec.key) {
        return Err(SelectionStoreError::Config(format!(
            "DynamoDB table {table:?} has key schema {:?}, expected {:?}",
            keys(description.key_schema()),
            wanted(spec.key)
        )));
    }
    for index in spec.indexes {
        let found = description
            .global_secondary_indexes()
            .iter()
            .find(|i| i.index_name() == Some(index.name));
        match found {
            Some(found) if keys(found.key_schema()) == wanted(index.key) => {}
            _ => {
                return Err(SelectionStoreError::Config(format!(
                    "DynamoDB table {table:?} lacks the index {} on {:?}",
                    index.name, index.key
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::SelectionStoreConfig;

    /// (name, key schema, projection type) of a global secondary index.
    type Index = (String, Vec<(String, String)>, String);

    /// The definitions in `deploy/dynamodb/` (for `aws dynamodb create-table
    /// --cli-input-json`) must describe exactly what `ensure_schema` creates.
    fn check_definition(file: &str, table: &str, spec: &TableSpec) {
        let path = format!(
            "{}/../../deploy/dynamodb/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let pairs = |value: &Value, a: &str, b: &str| -> Vec<(String, String)> {
            value
                .as_array()
                .unwrap_or_else(|| panic!("{path}: expected an array, got {value}"))
                .iter()
                .map(|entry| {
                    (
                        entry[a].as_str().unwrap().into(),
                        entry[b].as_str().unwrap().into(),
                    )
                })
                .collect()
        };
        let owned = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };

        assert_eq!(json["TableName"], table, "{path}: TableName");
        assert_eq!(
            json["BillingMode"], "PAY_PER_REQUEST",
            "{path}: BillingMode"
        );
        assert_eq!(
            pairs(&json["KeySchema"], "AttributeName", "KeyType"),
            owned(spec.key),
            "{path}: KeySchema"
        );
        assert_eq!(
            pairs(
                &json["AttributeDefinitions"],
                "AttributeName",
                "AttributeType"
            )
            .into_iter()
            .collect::<BTreeSet<_>>(),
            owned(spec.attributes).into_iter().collect::<BTreeSet<_>>(),
            "{path}: AttributeDefinitions"
        );
        let indexes: Vec<Index> = json
            .get("GlobalSecondaryIndexes")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|index| {
                        (
                            index["IndexName"].as_str().unwrap().to_string(),
                            pairs(&index["KeySchema"], "AttributeName", "KeyType"),
                            index["Projection"]["ProjectionType"]
                                .as_str()
                                .unwrap()
                                .to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let wanted: Vec<_> = spec
            .indexes
            .iter()
            .map(|index| {
                (
                    index.name.to_string(),
                    owned(index.key),
                    index.projection.to_string(),
                )
            })
            .collect();
        assert_eq!(indexes, wanted, "{path}: GlobalSecondaryIndexes");
    }

    #[test]
    fn deploy_definitions_match_the_created_tables() {
        let defaults = SelectionStoreConfig::new("dynamodb://".parse().unwrap());
        check_definition(
            "travel_destination_selections.json",
            &defaults.selections_table,
            &SELECTIONS_TABLE,
        );
        check_definition(
            "RankingResults.json",
            &defaults.results_table,
            &RESULTS_TABLE,
        );
    }

    #[test]
    fn key_attributes_are_defined_and_only_those() {
        for spec in [&SELECTIONS_TABLE, &RESULTS_TABLE] {
            let keyed: BTreeSet<&str> = spec
                .key
                .iter()
                .chain(spec.indexes.iter().flat_map(|i| i.key.iter()))
                .map(|(name, _)| *name)
                .collect();
            let defined: BTreeSet<&str> = spec.attributes.iter().map(|(name, _)| *name).collect();
            // CreateTable rejects definitions of attributes that are not keys.
            assert_eq!(keyed, defined);
        }
    }
}
