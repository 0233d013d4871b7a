#define _GNU_SOURCE
#include "socket_batch.h"

#include <string.h>
#include <sys/socket.h>

#define BW_BATCH 64

int bw_send_batch(int fd, const void *const *buffers, const size_t *lengths, unsigned count) {
  struct mmsghdr messages[BW_BATCH];
  struct iovec vectors[BW_BATCH];
  if (count > BW_BATCH) count = BW_BATCH;
  memset(messages, 0, sizeof(struct mmsghdr) * count);
  for (unsigned i = 0; i < count; i++) {
    vectors[i].iov_base = (void *)buffers[i];
    vectors[i].iov_len = lengths[i];
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  return sendmmsg(fd, messages, count, 0);
}
