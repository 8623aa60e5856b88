//! The uploader against the mock over HTTP: round trips, limits, lost
//! answers and kills, resumption.

mod common;

mod roundtrip;
mod limits;
