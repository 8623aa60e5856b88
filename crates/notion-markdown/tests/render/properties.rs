//! Property lists and JSON.
