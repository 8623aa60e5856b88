//! Runs the plan's steps through the client, one at a time, recording each
//! in the state file once Notion has answered.
//!
//! A write whose answer never came (a 5xx, a dropped connection, or a kill
//! between the answer and the state file) may or may not have been made.
//! Before such a write is sent again, the upload reads what its target
//! holds: a page's or block's children (the upload's own writes are the
//! only ones there, so their number tells whether the write landed, and the
//! last ones are the blocks it created), a data source's rows (one the state
//! does not know is the row created), a database's data sources. A write
//! that landed is adopted; one that did not is sent again.

use std::collections::HashSet;
use std::time::Duration;

use futures::TryStreamExt;
use notion_source::client::{ClientError, DataSourceQuery, NotionClient};
use notion_source::model::{Block, BlockKind, SearchResult};

use crate::body::Bodies;
use crate::convert::{Key, Parent, UploadTree};
use crate::error::UploadError;
use crate::plan::{Plan, ROOT, Step};
use crate::state::State;

/// Attempts of one step whose answer is lost before the upload gives up.
const MAX_ATTEMPTS: u32 = 6;

/// Ids a step learned: key → Notion id.
type Learned = Vec<(Key, String)>;

pub(crate) struct Executor<'a> {
    pub client: &'a NotionClient,
    pub tree: &'a UploadTree,
    pub plan: &'a Plan,
    pub state: State,
}

