// OpenSSL (libssl-dev) for the bridge client's HTTPS: TLS on the client's own non-blocking socket, so that its one
// deadline covers the handshake too; and SHA-256 for the heartbeats' MACs. The functions below stand for OpenSSL
// macros, which Swift cannot call, or keep a hash's state where the caller wants it.
#ifndef BRIDGEWATCH_COPENSSL_SHIM_H
#define BRIDGEWATCH_COPENSSL_SHIM_H

#include <string.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// TLS 1.2 and later; a server that closes without close_notify ends the answer (HTTP/1.0 with Content-Length
// checked by the caller), as most HTTP servers do.
static inline int bridgewatch_tls_context_setup(SSL_CTX *context) {
  SSL_CTX_set_options(context, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

// Server Name Indication, so that a bridge behind a name-based virtual host presents its own certificate.
static inline int bridgewatch_tls_set_server_name(SSL *connection, const char *name) {
  return (int)SSL_set_tlsext_host_name(connection, name);
}

// HMAC-SHA256 with its key absorbed once (BridgeCore's KeyedHMACSHA256): the 32-byte chaining value after the
// padded key's one block is all a site's key needs to keep, and a check resumes from it. The SHA256_* calls are
// deprecated in OpenSSL 3 in favour of EVP, whose contexts live on the heap: these keep the state inline.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

// The chaining value after the 64-byte `block`.
static inline void bridgewatch_sha256_absorb_block(const unsigned char *block, unsigned int *state) {
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, block, 64);
  memcpy(state, context.h, 32);
}

// SHA-256 of one block whose chaining value is `state`, followed by `message`: 32 bytes into `digest`.
static inline void bridgewatch_sha256_resume(const unsigned int *state, const void *message, size_t length,
                                             unsigned char *digest) {
  SHA256_CTX context;
  SHA256_Init(&context);
  memcpy(context.h, state, 32);
  context.Nl = 512; // bits already hashed: the one block
  SHA256_Update(&context, message, length);
  SHA256_Final(digest, &context);
}

#pragma GCC diagnostic pop

#endif
