/*
 * The ceiling: the most datagrams this machine's loopback delivers to one receiving thread. It binds
 * 127.0.0.1:PORT with the same receive buffer as the monitor (8 MiB), receives with recvmmsg in batches of 64,
 * counts, and does nothing else. It prints "ready" once bound, then, after IDLE_MS without a datagram
 * (or a SIGTERM), "received N datagrams, B bytes, first-to-last S seconds" and exits.
 *
 * With a third argument "ack" it also answers every datagram with a short datagram to its sender, with one
 * sendmmsg per batch, as the monitor acknowledges heartbeats: the least a monitor can spend per heartbeat in
 * system calls, the reference for the dashboard's CPU at national load.
 *
 *   cc -O2 -o udp_ceiling udp_ceiling.c && ./udp_ceiling 7401 2000 [ack]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 2048

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s PORT IDLE_MS\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  int idle_ms = atoi(argv[2]);
  int answer = argc > 3 && strcmp(argv[3], "ack") == 0;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 1; }
  int buffer = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("bind"); return 1; }
  struct timeval timeout = {.tv_sec = idle_ms / 1000, .tv_usec = (idle_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  static char slots[BATCH][SLOT];
  static struct sockaddr_storage senders[BATCH];
  static const char ack[] = "BW1 ack site=X seq=1";
  struct mmsghdr messages[BATCH], replies[BATCH];
  struct iovec vectors[BATCH], reply_vectors[BATCH];
  for (int i = 0; i < BATCH; i++) {
    vectors[i].iov_base = slots[i];
    vectors[i].iov_len = SLOT;
    memset(&messages[i], 0, sizeof messages[i]);
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &senders[i];
    messages[i].msg_hdr.msg_namelen = sizeof senders[i];
    reply_vectors[i].iov_base = (void *)ack;
    reply_vectors[i].iov_len = sizeof ack - 1;
    memset(&replies[i], 0, sizeof replies[i]);
    replies[i].msg_hdr.msg_iov = &reply_vectors[i];
    replies[i].msg_hdr.msg_iovlen = 1;
    replies[i].msg_hdr.msg_name = &senders[i];
  }
  printf("ready\n");
  fflush(stdout);

  unsigned long long count = 0, bytes = 0;
  double first = 0, last = 0;
  while (!stop_requested) {
    int received = recvmmsg(fd, messages, BATCH, MSG_WAITFORONE, NULL);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (count > 0) break; /* idle after traffic: done */
        continue;
      }
      perror("recvmmsg");
      return 1;
    }
    double t = now_seconds();
    if (count == 0) first = t;
    last = t;
    count += (unsigned long long)received;
    for (int i = 0; i < received; i++) {
      bytes += messages[i].msg_len;
      replies[i].msg_hdr.msg_namelen = messages[i].msg_hdr.msg_namelen;
      messages[i].msg_hdr.msg_namelen = sizeof senders[i];
    }
    if (answer) sendmmsg(fd, replies, (unsigned)received, 0);
  }
  printf("received %llu datagrams, %llu bytes, first-to-last %.6f seconds\n", count, bytes, last - first);
  return 0;
}
