//! The uploader against the mock over HTTP: round trips, limits, lost
//! answers and kills, resumption.

mod common;

mod kill;
mod limits;
mod resume;
mod roundtrip;
