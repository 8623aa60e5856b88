//! What a listing and a first crawl cost, in requests and in seconds at the
//! rate limit, computed before they start from what is cheap to know: a
//! previous listing, a page count, the block counts a previous crawl stored.

use std::fmt;

use serde::Serialize;

use super::NodeKind;
use super::listing::Listing;
use super::render::NodeInfos;
use super::tree::Hierarchy;

/// A listing expected to take longer than this many seconds deserves a
/// notice before it starts.
pub const LISTING_NOTICE_SECONDS: f64 = 30.0;

/// Results per search or query request (Notion's largest page size).
const RESULTS_PER_REQUEST: u64 = 100;

/// Requests, and the time they take at a rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Requests.
    pub requests: u64,
    /// Seconds at the rate.
    pub seconds: f64,
}

impl Estimate {
    /// `requests` at `per_second` (a rate of zero or less counts as one per
    /// second rather than forever).
    ///
    /// ```
    /// use notion_source::hierarchy::Estimate;
    /// let e = Estimate::at_rate(5_400, 3.0);
    /// assert_eq!(e.seconds, 1800.0);
    /// assert_eq!(e.to_string(), "5,400 requests, 30 min");
    /// ```
    pub fn at_rate(requests: u64, per_second: f64) -> Estimate {
        let rate = if per_second > 0.0 { per_second } else { 1.0 };
        Estimate {
            requests,
            seconds: requests as f64 / rate,
        }
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.requests == 1 {
            "request"
        } else {
            "requests"
        };
        write!(
            f,
            "{} {noun}, {}",
            thousands(self.requests),
            duration(self.seconds)
        )
    }
}

/// What listing the hierarchy will cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ListingCost {
    /// Requests expected.
    pub requests: u64,
    /// Only a lower bound: block parents and databases are not known yet.
    pub lower_bound: bool,
}

impl ListingCost {
    /// What listing again costs, from the last listing of the workspace
    /// (a cached one).
    pub fn from_previous(listing: &Listing) -> ListingCost {
        ListingCost {
            requests: listing.requests.total().max(1),
            lower_bound: false,
        }
    }

    /// At least one search request per 100 objects, from a count of pages
    /// and data sources known elsewhere (a previous crawl's state).
    pub fn from_object_count(objects: u64) -> ListingCost {
        ListingCost {
            requests: objects.div_ceil(RESULTS_PER_REQUEST).max(1),
            lower_bound: true,
        }
    }

    /// The time it takes at `per_second`.
    pub fn estimate(&self, per_second: f64) -> Estimate {
        Estimate::at_rate(self.requests, per_second)
    }

    /// Whether it takes longer than [`LISTING_NOTICE_SECONDS`].
    pub fn deserves_notice(&self, per_second: f64) -> bool {
        self.estimate(per_second).seconds > LISTING_NOTICE_SECONDS
    }
}

/// How many requests a first crawl spends per page, to estimate one before
/// it starts. The defaults come from the crawl benchmark (`BENCHMARKS.md`,
/// synthetic workspace): 6.1 requests per page in all, of which 1.05 per page
/// and 0.12 per block.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RunCostModel {
    /// Requests for a page whose size is not known.
    pub requests_per_page: f64,
    /// Requests for a page of known size: this many...
    pub base_requests: f64,
    /// ...plus this many per block.
    pub requests_per_block: f64,
    /// The rate limit, requests per second.
    pub per_second: f64,
}

impl Default for RunCostModel {
    fn default() -> Self {
        RunCostModel {
            requests_per_page: 6.1,
            base_requests: 1.05,
            requests_per_block: 0.12,
            per_second: 3.0,
        }
    }
}

impl RunCostModel {
    /// Requests to read one node: a page from its stored block count when
    /// known, else the average; a data source one query request per 100
    /// pages under it; a database one retrieve.
    pub fn node_requests(&self, tree: &Hierarchy, index: usize, info: Option<&NodeInfos>) -> f64 {
        let node = tree.node(index);
        match node.kind {
            NodeKind::Page => {
                match info
                    .and_then(|i| i.get(&node.id))
                    .and_then(|i| i.stored_blocks)
                {
                    Some(blocks) => self.base_requests + self.requests_per_block * blocks as f64,
                    None => self.requests_per_page,
                }
            }
            NodeKind::DataSource => node.counts.pages.div_ceil(RESULTS_PER_REQUEST).max(1) as f64,
            NodeKind::Database => 1.0,
        }
    }

    /// Requests per node, in the hierarchy's order (what a selector sums).
    pub fn per_node(&self, tree: &Hierarchy, info: Option<&NodeInfos>) -> Vec<f64> {
        (0..tree.len())
            .map(|i| self.node_requests(tree, i, info))
            .collect()
    }

    /// A first crawl of the nodes whose flag is set (indexed like the
    /// hierarchy), from per-node requests ([`RunCostModel::per_node`]).
    pub fn first_run(&self, per_node: &[f64], selected: &[bool]) -> Estimate {
        let requests: f64 = per_node
            .iter()
            .zip(selected)
            .filter(|(_, s)| **s)
            .map(|(r, _)| r)
            .sum();
        Estimate::at_rate(requests.ceil() as u64, self.per_second)
    }
}

/// A count with thousands separators: `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `45 s`, `6 min 52 s`, `30 min`, `2 h 5 min`.
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_costs_come_from_a_previous_listing_or_a_count() {
        let mut listing = Listing::default();
        listing.requests.search = 283;
        listing.requests.blocks = 40;
        let cost = ListingCost::from_previous(&listing);
        assert_eq!(cost.requests, 323);
        assert!(cost.deserves_notice(3.0));
        let cost = ListingCost::from_object_count(50);
        assert_eq!((cost.requests, cost.lower_bound), (1, true));
        assert!(!cost.deserves_notice(3.0));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration(44.6), "45 s");
        assert_eq!(duration(412.0), "6 min 52 s");
        assert_eq!(duration(7_500.0), "2 h 5 min");
        assert_eq!(Estimate::at_rate(1, 0.0).to_string(), "1 request, 1 s");
    }
}
