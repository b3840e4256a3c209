//! Long computations with the GIL released and Ctrl-C honoured.
//!
//! The work runs on a thread of its own with a cancellable progress callback; the calling thread waits without the
//! GIL and, every 50 ms, takes it back to let Python handle its signals. A Ctrl-C (`KeyboardInterrupt`, or any
//! exception a signal handler raises) asks the work to stop at its next chunk of trials; once it has stopped, the
//! exception is raised in the caller, and nothing of the interrupted work is kept.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

/// How often the waiting thread looks at Python's signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// The callback the work reports progress to: it says whether to go on.
pub type Progress<'a> = &'a (dyn Fn(u64) -> ControlFlow<()> + Sync);

/// Runs `work` with the GIL released; a signal that raises in Python stops it and is raised instead.
pub fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(Progress<'_>) -> T + Send,
{
    let stop = AtomicBool::new(false);
    let progress =
        |_done: u64| if stop.load(Ordering::Relaxed) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let progress = &progress;
        let worker = scope.spawn(move || {
            let result = work(progress);
            let _ = done_tx.send(());
            result
        });
        let mut raised: Option<PyErr> = None;
        // The receiver is not `Sync`, so it travels into each wait without the GIL and back.
        let mut done_rx = done_rx;
        loop {
            let finished;
            (finished, done_rx) = py.detach(move || {
                let finished = match done_rx.recv_timeout(SIGNAL_CHECK) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => true,
                    Err(mpsc::RecvTimeoutError::Timeout) => false,
                };
                (finished, done_rx)
            });
            if finished {
                break;
            }
            if raised.is_none()
                && let Err(e) = py.check_signals()
            {
                stop.store(true, Ordering::Relaxed);
                raised = Some(e);
            }
        }
        let result = match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match raised {
            Some(e) => Err(e),
            None => Ok(result),
        }
    })
}
