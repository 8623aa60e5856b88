//! Golden and fidelity tests over the kitchen-sink dataset.
