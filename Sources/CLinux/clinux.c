#define _GNU_SOURCE
#include "clinux.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <spawn.h>
#include <unistd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <time.h>

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

int bw_receive_batch(int fd, unsigned char *slots, size_t slot_size, unsigned count, size_t *lengths,
                     void *address_storage, unsigned *address_lengths, int wait) {
  struct sockaddr_storage *addresses = address_storage;
  struct mmsghdr messages[BW_BATCH];
  struct iovec vectors[BW_BATCH];
  if (count > BW_BATCH) count = BW_BATCH;
  memset(messages, 0, sizeof(struct mmsghdr) * count);
  for (unsigned i = 0; i < count; i++) {
    vectors[i].iov_base = slots + i * slot_size;
    vectors[i].iov_len = slot_size;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &addresses[i];
    messages[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
  }
  int received = recvmmsg(fd, messages, count, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
  for (int i = 0; i < received; i++) {
    lengths[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) ? slot_size : messages[i].msg_len;
    address_lengths[i] = messages[i].msg_hdr.msg_namelen;
  }
  return received;
}

int bw_send_batch_to(int fd, const unsigned char *slots, size_t slot_size, const size_t *lengths,
                     const void *address_storage, const unsigned *address_lengths, unsigned count) {
  const struct sockaddr_storage *addresses = address_storage;
  struct mmsghdr messages[BW_BATCH];
  struct iovec vectors[BW_BATCH];
  if (count > BW_BATCH) count = BW_BATCH;
  memset(messages, 0, sizeof(struct mmsghdr) * count);
  for (unsigned i = 0; i < count; i++) {
    vectors[i].iov_base = (void *)(slots + i * slot_size);
    vectors[i].iov_len = lengths[i];
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = (void *)&addresses[i];
    messages[i].msg_hdr.msg_namelen = address_lengths[i];
  }
  return sendmmsg(fd, messages, count, MSG_DONTWAIT);
}

int bw_set_mmap_threshold(size_t bytes) { return mallopt(M_MMAP_THRESHOLD, (int)bytes); }

int bw_trim_free_memory(void) { return malloc_trim(0); }

int bw_open_pty(int *master, int *slave, unsigned short rows, unsigned short cols) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0) return -1;
  if (grantpt(m) != 0 || unlockpt(m) != 0) {
    close(m);
    return -1;
  }
  struct winsize size = {.ws_row = rows, .ws_col = cols};
  ioctl(m, TIOCSWINSZ, &size);
  int s = open(ptsname(m), O_RDWR | O_NOCTTY);
  if (s < 0) {
    close(m);
    return -1;
  }
  *master = m;
  *slave = s;
  return 0;
}

static int bw_signal_pipe_write_end = -1;

static void bw_signal_to_pipe(int number) {
  int saved = errno;
  unsigned char byte = (unsigned char)number;
  // Non-blocking: a full pipe already holds a stop, and a handler must never wait.
  ssize_t ignored = write(bw_signal_pipe_write_end, &byte, 1);
  (void)ignored;
  errno = saved;
}

int bw_signal_pipe(const int *signals, int count) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return -1;
  int flags = fcntl(ends[1], F_GETFL);
  fcntl(ends[1], F_SETFL, flags | O_NONBLOCK);
  bw_signal_pipe_write_end = ends[1];
  for (int index = 0; index < count; index++) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = bw_signal_to_pipe;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(signals[index], &action, NULL) != 0) return -1;
  }
  return ends[0];
}

int bw_peer_credentials(int fd, unsigned *uid, int *pid) {
  struct ucred credentials;
  socklen_t length = sizeof credentials;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
  *uid = credentials.uid;
  *pid = credentials.pid;
  return 0;
}

void bw_set_thread_name(const char *name) {
  char truncated[16];
  strncpy(truncated, name, sizeof truncated - 1);
  truncated[sizeof truncated - 1] = 0;
  prctl(PR_SET_NAME, truncated, 0, 0, 0);
}

int bw_receive_stamped(int fd, unsigned char *buffer, size_t size, void *address, unsigned *address_length,
                       long long *received_at) {
  struct iovec vector = {.iov_base = buffer, .iov_len = size};
  char control[CMSG_SPACE(sizeof(struct timespec))];
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_name = address;
  message.msg_namelen = *address_length;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t received = recvmsg(fd, &message, MSG_DONTWAIT | MSG_TRUNC);
  if (received < 0) return -1;
  *address_length = message.msg_namelen;
  *received_at = 0;
  for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec stamp, real, monotonic;
      memcpy(&stamp, CMSG_DATA(header), sizeof stamp);
      clock_gettime(CLOCK_REALTIME, &real);
      clock_gettime(CLOCK_MONOTONIC, &monotonic);
      long long age = (long long)(real.tv_sec - stamp.tv_sec) * 1000000000LL + (real.tv_nsec - stamp.tv_nsec);
      if (age < 0) age = 0;
      *received_at = (long long)monotonic.tv_sec * 1000000000LL + monotonic.tv_nsec - age;
    }
  }
  return (int)received;
}

extern char **environ;

int bw_spawn_shell(const char *command, int *input, int *output, int *error) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  if (pipe2(out, O_CLOEXEC) != 0) { close(in[0]); close(in[1]); return -1; }
  if (pipe2(err, O_CLOEXEC) != 0) { close(in[0]); close(in[1]); close(out[0]); close(out[1]); return -1; }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t defaults;
  sigfillset(&defaults);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *const argv[] = {"/bin/sh", "-c", (char *)command, NULL};
  pid_t pid = -1;
  int failed = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (failed != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    errno = failed;
    return -1;
  }
  *input = in[1];
  *output = out[0];
  *error = err[0];
  return pid;
}

int bw_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
