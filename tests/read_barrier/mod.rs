//! Barriers for the cancel tests (Linux): wait until a thread is blocked inside a system call
//! (a socket read, a connect), read from `/proc/self/task/<tid>/syscall`. A cancel made after
//! that must wake the blocked call (by shutting its socket down, or by waking the waiter);
//! a flag checked before the call starts cannot make such a test pass.

#![allow(dead_code, reason = "each test file uses a part")]

use std::time::{Duration, Instant};

/// The calling thread's id (`gettid`), from `/proc/thread-self`.
pub fn thread_id() -> u32 {
    let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
    link.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse().ok())
        .expect("a thread id")
}

/// The system call thread `tid` of this process is blocked in (`None` when it is running).
fn blocked_syscall(tid: u32) -> Option<i64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// The reads a blocked socket read may show (`read`, `recvfrom`, `recvmsg`, `ppoll`, `poll`).
fn read_calls() -> Vec<i64> {
    let mut v = vec![
        libc::SYS_read,
        libc::SYS_recvfrom,
        libc::SYS_recvmsg,
        libc::SYS_ppoll,
    ];
    #[cfg(target_arch = "x86_64")]
    v.push(libc::SYS_poll);
    v
}

/// What a blocked connect may show (`connect`, or the `poll` of a connect with a timeout).
fn connect_calls() -> Vec<i64> {
    let mut v = vec![libc::SYS_connect, libc::SYS_ppoll];
    #[cfg(target_arch = "x86_64")]
    v.push(libc::SYS_poll);
    v
}

fn wait(what: &str, mut done: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < give_up, "never saw {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Wait until thread `tid` is blocked reading a socket.
pub fn wait_blocked_in_read(tid: u32) {
    let calls = read_calls();
    wait("the thread blocked in a read", || {
        blocked_syscall(tid).is_some_and(|n| calls.contains(&n))
    });
}

/// Wait until a thread of this process named `name` (or thread `tid`) is blocked in a connect.
pub fn wait_blocked_in_connect(tid: u32, name: &str) {
    let calls = connect_calls();
    wait("a thread blocked in a connect", || {
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
            return false;
        };
        dir.flatten().any(|e| {
            let Some(t) = e.file_name().to_str().and_then(|t| t.parse::<u32>().ok()) else {
                return false;
            };
            let named =
                std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim_end() == name);
            (t == tid || named) && blocked_syscall(t).is_some_and(|n| calls.contains(&n))
        })
    });
}

/// Wait until thread `tid` is blocked waiting on a lock or condition variable (`futex`), e.g. in
/// a retry backoff.
pub fn wait_blocked_in_wait(tid: u32) {
    wait("the thread blocked in a futex wait", || {
        blocked_syscall(tid) == Some(libc::SYS_futex)
    });
}
