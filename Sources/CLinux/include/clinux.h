#ifndef BRIDGEWATCH_CLINUX_H
#define BRIDGEWATCH_CLINUX_H

#include <stddef.h>

/// Linux calls Swift's Glibc module does not expose: recvmmsg and sendmmsg (they need _GNU_SOURCE), mallopt and
/// malloc_trim.
/// Addresses are `struct sockaddr_storage` arrays passed as `void *` so this header includes no system header of
/// its own (one here would take those declarations away from Swift's Glibc module in the targets that import both).

/// Sends `count` datagrams on the connected socket `fd`. Returns how many the kernel took, or -1 with errno set.
int bw_send_batch(int fd, const void *const *buffers, const size_t *lengths, unsigned count);

/// Receives up to `count` datagrams into `slots`, `slot_size` bytes each: what is waiting, after blocking until
/// at least one is when `wait` is nonzero. For each, `lengths` gets its length (`slot_size` when it was
/// truncated, so a caller whose limit is below `slot_size` still sees it as too large) and
/// `addresses`/`address_lengths` its sender. Returns how many, or -1 with errno set (EAGAIN: none waiting).
int bw_receive_batch(int fd, unsigned char *slots, size_t slot_size, unsigned count, size_t *lengths,
                     void *addresses, unsigned *address_lengths, int wait);

/// Sends `count` datagrams, each `lengths[i]` bytes from `slots + i * slot_size`, to `addresses[i]`. Returns how
/// many the kernel took, or -1 with errno set.
int bw_send_batch_to(int fd, const unsigned char *slots, size_t slot_size, const size_t *lengths,
                     const void *addresses, const unsigned *address_lengths, unsigned count);

/// Receives one datagram without waiting, from a socket with SO_TIMESTAMPNS on: returns its real length (larger
/// than `size` when it was cut), or -1 with errno set (EAGAIN: nothing waiting). `received_at` gets when the kernel
/// received it, on CLOCK_MONOTONIC (as DispatchTime counts), or 0 when the kernel gave no time.
int bw_receive_stamped(int fd, unsigned char *buffer, size_t size, void *address, unsigned *address_length,
                       long long *received_at);

/// Makes glibc give every allocation of at least `bytes` back to the kernel when it is freed (a fixed mmap
/// threshold instead of one that rises with each large buffer freed). Returns 1 on success.
int bw_set_mmap_threshold(size_t bytes);

/// Gives the kernel back the free pages of every malloc arena (malloc_trim). Returns 1 when some were given back.
int bw_trim_free_memory(void);

/// Opens a pseudo-terminal pair of `rows` x `cols` without making it anyone's controlling terminal (tests run the
/// dashboard on it and close the master to play a terminal that goes away). Returns 0, or -1 with errno set.
int bw_open_pty(int *master, int *slave, unsigned short rows, unsigned short cols);

/// Makes each of `signals` write its number into a pipe (non-blocking, close-on-exec) from an async-signal-safe
/// handler, for every thread of the process; returns the pipe's read end, or -1 with errno set. Nothing arriving
/// after this returns is lost or takes its default action, whatever threads exist.
int bw_signal_pipe(const int *signals, int count);

/// The user and process at the other end of the connected Unix socket `fd` (SO_PEERCRED: what the kernel
/// recorded at connect, which the peer cannot forge). Returns 0, or -1 with errno set.
int bw_peer_credentials(int fd, unsigned *uid, int *pid);

/// Names the calling thread for the kernel (/proc/PID/task/TID/comm, `top -H`); at most 15 bytes are kept.
void bw_set_thread_name(const char *name);

/// Runs `/bin/sh -c command` in a process group of its own, its standard input, output and error on new pipes
/// (our ends close-on-exec). Returns the pid (also the group's id), or -1 with errno set.
int bw_spawn_shell(const char *command, int *input, int *output, int *error);

/// Makes this process the child subreaper of its descendants (PR_SET_CHILD_SUBREAPER): one whose parent dies is
/// reparented here, not to init, so a follow command's whole tree can be found and ended, even a `setsid` one.
/// Returns 0, or -1 with errno set.
int bw_become_subreaper(void);

#endif
