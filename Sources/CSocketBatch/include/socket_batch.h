#ifndef BRIDGEWATCH_SOCKET_BATCH_H
#define BRIDGEWATCH_SOCKET_BATCH_H

#include <stddef.h>

/// Sends `count` datagrams on the connected socket `fd` with sendmmsg (which Swift's Glibc module does not expose,
/// as it needs _GNU_SOURCE). Returns how many the kernel took, or -1 with errno set.
int bw_send_batch(int fd, const void *const *buffers, const size_t *lengths, unsigned count);

#endif
