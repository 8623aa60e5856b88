//! Block spans and heading paths.
