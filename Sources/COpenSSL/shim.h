// OpenSSL 3 (libssl, libcrypto). Function-like macros do not import into Swift; the
// static inline wrappers below stand in for the ones Tessera uses.
#ifndef TESSERA_COPENSSL_SHIM_H
#define TESSERA_COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline long tessera_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
  return SSL_CTX_set_min_proto_version(context, version);
}
static inline long tessera_SSL_CTX_set_max_proto_version(SSL_CTX *context, int version) {
  return SSL_CTX_set_max_proto_version(context, version);
}
static inline long tessera_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
  return SSL_set_tlsext_host_name(ssl, name);
}
static inline long tessera_BIO_get_mem_data(BIO *bio, char **data) {
  return BIO_get_mem_data(bio, data);
}
static inline int tessera_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *stack) {
  return sk_X509_REVOKED_num(stack);
}
static inline X509_REVOKED *tessera_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *stack, int index) {
  return sk_X509_REVOKED_value(stack, index);
}
static inline void tessera_OPENSSL_free(void *pointer) {
  OPENSSL_free(pointer);
}
/// XN_FLAG_RFC2253 combines cast macros the importer drops: X509_NAME_print_ex's RFC 2253 form.
static inline unsigned long tessera_XN_FLAG_RFC2253(void) {
  return XN_FLAG_RFC2253;
}
/// SSL_CTX_set_session_cache_mode is a macro over SSL_CTX_ctrl.
static inline long tessera_SSL_CTX_set_session_cache_mode(SSL_CTX *context, long mode) {
  return SSL_CTX_set_session_cache_mode(context, mode);
}
/// SSL_CTX_add_extra_chain_cert is a macro over SSL_CTX_ctrl; the context takes ownership of `certificate`.
static inline long tessera_SSL_CTX_add_extra_chain_cert(SSL_CTX *context, X509 *certificate) {
  return SSL_CTX_add_extra_chain_cert(context, certificate);
}
/// SSL_set_app_data/SSL_get_app_data are macros over ex_data index 0.
static inline int tessera_SSL_set_app_data(SSL *ssl, void *data) {
  return SSL_set_app_data(ssl, data);
}
static inline void *tessera_SSL_get_app_data(const SSL *ssl) {
  return SSL_get_app_data(ssl);
}
/// SSL_OP_* are built with the SSL_OP_BIT function-like macro, which does not import.
static inline uint64_t tessera_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t tessera_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline uint64_t tessera_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t tessera_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
#endif
