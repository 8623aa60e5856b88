//! The lease on a remote output (object storage), the remote counterpart of
//! the local lock: taken before a run reads anything, renewed in the
//! background every third of its time while the run goes on, given up at
//! the end. A worker killed mid-run stops renewing, so its lease expires and
//! the next run takes over; a run whose lease was taken over (it stalled
//! past the expiry) is stopped and publishes nothing.

use std::sync::Arc;

use sink::{Publisher, SinkError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::lock::LockError;
use crate::run::EngineError;

/// A held lease and the task renewing it.
pub(crate) struct LeaseKeeper {
    publisher: Arc<dyn Publisher>,
    stop: CancellationToken,
    renewal: JoinHandle<Option<SinkError>>,
}

/// Who takes a lease: host name, process id and a random id, so a message
/// says which worker holds an output.
fn holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{host} pid {} {}", std::process::id(), &id[..8])
}

impl LeaseKeeper {
    /// Takes the lease of `publisher`'s remote output (which must have
    /// one) and starts renewing it; losing it later cancels `run`. Another
    /// worker's live lease is [`EngineError::Busy`].
    pub(crate) fn acquire(
        publisher: Arc<dyn Publisher>,
        run: CancellationToken,
    ) -> Result<LeaseKeeper, EngineError> {
        let remote = publisher
            .remote_state()
            .expect("a lease is taken on a remote output");
        match remote.acquire_lease(&holder()) {
            Ok(()) => {}
            Err(error @ SinkError::Leased { .. }) => {
                return Err(EngineError::Busy(LockError::Leased(error)));
            }
            Err(error) => return Err(error.into()),
        }
        let period = remote.lease_ttl() / 3;
        let stop = CancellationToken::new();
        let renewal = tokio::spawn(renew(publisher.clone(), period, stop.clone(), run));
        Ok(LeaseKeeper {
            publisher,
            stop,
            renewal,
        })
    }

    /// Stops renewing and gives the lease up; the error that lost it, if
    /// another worker took it over meanwhile (then it is not given up).
    pub(crate) async fn release(self) -> Option<SinkError> {
        self.stop.cancel();
        let lost = self.renewal.await.ok().flatten();
        if lost.is_none() {
            let publisher = self.publisher;
            let released = tokio::task::spawn_blocking(move || {
                publisher
                    .remote_state()
                    .map_or(Ok(()), |remote| remote.release_lease())
            })
            .await;
            if let Ok(Err(error)) = released {
                tracing::warn!(%error, "cannot give up the lease; it expires by itself");
            }
        }
        lost
    }
}

/// Renews the lease every `period` until `stop`; a lease another worker
/// took over cancels `run` and is returned. Other failures (the store
/// unreachable for a moment) are retried at the next period.
async fn renew(
    publisher: Arc<dyn Publisher>,
    period: std::time::Duration,
    stop: CancellationToken,
    run: CancellationToken,
) -> Option<SinkError> {
    loop {
        tokio::select! {
            () = stop.cancelled() => return None,
            () = tokio::time::sleep(period) => {}
        }
        let publisher = publisher.clone();
        let renewed = tokio::task::spawn_blocking(move || {
            publisher
                .remote_state()
                .map_or(Ok(()), |remote| remote.renew_lease())
        })
        .await;
        match renewed {
            Ok(Ok(())) => {}
            Ok(Err(error @ SinkError::Conflict(_))) => {
                tracing::error!(%error, "the lease was lost: stopping this run");
                run.cancel();
                return Some(error);
            }
            Ok(Err(error)) => tracing::warn!(%error, "cannot renew the lease; trying again"),
            Err(error) => tracing::warn!(%error, "the lease renewal task failed; trying again"),
        }
    }
}
