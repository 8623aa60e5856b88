//! Why an upload stopped. Every step done before the error is recorded in
//! the state file, so running the upload again resumes after it.

use std::path::PathBuf;

use notion_source::ClientError;

/// An upload that could not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The parent given is not a page id or URL.
    #[error("{given:?} is not a Notion page id or URL")]
    ParentId {
        /// What was given.
        given: String,
    },
    /// The page to upload under cannot be read (wrong id, not shared with the integration).
    #[error("cannot read the parent page {id}: {source}")]
    Parent {
        /// The id given.
        id: String,
        /// Notion's answer.
        source: ClientError,
    },
    /// A request of the upload failed for good.
    #[error("step {step} of the upload ({what}) failed: {source}")]
    Request {
        /// The step's number in the plan.
        step: usize,
        /// What the step does.
        what: String,
        /// The client's error (Notion's status, code, message and request id).
        source: ClientError,
    },
    /// The state file cannot be read or written.
    #[error("state file {}: {detail}", .path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The state file records another upload (another dataset, parent page or limits).
    #[error(
        "state file {} records an upload of another dataset, parent page or limits; use a new state file",
        .path.display()
    )]
    StateMismatch {
        /// The file.
        path: PathBuf,
    },
    /// What Notion holds does not match what the upload wrote (someone else
    /// edited the upload's pages meanwhile): resuming could duplicate content.
    #[error(
        "step {step} of the upload ({what}): expected {expected}, found {found}; were the uploaded pages edited during the upload?"
    )]
    Conflict {
        /// The step's number in the plan.
        step: usize,
        /// What the step does.
        what: String,
        /// What the upload expected.
        expected: String,
        /// What Notion answered.
        found: String,
    },
    /// One object cannot be written within Notion's limits even alone
    /// (a block whose own content is over 500 KB).
    #[error("{object} cannot be written within Notion's limits: {detail}")]
    TooLarge {
        /// The dataset object.
        object: String,
        /// Which limit.
        detail: String,
    },
}
