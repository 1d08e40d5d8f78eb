//! Work over many rows of a national list spread over the machine's cores: ranking the rows a
//! filter leaves, and the filter's first characters, look at up to a million rows inside one
//! keystroke.

/// The fewest items worth a thread of their own: starting one costs tens of microseconds, and
/// ranking 4,096 rows takes several milliseconds.
const PER_THREAD: usize = 4_096;

/// `items.iter().filter_map(f).collect()`, in order, on up to as many threads as cores (scoped
/// threads: nothing outlives the call, and a panic in `f` propagates as it would inline).
pub fn filter_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> Option<U> + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(items.len() / PER_THREAD);
    if threads <= 1 {
        return items.iter().filter_map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().filter_map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::new();
        for part in parts {
            match part.join() {
                Ok(mut part) => out.append(&mut part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn gives_what_one_thread_gives_in_order(len in 0usize..100_000, modulus in 1u32..7) {
            let items: Vec<u32> = (0..len as u32).collect();
            let keep = |x: &u32| x.is_multiple_of(modulus).then_some(u64::from(*x) * 3);
            let alone: Vec<u64> = items.iter().filter_map(keep).collect();
            prop_assert_eq!(super::filter_map(&items, keep), alone);
        }
    }
}
