//! Targets that always fail, each in one way, so that the runner's handling
//! of panics, stack overflows, hangs and broken invariants is itself tested.

use std::hint::black_box;

use super::Broken;
use crate::rng::Rng;

pub(super) fn generate(rng: &mut Rng) -> Vec<u8> {
    rng.next_u64().to_string().into_bytes()
}

pub(super) fn panics(input: &[u8]) -> Result<(), Broken> {
    panic!("selftest panic on {}", String::from_utf8_lossy(input));
}

pub(super) fn overflows(input: &[u8]) -> Result<(), Broken> {
    #[allow(unconditional_recursion)]
    fn deeper(n: u64, pad: [u8; 256]) -> u64 {
        let pad = black_box(pad);
        deeper(black_box(n + 1), pad) + u64::from(pad[0])
    }
    let n = deeper(input.len() as u64, [0; 256]);
    Err(Broken::Invariant(format!("returned {n}")))
}

pub(super) fn hangs(_: &[u8]) -> Result<(), Broken> {
    loop {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

pub(super) fn breaks(input: &[u8]) -> Result<(), Broken> {
    Err(Broken::Invariant(format!(
        "selftest invariant on {}",
        String::from_utf8_lossy(input)
    )))
}
