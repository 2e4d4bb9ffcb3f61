//! The feed inside one process (the all-in-one): the hub alone.

use travel_domain::Quote;

use crate::hub::{Hub, Watch};
use crate::{QuoteFeed, Result};

#[derive(Default)]
pub struct MemoryFeed {
    hub: Hub,
}

impl MemoryFeed {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl QuoteFeed for MemoryFeed {
    async fn announce(&self, quotes: &[Quote]) -> Result<()> {
        self.hub.apply(quotes);
        Ok(())
    }

    fn watch(&self) -> Watch {
        self.hub.watch()
    }
}
