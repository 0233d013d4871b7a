// OpenSSL (libssl-dev) for the bridge client's HTTPS: TLS on the client's own non-blocking socket, so that its one
// deadline covers the handshake too. The functions below stand for OpenSSL macros, which Swift cannot call.
#ifndef BRIDGEWATCH_COPENSSL_SHIM_H
#define BRIDGEWATCH_COPENSSL_SHIM_H

#include <openssl/err.h>
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

#endif
