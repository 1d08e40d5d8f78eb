//! Group commit, shared by both adapters: concurrent writers share one durable commit.
//!
//! Each caller's transaction body becomes a [`Job`] queued to the store's single writer thread.
//! The writer takes every job waiting (up to [`MAX_BATCH`]), opens one transaction, runs each job
//! inside its own savepoint (a job that fails is rolled back to its savepoint, so each stays
//! all-or-nothing with its own idempotency, outbox and audit rows), commits once, and only then
//! tells each caller its outcome. While one batch commits, the next one queues up: under load
//! one fsync serves many writes, and a lone writer pays what it paid before (one transaction, one
//! commit).
//!
//! Jobs run one after another in queue order inside the batch, each seeing the writes of the
//! jobs before it, exactly as if they had committed one by one: the core's rules (status machine,
//! If-Match, idempotency, audit chain, outbox order) hold unchanged.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

use super::{StoreError, WriteTx};

/// Most jobs one commit carries: bounds the latency a batch adds to its first job.
pub(super) const MAX_BATCH: usize = 256;

/// Savepoint name each job runs under (jobs are sequential, so one name serves them all).
pub(super) const SAVEPOINT: &str = "SAVEPOINT combipat_job";
pub(super) const RELEASE: &str = "RELEASE SAVEPOINT combipat_job";
pub(super) const ROLLBACK_TO: &str =
    "ROLLBACK TO SAVEPOINT combipat_job; RELEASE SAVEPOINT combipat_job";

/// A caller's body, erased: runs on the batch's handle, `true` when it succeeded.
type Body = Box<dyn FnOnce(&mut dyn WriteTx) -> bool + Send>;

/// One caller's transaction body with the way back to the caller.
pub(super) struct Job {
    /// Runs the body on the batch's handle; `true` when it succeeded (its writes are kept).
    run: Body,
    /// Tells the caller: the body's own result once the batch committed, or why it did not.
    finish: Box<dyn FnOnce(Result<(), String>) + Send>,
}

impl Job {
    /// Wraps `f`; the receiver yields its result once the batch holding it is durable.
    pub(super) fn new<T, F>(f: F) -> (Job, oneshot::Receiver<Result<T, StoreError>>)
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn WriteTx) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, receiver) = oneshot::channel();
        let slot: Arc<Mutex<Option<Result<T, StoreError>>>> = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        let run = Box::new(move |handle: &mut dyn WriteTx| {
            // A panicking body must not take the writer thread (and every later write) with it.
            let out = catch_unwind(AssertUnwindSafe(|| f(handle)))
                .unwrap_or_else(|_| Err(StoreError::Task("write transaction panicked".into())));
            let ok = out.is_ok();
            if let Ok(mut slot) = filled.lock() {
                *slot = Some(out);
            }
            ok
        });
        let finish = Box::new(move |batch: Result<(), String>| {
            let out = slot.lock().ok().and_then(|mut s| s.take());
            let result = match (batch, out) {
                // A body's own refusal stands whatever happened to the batch.
                (_, Some(Err(e))) => Err(e),
                (Ok(()), Some(Ok(value))) => Ok(value),
                (Err(reason), _) => Err(StoreError::Database(reason)),
                (Ok(()), None) => Err(StoreError::Task("write was not run".into())),
            };
            // The caller may have gone away (request cancelled); its write stands either way.
            let _ = reply.send(result);
        });
        (Job { run, finish }, receiver)
    }

    /// Runs the body; `true` when its writes are to be kept.
    pub(super) fn run(&mut self, handle: &mut dyn WriteTx) -> bool {
        let run = std::mem::replace(&mut self.run, Box::new(|_| false));
        run(handle)
    }

    /// Tells the caller the outcome of the batch.
    pub(super) fn finish(self, batch: Result<(), String>) {
        (self.finish)(batch)
    }
}

/// The queue into a store's writer thread.
#[derive(Clone)]
pub(super) struct Queue {
    jobs: mpsc::Sender<Job>,
}

impl Queue {
    /// Queues `f` and waits until the batch holding it is durable (or failed).
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn WriteTx) -> Result<T, StoreError> + Send + 'static,
    {
        let (job, done) = Job::new(f);
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Task("the writer has stopped".into()))?;
        done.await
            .map_err(|_| StoreError::Task("the writer dropped a write".into()))?
    }
}

/// What an adapter does for the writer loop: its SQL for a batch's transaction.
pub(super) trait Batch {
    /// Opens the batch's transaction (and takes whatever lock serialises writers).
    fn begin(&mut self) -> Result<(), StoreError>;
    /// Runs `sql` (savepoint statements) inside the open transaction.
    fn execute(&mut self, sql: &str) -> Result<(), StoreError>;
    /// Runs one job's body on a handle over the open transaction; `true` if it succeeded.
    fn run(&mut self, job: &mut Job) -> bool;
    /// Commits durably; on error the adapter has rolled back.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Abandons the open transaction.
    fn rollback(&mut self);
    /// After a durable commit (announce new events).
    fn committed(&mut self) {}
}

/// Starts a writer thread named `name` that serves `batch`; the queue feeds it. The thread ends
/// when every [`Queue`] clone is dropped.
pub(super) fn start<B: Batch + Send + 'static>(name: &str, batch: B) -> Result<Queue, StoreError> {
    let (jobs, incoming) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || serve(incoming, batch))
        .map_err(|e| StoreError::Task(format!("cannot start the writer thread: {e}")))?;
    Ok(Queue { jobs })
}

fn serve<B: Batch>(incoming: mpsc::Receiver<Job>, mut batch: B) {
    while let Ok(first) = incoming.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let outcome = run_batch(&mut batch, &mut jobs);
        let ok = outcome.is_ok();
        for job in jobs {
            job.finish(outcome.clone());
        }
        if ok {
            batch.committed();
        }
    }
}

/// One transaction for `jobs`, each in its own savepoint; `Err` (with why) if it did not commit.
fn run_batch<B: Batch>(batch: &mut B, jobs: &mut [Job]) -> Result<(), String> {
    batch.begin().map_err(|e| e.to_string())?;
    for job in jobs.iter_mut() {
        let step = batch.execute(SAVEPOINT).and_then(|()| {
            let kept = batch.run(job);
            batch.execute(if kept { RELEASE } else { ROLLBACK_TO })
        });
        if let Err(e) = step {
            // The transaction's state is unknown: nothing of this batch is kept.
            batch.rollback();
            return Err(e.to_string());
        }
    }
    batch.commit().map_err(|e| e.to_string())
}