impl Executor<'_> {
    /// Runs the steps from the state's `done` on. `resumed`: the state came
    /// from an earlier run, whose last write may have landed unrecorded.
    pub async fn run(&mut self, resumed: bool) -> Result<(), UploadError> {
        let start = self.state.done;
        for k in start..self.plan.steps.len() {
            let step = &self.plan.steps[k];
            let landed = if resumed && k == start && step.creates() {
                self.check(k).await?
            } else {
                None
            };
            let learned = match landed {
                Some(learned) => {
                    tracing::info!(
                        step = k,
                        "a write of the interrupted run had landed: adopted"
                    );
                    learned
                }
                None => self.attempt(k).await?,
            };
            self.state.record(learned)?;
        }
        Ok(())
    }

    /// Sends a step; after a lost answer, checks whether it landed, and
    /// sends it again if it did not.
    async fn attempt(&self, k: usize) -> Result<Learned, UploadError> {
        let step = &self.plan.steps[k];
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.send(step).await {
                Ok(learned) => return Ok(learned),
                Err(Failure::Conflict { expected, found }) => {
                    return Err(self.conflict(k, expected, found));
                }
                Err(Failure::Client(e)) if lost_answer(&e) && attempts < MAX_ATTEMPTS => {
                    tracing::warn!(step = k, error = %e, "answer lost: checking whether the write landed");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempts))).await;
                    if step.creates()
                        && let Some(learned) = self.check(k).await?
                    {
                        return Ok(learned);
                    }
                }
                Err(Failure::Client(source)) => {
                    return Err(UploadError::Request {
                        step: k,
                        what: step.describe(),
                        source,
                    });
                }
            }
        }
    }

    fn bodies(&self) -> Bodies<'_> {
        Bodies {
            tree: self.tree,
            ids: &self.state.ids,
            root: &self.state.header.parent,
        }
    }

    fn id(&self, key: &str) -> Result<String, Failure> {
        self.bodies()
            .id(key)
            .map(str::to_string)
            .ok_or_else(|| Failure::Conflict {
                expected: format!("the id of {key} from an earlier step"),
                found: "none in the state file".into(),
            })
    }

    /// Sends one step and returns the ids it learned.
    async fn send(&self, step: &Step) -> Result<Learned, Failure> {
        let bodies = self.bodies();
        let client = self.client;
        Ok(match step {
            Step::CreatePage {
                page,
                parent,
                children,
                omit,
                ..
            } => {
                let created = client
                    .create_page(&bodies.create_page(page, parent, children, omit))
                    .await?;
                vec![(page.clone(), created.id)]
            }
            Step::CreateDatabase {
                db, parent, omit, ..
            } => {
                let created = client
                    .create_database(&bodies.create_database(db, parent, omit))
                    .await?;
                self.database_ids(db, &created)
            }
            Step::CreateDataSource { ds, db, omit, .. } => {
                let created = client
                    .create_data_source(&bodies.create_data_source(ds, db, omit))
                    .await?;
                vec![(ds.clone(), created.id)]
            }
            Step::RenameDataSource { ds } => {
                client
                    .update_data_source(&self.id(ds)?, &bodies.rename_data_source(ds))
                    .await?;
                Vec::new()
            }
            Step::AddProperties { ds, props } => {
                client
                    .update_data_source(&self.id(ds)?, &bodies.add_properties(ds, props))
                    .await?;
                Vec::new()
            }
            Step::Append {
                container,
                children,
                ..
            } => {
                let answer = client
                    .append_block_children(&self.id(container)?, &bodies.append(children))
                    .await?;
                if answer.results.len() != children.len() {
                    return Err(Failure::Conflict {
                        expected: format!("{} new blocks in the answer", children.len()),
                        found: answer.results.len().to_string(),
                    });
                }
                children
                    .iter()
                    .map(|c| c.key.clone())
                    .zip(answer.results.into_iter().map(|b| b.id.clone()))
                    .collect()
            }
            Step::ReadChildren {
                container,
                children,
            } => {
                let listed = self.children_of(container).await?;
                if listed.len() != children.len() {
                    return Err(Failure::Conflict {
                        expected: format!("{} children", children.len()),
                        found: listed.len().to_string(),
                    });
                }
                let mut learned = Vec::new();
                for (key, block) in children.iter().zip(listed) {
                    match self.state.ids.get(key) {
                        Some(id) if *id != block.id => {
                            return Err(Failure::Conflict {
                                expected: format!("{key} as {id}"),
                                found: block.id.clone(),
                            });
                        }
                        _ => learned.push((key.clone(), block.id.clone())),
                    }
                }
                learned
            }
            Step::PatchBlock { block } => {
                client
                    .update_block(&self.id(block)?, &bodies.patch_block(block))
                    .await?;
                Vec::new()
            }
            Step::SetRelations { page, props } => {
                client
                    .update_page(&self.id(page)?, &bodies.set_relations(page, props))
                    .await?;
                Vec::new()
            }
        })
    }

    /// Whether a creating step landed: `Some(ids)` when it did.
    async fn check(&self, k: usize) -> Result<Option<Learned>, UploadError> {
        let found = self.check_step(&self.plan.steps[k]).await;
        match found {
            Ok(found) => Ok(found),
            Err(Failure::Conflict { expected, found }) => Err(self.conflict(k, expected, found)),
            Err(Failure::Client(source)) => Err(UploadError::Request {
                step: k,
                what: format!(
                    "check whether \"{}\" was made",
                    self.plan.steps[k].describe()
                ),
                source,
            }),
        }
    }

    async fn check_step(&self, step: &Step) -> Result<Option<Learned>, Failure> {
        match step {
            Step::CreatePage {
                page,
                parent: Parent::DataSource(ds),
                ..
            } => {
                let known: HashSet<&String> = self.state.ids.values().collect();
                let rows: Vec<SearchResult> = self
                    .client
                    .query_data_source_all(&self.id(ds)?, DataSourceQuery::default())
                    .try_collect()
                    .await?;
                let new: Vec<String> = rows
                    .into_iter()
                    .filter_map(|r| match r {
                        SearchResult::Page(p) if !known.contains(&p.id) => Some(p.id),
                        _ => None,
                    })
                    .collect();
                match new.as_slice() {
                    [] => Ok(None),
                    [one] => Ok(Some(vec![(page.clone(), one.clone())])),
                    _ => Err(Failure::Conflict {
                        expected: "at most one row the upload does not know".into(),
                        found: format!("{} rows", new.len()),
                    }),
                }
            }
            Step::CreatePage {
                page,
                parent,
                before,
                ..
            } => {
                let host = parent_key(parent);
                match self.new_children(&host, *before, 1).await? {
                    Some(blocks) if matches!(blocks[0].kind, BlockKind::ChildPage(_)) => {
                        Ok(Some(vec![(page.clone(), blocks[0].id.clone())]))
                    }
                    Some(blocks) => Err(Failure::Conflict {
                        expected: "a new child page".into(),
                        found: format!("a {} block", blocks[0].kind.type_name()),
                    }),
                    None => Ok(None),
                }
            }
            Step::CreateDatabase {
                db, parent, before, ..
            } => {
                let host = parent_key(parent);
                match self.new_children(&host, *before, 1).await? {
                    Some(blocks) => {
                        let database = self.client.retrieve_database(&blocks[0].id).await?;
                        Ok(Some(self.database_ids(db, &database)))
                    }
                    None => Ok(None),
                }
            }
            Step::CreateDataSource { ds, db, before, .. } => {
                let database = self.client.retrieve_database(&self.id(db)?).await?;
                match database.data_sources.len() {
                    n if n == *before => Ok(None),
                    n if n == *before + 1 => Ok(Some(vec![(
                        ds.clone(),
                        database.data_sources[n - 1].id.clone(),
                    )])),
                    n => Err(Failure::Conflict {
                        expected: format!("{} or {} data sources", before, before + 1),
                        found: n.to_string(),
                    }),
                }
            }
            Step::Append {
                container,
                children,
                before,
            } => Ok(self
                .new_children(container, *before, children.len())
                .await?
                .map(|blocks| {
                    children
                        .iter()
                        .map(|c| c.key.clone())
                        .zip(blocks.into_iter().map(|b| b.id.clone()))
                        .collect()
                })),
            _ => Ok(None),
        }
    }

    /// The children a container gained: `None` when it holds `before`,
    /// the last `added` when it holds `before + added`, else a conflict.
    async fn new_children(
        &self,
        container: &Key,
        before: usize,
        added: usize,
    ) -> Result<Option<Vec<Block>>, Failure> {
        let before = before
            + if container == ROOT {
                self.state.header.parent_children
            } else {
                0
            };
        let mut listed = self.children_of(container).await?;
        match listed.len() {
            n if n == before => Ok(None),
            n if n == before + added => Ok(Some(listed.split_off(before))),
            n => Err(Failure::Conflict {
                expected: format!(
                    "{before} or {} children in {}",
                    before + added,
                    container_name(container)
                ),
                found: n.to_string(),
            }),
        }
    }

    async fn children_of(&self, container: &Key) -> Result<Vec<Block>, Failure> {
        Ok(self
            .client
            .block_children_all(&self.id(container)?)
            .try_collect()
            .await?)
    }

    /// The database's and its first data source's ids.
    fn database_ids(&self, db: &Key, created: &notion_source::model::Database) -> Learned {
        let mut learned = vec![(db.clone(), created.id.clone())];
        if let (Some(first), Some(source)) = (
            self.tree.databases[db].sources.first(),
            created.data_sources.first(),
        ) {
            learned.push((first.key.clone(), source.id.clone()));
        }
        learned
    }

    fn conflict(&self, k: usize, expected: String, found: String) -> UploadError {
        UploadError::Conflict {
            step: k,
            what: self.plan.steps[k].describe(),
            expected,
            found,
        }
    }
}

/// A failed step: the client's error, or an answer the upload did not expect.
enum Failure {
    Client(ClientError),
    Conflict { expected: String, found: String },
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Client(e)
    }
}

/// A failure after which the write may have been made: a 5xx, or no answer.
fn lost_answer(e: &ClientError) -> bool {
    matches!(e, ClientError::Transport { .. }) || matches!(e.status(), Some(500 | 502 | 503 | 504))
}

fn parent_key(parent: &Parent) -> Key {
    match parent {
        Parent::Root => ROOT.to_string(),
        Parent::Page(p) | Parent::DataSource(p) => p.clone(),
    }
}

fn container_name(key: &str) -> &str {
    if key == ROOT { "the parent page" } else { key }
}
