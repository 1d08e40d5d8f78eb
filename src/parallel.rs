//! Work over many rows spread over the machine's cores: the workstation's filter ranks and
//! scans up to a million rows inside one keystroke; the service sums a national dashboard over
//! a million requests. Scoped threads: nothing outlives the call, and a panic in the work
//! propagates as it would inline. Leaf module: it knows nothing of the layers that use it.

/// The fewest items worth a thread of their own: starting one costs tens of microseconds, and
/// ranking 4,096 rows takes several milliseconds.
const PER_THREAD: usize = 4_096;

/// Threads for `len` items: up to as many as cores (at most 8), each with `PER_THREAD` items.
fn threads_for(len: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(len / PER_THREAD)
}

/// Each part of `items` folded into its own accumulator by `add`, on up to as many threads as
/// cores, the accumulators then merged in order: `merge(a, b)` adds `b`'s items after `a`'s.
/// One thread (and one accumulator) when the items are few.
pub fn fold<T: Sync, A: Send>(
    items: &[T],
    init: impl Fn() -> A + Sync,
    add: impl Fn(&mut A, &T) + Sync,
    merge: impl Fn(&mut A, A),
) -> A {
    let threads = threads_for(items.len());
    if threads <= 1 {
        let mut acc = init();
        items.iter().for_each(|item| add(&mut acc, item));
        return acc;
    }
    let chunk = items.len().div_ceil(threads);
    let (init, add) = (&init, &add);
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut acc = init();
                    part.iter().for_each(|item| add(&mut acc, item));
                    acc
                })
            })
            .collect();
        let mut out: Option<A> = None;
        for part in parts {
            match part.join() {
                Ok(part) => match out.as_mut() {
                    Some(acc) => merge(acc, part),
                    None => out = Some(part),
                },
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out.unwrap_or_else(init)
    })
}

/// `items.iter().filter_map(f).collect()`, in order, on up to as many threads as cores.
pub fn filter_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> Option<U> + Sync) -> Vec<U> {
    let threads = threads_for(items.len());
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

        #[test]
        fn folds_what_one_thread_folds_in_order(len in 0usize..100_000, modulus in 1u32..7) {
            let items: Vec<u32> = (0..len as u32).collect();
            let alone: Vec<u32> = items.iter().copied().filter(|x| x % modulus == 0).collect();
            let folded = super::fold(
                &items,
                Vec::new,
                |acc: &mut Vec<u32>, &x| if x % modulus == 0 { acc.push(x) },
                |acc, mut more| acc.append(&mut more),
            );
            prop_assert_eq!(folded, alone);
        }
    }
}
