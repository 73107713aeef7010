//! Shared reads: requests that ask the database the same question at the same time
//! share one trip to a blocking thread, but only a trip that began after each of
//! them arrived, so no answer is ever older than the request it answers.
//!
//! This is not a cache. A result is handed only to the requests that were already
//! waiting when its read began, and is dropped when the last of them has it. A
//! request that arrives while a read runs waits for the next read (which it may in
//! turn share with those that arrive after it). So a request sees every write that
//! was done before it arrived — on this instance, on another, or by hand in the
//! database — exactly as if it had read alone. Common single-flight helpers also
//! hand a read already running to a late caller, which may miss a write committed
//! between the read's start and the caller's arrival; that is why this is written
//! here rather than taken from one.
//!
//! What it saves: with many requests for one key in flight (a service's workers
//! listing with one token, a page reloaded by a dashboard), one hand-off to a
//! blocking thread serves them all, where each would pay its own
//! (docs/PERFORMANCE.md).

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// How many reads of one key may run at once. One would leave a core idle while
/// each read runs and everyone waits for it; two let the requests that arrive
/// during one read start the next at once, while the first batch is answered.
const READS_PER_KEY: usize = 2;

/// The requests in flight for one key.
struct Slot<V> {
    /// How many requests hold the key; the slot leaves the map at none.
    holders: usize,
    /// The tickets of the reads running now, at most [`READS_PER_KEY`].
    running: Vec<u64>,
    /// The last read that succeeded, with the ticket it began at.
    last: Option<(u64, Arc<V>)>,
    /// Told when a read ends, well or not: every waiter wakes at once.
    ended: Arc<Notify>,
}

/// Reads of `V` by key `K`, shared among the requests that wait on them together.
pub struct SharedReads<K, V> {
    /// Handed out in order: to each request as it arrives, and to each read as it
    /// begins. A read serves the requests whose ticket is below its own.
    tickets: AtomicU64,
    slots: Mutex<HashMap<K, Slot<V>>>,
}

impl<K, V> Default for SharedReads<K, V> {
    fn default() -> Self {
        Self {
            tickets: AtomicU64::new(0),
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone, V> SharedReads<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<K, Slot<V>>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ticket(&self) -> u64 {
        // SeqCst: a read's ticket must come after the tickets of every request
        // that arrived before it, on whatever thread.
        self.tickets.fetch_add(1, Ordering::SeqCst)
    }

    /// The answer to `key`: from a read that began after this call, run by `read`
    /// here or by another request waiting for the same key. A failed read is not
    /// shared: each request it would have served then reads for itself.
    pub async fn read<E, F, Fut>(&self, key: K, read: F) -> Result<Arc<V>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let arrived = self.ticket();
        let held = Held::new(self, key);
        let began = loop {
            let ended: Arc<Notify>;
            let woken;
            {
                let mut slots = self.slots();
                let slot = slots.get_mut(&held.key).expect("a held key has a slot");
                if let Some((began, value)) = &slot.last {
                    if *began > arrived {
                        return Ok(value.clone());
                    }
                }
                // A read that began after this request arrived will serve it.
                let coming = slot.running.iter().any(|began| *began > arrived);
                if !coming && slot.running.len() < READS_PER_KEY {
                    let began = self.ticket();
                    slot.running.push(began);
                    break began;
                }
                // Made under the lock, so the end of a read running now (told
                // under the same lock) cannot be missed.
                ended = slot.ended.clone();
                woken = ended.notified();
            }
            woken.await;
        };
        let reading = Reading { held: &held, began };
        let result = read().await.map(Arc::new);
        reading.end(result.as_ref().ok().cloned());
        result
    }

    /// How many keys have requests waiting or reading.
    #[cfg(test)]
    fn keys_in_flight(&self) -> usize {
        self.slots().len()
    }
}

/// One request's hold on a key's slot, given back when it is done or dropped (a
/// client that went away): what stays in memory is only what requests in flight
/// wait for.
struct Held<'a, K: Hash + Eq + Clone, V> {
    owner: &'a SharedReads<K, V>,
    key: K,
}

impl<'a, K: Hash + Eq + Clone, V> Held<'a, K, V> {
    fn new(owner: &'a SharedReads<K, V>, key: K) -> Self {
        owner
            .slots()
            .entry(key.clone())
            .or_insert_with(|| Slot {
                holders: 0,
                running: Vec::with_capacity(READS_PER_KEY),
                last: None,
                ended: Arc::new(Notify::new()),
            })
            .holders += 1;
        Self { owner, key }
    }
}

impl<K: Hash + Eq + Clone, V> Drop for Held<'_, K, V> {
    fn drop(&mut self) {
        let mut slots = self.owner.slots();
        if let Some(slot) = slots.get_mut(&self.key) {
            slot.holders -= 1;
            if slot.holders == 0 {
                slots.remove(&self.key);
            }
        }
    }
}

/// The read one request runs for the others. Dropped unended (the request went
/// away mid-read), it still lets the next waiter read.
struct Reading<'h, 'a, K: Hash + Eq + Clone, V> {
    held: &'h Held<'a, K, V>,
    began: u64,
}

impl<K: Hash + Eq + Clone, V> Reading<'_, '_, K, V> {
    fn end(self, value: Option<Arc<V>>) {
        self.finish(value);
        std::mem::forget(self);
    }

