import BridgeCore
import CLinux
import Foundation
import Synchronization

/// The prober matching what comes back to the probe waiting for it (SIP: Call-ID, CSeq and source; ICMP: payload
/// token, sequence and source; TCP: the connection), and timing out the rest: nothing late, forged or duplicated
/// counts for any site.
extension ProbeLoop {
  // MARK: - Answers

  func readAnswers(_ fd: Int32, now: Int64, into batch: inout ProbeBatch) {
    let family = sipSockets[1] == fd || icmpSockets[1] == fd ? 1 : 0
    let isSIP = sipSockets[family] == fd
    while true {
      var sender = sockaddr_storage()
      var senderLength = UInt32(MemoryLayout<sockaddr_storage>.size)
      var receivedAt: Int64 = 0
      // The real length comes back, so one larger than the buffer is seen as too large, not cut down.
      let count = Int(
        bw_receive_stamped(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count, &sender, &senderLength, &receivedAt))
      guard count >= 0 else { return }
      let length = socklen_t(senderLength)
      if count > buffer.count {
        batch.reject(.tooLarge, from: Self.describe(sender, length))
        continue
      }
      let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
      let at = receivedAt > 0 ? min(receivedAt, now) : now
      if isSIP {
        matchSIP(bytes, from: sender, length, now: at, into: &batch)
      } else {
        matchICMP(bytes, ipv6: family == 1, raw: icmpIsRaw[family], from: sender, length, now: at, into: &batch)
      }
    }
  }

  func matchSIP(
    _ bytes: UnsafeRawBufferPointer, from sender: sockaddr_storage, _ length: socklen_t, now: Int64, into batch: inout ProbeBatch
  ) {
    let response: SIPProbeCodec.Response
    switch SIPProbeCodec.parseResponse(bytes) {
    case .success(let parsed): response = parsed
    case .failure(let reason): return batch.reject(reason, from: Self.describe(sender, length))
    }
    // Call-ID "<token hex>-<site>@bridgewatch": the site says where to look, the token that it is ours.
    let callID = response.callID
    guard let dash = callID.firstIndex(of: "-"), let at = callID.firstIndex(of: "@"), dash < at,
      let token = UInt64(callID[..<dash], radix: 16), let site = Int(callID[callID.index(after: dash)..<at]),
      site >= 0, site < pending.count, let target = targets[site], target.kind == .sip,
      let waiting = pending[site], waiting.token == token, waiting.sequence == response.sequence
    else { return batch.reject(.unmatched, from: Self.describe(sender, length)) }
    guard Self.sameEndpoint(sender, target.address, comparePort: true) else {
      return batch.reject(.wrongSource, from: Self.describe(sender, length))
    }
    // A provisional response (100 Trying) says nothing about the endpoint yet; the final one does.
    guard response.code >= 200 else { return }
    complete(site, .sipAnswered(code: response.code), now: now, into: &batch)
  }

  func matchICMP(
    _ bytes: UnsafeRawBufferPointer, ipv6: Bool, raw: Bool, from sender: sockaddr_storage, _ length: socklen_t, now: Int64,
    into batch: inout ProbeBatch
  ) {
    if raw {
      // A raw socket sees every ICMP message of the host: only echo replies with our identifier are ours to judge.
      let start = ipv6 ? 0 : Int((bytes.first ?? 0) & 0x0f) * 4
      guard bytes.count >= start + 8, bytes[start] == (ipv6 ? 129 : 0),
        UInt16(bytes[start + 4]) << 8 | UInt16(bytes[start + 5]) == icmpIdentifier
      else { return }
    }
    let reply: ICMPEchoCodec.Reply
    switch ICMPEchoCodec.parseReply(bytes, ipv6: ipv6, includesIPHeader: raw && !ipv6) {
    case .success(let parsed): reply = parsed
    case .failure(let reason): return batch.reject(reason, from: Self.describe(sender, length))
    }
    let site = Int(reply.site)
    guard site < pending.count, let target = targets[site], target.kind == .icmp, let waiting = pending[site],
      waiting.token == reply.token, UInt16(waiting.sequence) == reply.sequence
    else { return batch.reject(.unmatched, from: Self.describe(sender, length)) }
    guard Self.sameEndpoint(sender, target.address, comparePort: false) else {
      return batch.reject(.wrongSource, from: Self.describe(sender, length))
    }
    complete(site, .icmpReply, now: now, into: &batch)
  }

  func finishConnect(_ site: Int, now: Int64, into batch: inout ProbeBatch) {
    guard let waiting = pending[site], waiting.tcpFD >= 0 else { return }
    var failure: Int32 = 0
    var size = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(waiting.tcpFD, SOL_SOCKET, SO_ERROR, &failure, &size)
    closeTCP(site)
    // The connect's round trip is known only to the tick: no RTT is claimed for it.
    switch failure {
    case 0: complete(site, .tcpConnected, now: now, rtt: false, into: &batch)
    case ECONNREFUSED: complete(site, .tcpRefused, now: now, rtt: false, into: &batch)
    default: complete(site, .unreachable, now: now, into: &batch)
    }
  }

  func closeTCP(_ site: Int) {
    guard let fd = pending[site]?.tcpFD, fd >= 0 else { return }
    close(fd)
    pending[site]?.tcpFD = -1
  }

  func complete(_ site: Int, _ outcome: ProbeOutcome, now: Int64, rtt measured: Bool = true, into batch: inout ProbeBatch) {
    guard let waiting = pending[site] else { return }
    pending[site] = nil
    // Rounded up, as the agent does: an answer within the millisecond is "1ms", never "0ms" (which reads as none).
    let rtt = outcome.isAlive && measured ? Int((max(0, now - waiting.sentAt) + 999_999) / 1_000_000) : nil
    batch.results.append(ProbeBatch.Result(site: site, outcome: outcome, rttMilliseconds: rtt, sentNanosAgo: now - waiting.sentAt))
  }

  func expire(now: Int64, into batch: inout ProbeBatch) {
    while deadlineHead < deadlines.count, deadlines[deadlineHead].at <= now {
      let (site, token, _) = deadlines[deadlineHead]
      deadlineHead += 1
      guard let waiting = pending[site], waiting.token == token else { continue }  // answered already
      if waiting.tcpFD >= 0 {
        closeTCP(site)
        tcpInFlight.removeAll { $0 == site }
      }
      complete(site, .timedOut, now: now, into: &batch)
    }
    if deadlineHead > 4096 && deadlineHead * 2 > deadlines.count {
      deadlines.removeFirst(deadlineHead)
      deadlineHead = 0
    }
  }
}
