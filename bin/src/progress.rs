//! Progress while a run goes: indicatif bars on a terminal, plain log lines
//! every few seconds otherwise (cron, CI, Kubernetes logs).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use notion_source::NotionClient;
use tokio::task::JoinHandle;

use engine::Watch;

/// A running progress display; [`finish`](Self::finish) stops it.
pub struct Progress {
    task: JoinHandle<()>,
    bars: Vec<ProgressBar>,
}

impl Progress {
    /// Stops the display and clears the bars, before the summary is printed.
    pub async fn finish(self) {
        self.task.abort();
        let _ = self.task.await;
        for bar in self.bars {
            bar.finish_and_clear();
        }
    }
}

/// Starts showing progress: bars when stderr is a terminal and `bars` is
/// allowed, log lines every 10 seconds otherwise.
pub fn start(watch: Watch, client: NotionClient, bars: bool) -> Progress {
    let started = Instant::now();
    let limit = client.stats().rate_per_second;
    if bars && std::io::stderr().is_terminal() {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let style = ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}")
            .unwrap()
            .progress_chars("=> ");
        let pages = multi.add(
            ProgressBar::new(0)
                .with_style(style.clone())
                .with_prefix("pages"),
        );
        let requests = multi.add(ProgressBar::new_spinner().with_prefix("requests"));
        requests.set_style(ProgressStyle::with_template("{prefix:>9} {msg}").unwrap());
        let chunks = multi.add(ProgressBar::new_spinner().with_prefix("chunks"));
        chunks.set_style(ProgressStyle::with_template("{prefix:>9} {msg}").unwrap());
        let handles = vec![pages.clone(), requests.clone(), chunks.clone()];
        let task = tokio::spawn(async move {
            let _multi = multi;
            let mut last = (Instant::now(), 0u64);
            loop {
                let crawl = watch.crawl.snapshot();
                let stats = client.stats();
                let done = crawl.crawled + crawl.failed + crawl.skipped;
                pages.set_length(crawl.discovered.max(done));
                pages.set_position(done);
                pages.set_message(format!(
                    "{} failed, {} queued, {} in flight, elapsed {}",
                    crawl.failed,
                    crawl.queued,
                    crawl.in_flight,
                    hms(started.elapsed())
                ));
                let now = Instant::now();
                let rate = (stats.total.requests - last.1) as f64
                    / now.duration_since(last.0).as_secs_f64().max(0.001);
                if now.duration_since(last.0) > Duration::from_secs(2) {
                    last = (now, stats.total.requests);
                }
                requests.set_message(format!(
                    "{} sent, {:.2}/s (limit {:.2}/s), {} 429s, {} retries{}",
                    stats.total.requests,
                    rate,
                    stats.rate_per_second.min(limit),
                    stats.total.rate_limited,
                    stats.total.retries,
                    eta(&watch, stats.total.requests, stats.rate_per_second),
                ));
                chunks.set_message(format!(
                    "{} chunks, {} tokens written from {} pages",
                    watch
                        .stages
                        .chunks
                        .load(std::sync::atomic::Ordering::Relaxed),
                    watch
                        .stages
                        .tokens
                        .load(std::sync::atomic::Ordering::Relaxed),
                    watch.stages.stored()
                ));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        Progress {
            task,
            bars: handles,
        }
    } else {
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                let crawl = watch.crawl.snapshot();
                let stats = client.stats();
                eprintln!(
                    "[{}] {} pages found, {} read, {} failed, {} skipped, {} written; {} requests ({} rate-limited, {} retries), {:.2}/s allowed; elapsed {}{}",
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
                    crawl.discovered,
                    crawl.crawled,
                    crawl.failed,
                    crawl.skipped,
                    watch.stages.stored(),
                    stats.total.requests,
                    stats.total.rate_limited,
                    stats.total.retries,
                    stats.rate_per_second,
                    hms(started.elapsed()),
                    eta(&watch, stats.total.requests, stats.rate_per_second),
                );
            }
        });
        Progress {
            task,
            bars: Vec::new(),
        }
    }
}

/// An estimate of the time left: the pages still queued times the requests
/// a page has needed so far, at the allowed rate.
fn eta(watch: &Watch, requests: u64, rate: f64) -> String {
    let crawl = watch.crawl.snapshot();
    let done = crawl.crawled + crawl.failed;
    if done == 0 || rate <= 0.0 {
        return String::new();
    }
    let per_page = requests as f64 / done as f64;
    let remaining = (crawl.queued + crawl.in_flight) as f64 * per_page / rate;
    let more = if crawl.listing_done { "" } else { "+" };
    format!(
        ", about {}{more} left",
        hms(Duration::from_secs_f64(remaining))
    )
}

fn hms(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}