    fn finish(&self, value: Option<Arc<V>>) {
        let mut slots = self.held.owner.slots();
        if let Some(slot) = slots.get_mut(&self.held.key) {
            slot.running.retain(|began| *began != self.began);
            // Of two reads, the one that began last is the newer answer.
            if let Some(value) = value {
                if slot
                    .last
                    .as_ref()
                    .is_none_or(|(last, _)| *last < self.began)
                {
                    slot.last = Some((self.began, value));
                }
            }
            slot.ended.notify_waiters();
        }
    }
}

impl<K: Hash + Eq + Clone, V> Drop for Reading<'_, '_, K, V> {
    fn drop(&mut self) {
        self.finish(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[tokio::test]
    async fn a_read_alone_reads_and_leaves_nothing_behind() {
        let reads = SharedReads::<u32, u32>::new();
        let got: Result<_, ()> = reads.read(1, || async { Ok(7) }).await;
        assert_eq!(*got.unwrap(), 7);
        assert_eq!(reads.keys_in_flight(), 0);
    }

    #[tokio::test]
    async fn a_request_never_gets_a_read_that_began_before_it_arrived() {
        // One value in the "database", changed while the first read runs; the
        // request that arrives after the change must see it.
        let reads = Arc::new(SharedReads::<u32, u32>::new());
        let value = Arc::new(AtomicUsize::new(1));
        let (began_tx, began_rx) = tokio::sync::oneshot::channel();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let (reads, value) = (reads.clone(), value.clone());
            tokio::spawn(async move {
                reads
                    .read(1, || async move {
                        let seen = value.load(Ordering::SeqCst) as u32;
                        began_tx.send(()).unwrap();
                        go_rx.await.unwrap();
                        Ok::<_, ()>(seen)
                    })
                    .await
            })
        };
        began_rx.await.unwrap();
        value.store(2, Ordering::SeqCst);
        let second = {
            let (reads, value) = (reads.clone(), value.clone());
            tokio::spawn(async move {
                reads
                    .read(1, || async move {
                        Ok::<_, ()>(value.load(Ordering::SeqCst) as u32)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        go_tx.send(()).unwrap();
        assert_eq!(*first.await.unwrap().unwrap(), 1);
        assert_eq!(*second.await.unwrap().unwrap(), 2);
        assert_eq!(reads.keys_in_flight(), 0);
    }

    /// A read that runs until told to go, answering `value`.
    fn held_read(
        reads: &Arc<SharedReads<u32, u32>>,
        value: u32,
    ) -> (
        tokio::task::JoinHandle<Result<Arc<u32>, ()>>,
        tokio::sync::oneshot::Sender<()>,
    ) {
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let reads = reads.clone();
        let task = tokio::spawn(async move {
            reads
                .read(1, || async move {
                    go_rx.await.unwrap();
                    Ok(value)
                })
                .await
        });
        (task, go_tx)
    }

    #[tokio::test]
    async fn requests_waiting_together_share_one_read() {
        let reads = Arc::new(SharedReads::<u32, u32>::new());
        // Two reads run (the most one key may have), held until told to go.
        let (first, go_first) = held_read(&reads, 100);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let (second, go_second) = held_read(&reads, 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
        // Ten requests arrive after both began: neither may answer them, and no
        // third read may start while two run.
        let reads_run = Arc::new(AtomicUsize::new(0));
        let waiting: Vec<_> = (0..10)
            .map(|_| {
                let (reads, reads_run) = (reads.clone(), reads_run.clone());
                tokio::spawn(async move {
                    reads
                        .read(1, || async move {
                            Ok::<_, ()>(300 + reads_run.fetch_add(1, Ordering::SeqCst) as u32)
                        })
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(reads_run.load(Ordering::SeqCst), 0);
        // The first ends: one of the ten reads for all ten.
        go_first.send(()).unwrap();
        assert_eq!(*first.await.unwrap().unwrap(), 100);
        for w in waiting {
            assert_eq!(*w.await.unwrap().unwrap(), 300);
        }
        assert_eq!(reads_run.load(Ordering::SeqCst), 1);
        go_second.send(()).unwrap();
        assert_eq!(*second.await.unwrap().unwrap(), 200);
        assert_eq!(reads.keys_in_flight(), 0);
    }

    #[tokio::test]
    async fn a_failed_read_is_not_shared() {
        let reads = Arc::new(SharedReads::<u32, u32>::new());
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let reads = reads.clone();
            tokio::spawn(async move {
                reads
                    .read(1, || async move {
                        go_rx.await.unwrap();
                        Err::<u32, _>("lost")
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = {
            let reads = reads.clone();
            tokio::spawn(async move { reads.read(1, || async { Ok::<_, &str>(5) }).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        go_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap_err(), "lost");
        assert_eq!(*second.await.unwrap().unwrap(), 5);
    }

    #[tokio::test]
    async fn a_request_dropped_while_waiting_leaves_no_slot() {
        let reads = Arc::new(SharedReads::<u32, u32>::new());
        let pending = {
            let reads = reads.clone();
            tokio::spawn(async move {
                reads
                    .read(1, || async {
                        std::future::pending::<()>().await;
                        Ok::<_, ()>(0)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(reads.keys_in_flight(), 1);
        pending.abort();
        let _ = pending.await;
        assert_eq!(reads.keys_in_flight(), 0);
    }
}
